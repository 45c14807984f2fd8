import type { ClientErrorCode, WireError } from '../../protocol/errors.js';
import { CLIENT_ERROR_CODES, isErrorCode, VALIDATION_ERROR_CODES } from '../../protocol/errors.js';
import type { MessageKey, Translate } from './i18n.js';
import type { FlowPurpose } from './runtime-messages.js';

/**
 * Every error code of PROTOCOL.md §8 (and the server's §5 codes, which the login button shows) has
 * a sentence a doctor understands; the technical message from the host is kept only where it is
 * the whole story (ERR_HPKI_INTERNAL).
 */

export const LOCALIZED_ERROR_CODES = [...CLIENT_ERROR_CODES, ...VALIDATION_ERROR_CODES] as const;

/**
 * The codes whose sentence speaks of a login (or names the extension, whose name says ログイン): a
 * signature's window says them in its own words (PROTOCOL.md §11: 電子署名, never ログイン). Every
 * `sign_error_<code>` below must exist in the catalogs, or this does not compile.
 */
export const SIGN_WORDED_ERROR_CODES = [
  'ERR_HPKI_EXTENSION_UNAVAILABLE',
  'ERR_HPKI_NATIVE_UNAVAILABLE',
  'ERR_HPKI_UNSUPPORTED_CARD',
  'ERR_HPKI_CARD_CHANGED',
  'ERR_HPKI_CARD_REMOVED',
  'ERR_HPKI_PIN_BLOCKED',
  'ERR_HPKI_USER_CANCELLED',
  'ERR_HPKI_USER_TIMEOUT',
  'ERR_HPKI_BUSY',
  'ERR_HPKI_INSECURE_ORIGIN',
  'ERR_HPKI_SITE_NOT_ALLOWED',
  'ERR_HPKI_INVALID_ARGUMENT',
] as const satisfies readonly ClientErrorCode[];
type SignWordedCode = (typeof SIGN_WORDED_ERROR_CODES)[number];

function isSignWorded(code: string): code is SignWordedCode {
  return (SIGN_WORDED_ERROR_CODES as readonly string[]).includes(code);
}

/** The sentence's key for a code, in a signature's words when the purpose is `sign`. */
export function errorMessageKey(code: string, purpose: FlowPurpose = 'login'): MessageKey | undefined {
  if (!isErrorCode(code)) return undefined;
  if (purpose === 'sign' && isSignWorded(code)) {
    const key: MessageKey = `sign_error_${code}`;
    return key;
  }
  return `error_${code}` as const;
}

const MAX_DETAIL_LENGTH = 200;

/**
 * Who reads the sentence: the extension's own pages (PIN window, popup) get an internal error's
 * technical detail; a web page gets only the code and a sentence without it, since host text (PC/SC
 * messages, reader names) is none of its business.
 */
export type ErrorAudience = 'extension' | 'page';

/**
 * The same error, its message replaced by the localized sentence for its code; a signature's
 * request (`purpose` sign) gets the signature's sentence, as its window does.
 */
export function localizeError(
  error: WireError,
  t: Translate,
  audience: ErrorAudience = 'extension',
  purpose: FlowPurpose = 'login',
): WireError {
  const key = errorMessageKey(error.code, purpose);
  if (key === undefined)
    return audience === 'page' ? { code: 'ERR_HPKI_INTERNAL', message: t('error_internal_for_page') } : error;
  if (error.code === 'ERR_HPKI_PIN_INCORRECT') {
    return { code: error.code, message: t(key, [String(error.retriesLeft)]), retriesLeft: error.retriesLeft };
  }
  if (error.code === 'ERR_HPKI_INTERNAL') {
    if (audience === 'page') return { code: error.code, message: t('error_internal_for_page') };
    return { code: error.code, message: t(key, [error.message.slice(0, MAX_DETAIL_LENGTH)]) };
  }
  return { code: error.code, message: t(key) };
}
