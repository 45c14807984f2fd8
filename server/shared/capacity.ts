import { HpkiError } from '../../protocol/errors.js';

/**
 * A bounded store (challenges, sessions, pending logins) is full of live entries and refuses a new
 * one rather than drop somebody else's. HTTP routes answer it with 503 and `Retry-After`.
 */
export class StoreFullError extends HpkiError {
  /** Whole seconds after which a retry may find room (at least 1). */
  readonly retryAfterSeconds: number;

  constructor(what: string, retryAfterMs: number) {
    super('ERR_HPKI_INTERNAL', `too many ${what} are pending; try again shortly`);
    this.name = 'StoreFullError';
    this.retryAfterSeconds = retryAfterSecondsOf(retryAfterMs);
  }
}

/** Whole seconds for a `Retry-After` header: at least 1, at most an hour. */
export function retryAfterSecondsOf(ms: number): number {
  if (!Number.isFinite(ms)) return 60;
  return Math.min(3_600, Math.max(1, Math.ceil(ms / 1000)));
}
