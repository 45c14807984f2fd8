import { createHash } from 'node:crypto';
import { HpkiError } from '../../protocol/errors.js';
import { defaultSharePerClient } from '../shared/index.js';

/** What `take` found for a session: its challenge, nothing, or a challenge whose time is up. */
export type ChallengeTake = { status: 'ok'; challenge: string } | { status: 'unknown' } | { status: 'expired' };

/**
 * The pending login challenge of each session (PROTOCOL.md §1.1, §5 step 2): one per session, single
 * use, at most five minutes old.
 */
export interface ChallengeStore {
  /**
   * A fresh 256-bit base64url challenge (43 chars) bound to the session, replacing any pending one.
   * TTL ≤ 5 min. When the store holds its maximum of pending challenges and this session has none,
   * fails with StoreFullError: no pending login is ever dropped to make room. `client` is who asks
   * (client-address.ts: the rate limiter's key, an address or IPv6 /56): a client holding its share
   * of the pending challenges (`maxPendingPerClient`) gets none for a new session (ClientShareError,
   * a StoreFullError), across processes for the Redis store, and its place is freed when its
   * challenge is taken or drops. A session asking again keeps the place it holds. Without `client`,
   * only the whole bound applies.
   */
  issue(sessionId: string, client?: string): Promise<{ challenge: string; expiresAt: Date }>;
  /** Atomic get-and-delete: a challenge is taken at most once, across processes for the Redis store. */
  take(sessionId: string): Promise<ChallengeTake>;
  close(): Promise<void>;
}

export const MAX_CHALLENGE_TTL_MS = 5 * 60_000;
export const DEFAULT_CHALLENGE_TTL_MS = MAX_CHALLENGE_TTL_MS;
/** Short TTLs are for tests and impatient sites; below this a user could not type a PIN anyway. */
export const MIN_CHALLENGE_TTL_MS = 100;
/**
 * How long a record outlives its challenge, so that a late `take` is told "expired" (the user was
 * too slow) rather than "unknown" (never issued or already used).
 */
export const DEFAULT_EXPIRED_GRACE_MS = 60_000;

/**
 * Session ids come from this project's cookies or from another framework's session, so the pattern
 * admits the usual base64, base64url and hex alphabets; the bounds keep store keys small and
 * refuse ids too short to be secret.
 */
export const SESSION_ID_PATTERN = /^[A-Za-z0-9._~:+/=-]{16,256}$/;

export function isValidSessionId(value: unknown): value is string {
  return typeof value === 'string' && SESSION_ID_PATTERN.test(value);
}

export function assertSessionId(value: unknown): string {
  if (!isValidSessionId(value)) throw new HpkiError('ERR_HPKI_INVALID_ARGUMENT', 'invalid session id');
  return value;
}

export function checkTtlMs(ttlMs: number | undefined): number {
  const ttl = ttlMs ?? DEFAULT_CHALLENGE_TTL_MS;
  if (!Number.isInteger(ttl) || ttl < MIN_CHALLENGE_TTL_MS || ttl > MAX_CHALLENGE_TTL_MS) {
    throw new RangeError(`ttlMs must be an integer from ${MIN_CHALLENGE_TTL_MS} to ${MAX_CHALLENGE_TTL_MS}`);
  }
  return ttl;
}

/** Pending challenges a store keeps at most, unless told otherwise. */
export const DEFAULT_MAX_PENDING = 10_000;

export function checkMaxPending(maxPending: number | undefined): number {
  const max = maxPending ?? DEFAULT_MAX_PENDING;
  if (!Number.isInteger(max) || max < 1 || max > 10_000_000) {
    throw new RangeError('maxPending must be an integer from 1 to 10 000 000');
  }
  return max;
}

/** One client's share of the pending challenges: `maxPendingPerClient`, by default a hundredth of the bound, at least 16. */
export function checkMaxPendingPerClient(maxPending: number, perClient: number | undefined): number {
  const share = perClient ?? defaultSharePerClient(maxPending);
  if (!Number.isInteger(share) || share < 1 || share > maxPending)
    throw new RangeError('maxPendingPerClient must be an integer from 1 to maxPending');
  return share;
}

const CLIENT_KEY_PATTERN = /^[A-Za-z0-9:.?/_-]{1,80}$/;

/**
 * A client key as a store keeps it: client-address.ts's keys as they are (`4:192.0.2.1`,
 * `6:2001:db8:0:100::/56`), anything else (a caller's own key) as a hash, so a key is short and
 * safe in a Redis key name whatever the caller passes.
 */
export function storedClientKey(client: string): string {
  return CLIENT_KEY_PATTERN.test(client)
    ? client
    : `#${createHash('sha256').update(client, 'utf8').digest('base64url')}`;
}

export function checkGraceMs(graceMs: number | undefined): number {
  const grace = graceMs ?? DEFAULT_EXPIRED_GRACE_MS;
  if (!Number.isInteger(grace) || grace < 0 || grace > MAX_CHALLENGE_TTL_MS) {
    throw new RangeError(`graceMs must be an integer from 0 to ${MAX_CHALLENGE_TTL_MS}`);
  }
  return grace;
}

export function storeClosedError(): HpkiError {
  return new HpkiError('ERR_HPKI_INTERNAL', 'challenge store is closed');
}
