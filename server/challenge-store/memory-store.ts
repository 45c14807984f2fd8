import { createExpiringMap, randomBase64Url256, StoreFullError } from '../shared/index.js';
import {
  assertSessionId,
  type ChallengeStore,
  type ChallengeTake,
  checkGraceMs,
  checkMaxPending,
  checkTtlMs,
  isValidSessionId,
  storeClosedError,
} from './challenge-store.js';

export interface MemoryChallengeStoreOptions {
  /** Lifetime of a challenge, at most 5 minutes (the default). */
  ttlMs?: number;
  /**
   * Pending challenges kept at most (default 10 000). When that many are pending, `issue` for a
   * session without one fails with StoreFullError: a pending login is never dropped to make room.
   */
  maxPending?: number;
  /** How long an expired challenge is remembered so `take` can say "expired". Default 60 s. */
  graceMs?: number;
  /** Clock in milliseconds since the epoch. */
  now?: () => number;
}

/** A challenge store for one process (development, tests, single-instance sites). */
export function createMemoryChallengeStore(options: MemoryChallengeStoreOptions = {}): ChallengeStore {
  const ttlMs = checkTtlMs(options.ttlMs);
  const graceMs = checkGraceMs(options.graceMs);
  const now = options.now ?? Date.now;
  const pending = createExpiringMap<{ challenge: string; expiresAt: number }>({
    maxEntries: checkMaxPending(options.maxPending),
    now,
  });
  let closed = false;

  return {
    async issue(sessionId) {
      if (closed) throw storeClosedError();
      assertSessionId(sessionId);
      const challenge = randomBase64Url256();
      const expiresAt = now() + ttlMs;
      if (!pending.set(sessionId, { challenge, expiresAt }, expiresAt + graceMs)) {
        throw new StoreFullError('logins', pending.msUntilRoom());
      }
      return { challenge, expiresAt: new Date(expiresAt) };
    },
    async take(sessionId): Promise<ChallengeTake> {
      if (closed) throw storeClosedError();
      if (!isValidSessionId(sessionId)) return { status: 'unknown' };
      const entry = pending.take(sessionId);
      if (entry === undefined) return { status: 'unknown' };
      if (now() >= entry.expiresAt) return { status: 'expired' };
      return { status: 'ok', challenge: entry.challenge };
    },
    async close() {
      closed = true;
      pending.clear();
    },
  };
}
