import type { ErrorCode, WireError } from '../../protocol/errors.js';
import { HpkiError, toHpkiError } from '../../protocol/errors.js';
import { translatorFor } from './catalogs.js';
import { type ErrorAudience, localizeError } from './error-text.js';
import type { Lang } from './i18n.js';
import type { FlowPurpose } from './runtime-messages.js';

/**
 * An HpkiError whose message is already the sentence to show (the background localized it, or the
 * content script built it from the catalog). Anything else is localized by code before display, so
 * that a raw exception text never reaches a doctor on its own.
 */
export class LocalizedError extends HpkiError {
  constructor(code: ErrorCode, message: string, options?: { retriesLeft?: number }) {
    super(code, message, options);
    this.name = 'LocalizedError';
  }
}

export function displayError(
  err: unknown,
  lang: Lang,
  audience: ErrorAudience = 'extension',
  purpose: FlowPurpose = 'login',
): WireError {
  if (err instanceof LocalizedError) return err.toWire();
  return localizeError(toHpkiError(err).toWire(), translatorFor(lang), audience, purpose);
}
