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

/** The `Retry-After` for a store that could not be reached: its client reconnects by itself. */
export const STORE_UNAVAILABLE_RETRY_SECONDS = 1;

/**
 * A store could not be reached (Redis down, or too slow for the command's time limit): the request
 * is not at fault and may succeed a moment later. HTTP routes answer it with 503 and `Retry-After`
 * (PROTOCOL.md §10: with Redis down, 503), not with the 500 of a fault.
 */
export class StoreUnavailableError extends HpkiError {
  /** A retry may find the store back: the stores' clients reconnect by themselves. */
  readonly retryAfterSeconds = STORE_UNAVAILABLE_RETRY_SECONDS;

  constructor(message: string, cause?: unknown) {
    super('ERR_HPKI_INTERNAL', message, cause === undefined ? undefined : { cause });
    this.name = 'StoreUnavailableError';
  }
}

/**
 * Whether `err` says a store could not be reached: a StoreUnavailableError (the challenge stores),
 * or an error marked as a 503 (the provider's store: `storeUnavailable`, `storeFull` in
 * server/sso/store.ts). Routes answer it 503, not with the 500 of a fault.
 */
export function isStoreUnreachable(err: unknown): boolean {
  if (err instanceof StoreUnavailableError) return true;
  return typeof err === 'object' && err !== null && 'statusCode' in err && err.statusCode === 503;
}

/**
 * One client (client-address.ts: an address, an IPv6 /56, the entry a trusted proxy names) holds its
 * whole share of a bounded store: the others still get room. A StoreFullError, so that a caller that
 * knows only that answers 503 with `Retry-After`; the HPKI routes answer it as the rate limiter
 * does, 429 with `Retry-After`.
 */
export class ClientShareError extends StoreFullError {
  constructor(what: string, retryAfterMs: number) {
    super(what, retryAfterMs);
    this.name = 'ClientShareError';
    this.message = `too many ${what} are pending from this address; try again in ${this.retryAfterSeconds} s`;
  }
}

/**
 * The share of a bound one client may hold, unless told otherwise: a hundredth of it, at least 16 (a
 * hospital's doctors behind one NAT address start a few sign-ins at once), at most the bound.
 */
export function defaultSharePerClient(bound: number): number {
  return Math.min(bound, Math.max(16, Math.floor(bound / 100)));
}

/** Whole seconds for a `Retry-After` header: at least 1, at most an hour. */
export function retryAfterSecondsOf(ms: number): number {
  if (!Number.isFinite(ms)) return 60;
  return Math.min(3_600, Math.max(1, Math.ceil(ms / 1000)));
}
