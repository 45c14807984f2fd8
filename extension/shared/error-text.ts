import type { WireError } from '../../protocol/errors.js';
import { CLIENT_ERROR_CODES, isErrorCode, VALIDATION_ERROR_CODES } from '../../protocol/errors.js';
import type { MessageKey, Translate } from './i18n.js';

/**
 * Every error code of PROTOCOL.md §8 (and the server's §5 codes, which the login button shows) has
 * a sentence a doctor understands; the technical message from the host is kept only where it is
 * the whole story (ERR_HPKI_INTERNAL).
 */

export const LOCALIZED_ERROR_CODES = [...CLIENT_ERROR_CODES, ...VALIDATION_ERROR_CODES] as const;

export function errorMessageKey(code: string): MessageKey | undefined {
  if (!isErrorCode(code)) return undefined;
  return `error_${code}` as const;
}

const MAX_DETAIL_LENGTH = 200;

/**
 * Who reads the sentence: the extension's own pages (PIN window, popup) get an internal error's
 * technical detail; a web page gets only the code and a sentence without it, since host text (PC/SC
 * messages, reader names) is none of its business.
 */
export type ErrorAudience = 'extension' | 'page';

/** The same error, its message replaced by the localized sentence for its code. */
export function localizeError(error: WireError, t: Translate, audience: ErrorAudience = 'extension'): WireError {
  const key = errorMessageKey(error.code);
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
