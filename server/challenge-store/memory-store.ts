import { HpkiError } from '../../protocol/errors.js';
import {
  assertSessionId,
  type ChallengeStore,
  type ChallengeTake,
  checkGraceMs,
  checkTtlMs,
  isValidSessionId,
  randomBase64Url256,
  storeClosedError,
} from './challenge-store.js';
import { createExpiringMap, type WhenFull } from './expiring-map.js';

export interface MemoryChallengeStoreOptions {
  /** Lifetime of a challenge, at most 5 minutes (the default). */
  ttlMs?: number;
  /** Pending challenges kept at most. Default 10 000. */
  maxEntries?: number;
  /**
   * When that many are pending: drop the oldest (default), or refuse the new one so that nobody's
   * pending login is lost to a flood of anonymous challenges (`issue` then fails with ERR_HPKI_INTERNAL).
   */
  whenFull?: WhenFull;
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
    maxEntries: options.maxEntries ?? 10_000,
    now,
    ...(options.whenFull === undefined ? {} : { whenFull: options.whenFull }),
  });
  let closed = false;

  return {
    async issue(sessionId) {
      if (closed) throw storeClosedError();
      assertSessionId(sessionId);
      const challenge = randomBase64Url256();
      const expiresAt = now() + ttlMs;
      if (!pending.set(sessionId, { challenge, expiresAt }, expiresAt + graceMs)) {
        throw new HpkiError('ERR_HPKI_INTERNAL', 'too many logins are pending; try again shortly');
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
