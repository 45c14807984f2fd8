import { ClientShareError, createExpiringMap, randomBase64Url256, StoreFullError } from '../shared/index.js';
import {
  assertSessionId,
  type ChallengeStore,
  type ChallengeTake,
  checkGraceMs,
  checkMaxPending,
  checkMaxPendingPerClient,
  checkTtlMs,
  isValidSessionId,
  storeClosedError,
  storedClientKey,
} from './challenge-store.js';

export interface MemoryChallengeStoreOptions {
  /** Lifetime of a challenge, at most 5 minutes (the default). */
  ttlMs?: number;
  /**
   * Pending challenges kept at most (default 10 000). When that many are pending, `issue` for a
   * session without one fails with StoreFullError: a pending login is never dropped to make room.
   */
  maxPending?: number;
  /**
   * Of those, one client's at most (default a hundredth of maxPending, at least 16): beyond it,
   * `issue` for a new session of that client fails with ClientShareError.
   */
  maxPendingPerClient?: number;
  /** How long an expired challenge is remembered so `take` can say "expired". Default 60 s. */
  graceMs?: number;
  /** Clock in milliseconds since the epoch. */
  now?: () => number;
}

/**
 * Which client holds each pending challenge, and how many each holds. Every record lives equally
 * long, so the ledger (in the order records were last written) drops from its front, as the
 * records do: amortized O(1), and never larger than the store.
 */
function createClientLedger(now: () => number) {
  const holders = new Map<string, { client: string; dropAt: number }>();
  const counts = new Map<string, number>();
  const release = (sessionId: string): void => {
    const holder = holders.get(sessionId);
    if (holder === undefined) return;
    holders.delete(sessionId);
    const left = (counts.get(holder.client) ?? 1) - 1;
    if (left > 0) counts.set(holder.client, left);
    else counts.delete(holder.client);
  };
  const purge = (): void => {
    const at = now();
    for (const [sessionId, holder] of holders) {
      if (holder.dropAt > at) break;
      release(sessionId);
    }
  };
  return {
    release,
    holderOf: (sessionId: string): string | undefined => holders.get(sessionId)?.client,
    held(client: string): number {
      purge();
      return counts.get(client) ?? 0;
    },
    /** Milliseconds until the client's oldest place drops. */
    msUntilRoomFor(client: string): number {
      for (const holder of holders.values()) if (holder.client === client) return holder.dropAt - now();
      return 0;
    },
    charge(sessionId: string, client: string, dropAt: number): void {
      release(sessionId);
      holders.set(sessionId, { client, dropAt });
      counts.set(client, (counts.get(client) ?? 0) + 1);
    },
    clear(): void {
      holders.clear();
      counts.clear();
    },
  };
}

/** A challenge store for one process (development, tests, single-instance sites). */
export function createMemoryChallengeStore(options: MemoryChallengeStoreOptions = {}): ChallengeStore {
  const ttlMs = checkTtlMs(options.ttlMs);
  const graceMs = checkGraceMs(options.graceMs);
  const now = options.now ?? Date.now;
  const maxPending = checkMaxPending(options.maxPending);
  const maxPerClient = checkMaxPendingPerClient(maxPending, options.maxPendingPerClient);
  const pending = createExpiringMap<{ challenge: string; expiresAt: number }>({ maxEntries: maxPending, now });
  const ledger = createClientLedger(now);
  let closed = false;

  return {
    async issue(sessionId, client) {
      if (closed) throw storeClosedError();
      assertSessionId(sessionId);
      const challenge = randomBase64Url256();
      const expiresAt = now() + ttlMs;
      const dropAt = expiresAt + graceMs;
      // A session asking again keeps its place, and its holder; a new one needs room in its client's share.
      const renewing = pending.get(sessionId) !== undefined;
      const holder = renewing ? ledger.holderOf(sessionId) : client === undefined ? undefined : storedClientKey(client);
      if (!renewing && holder !== undefined && ledger.held(holder) >= maxPerClient) {
        throw new ClientShareError('logins', ledger.msUntilRoomFor(holder));
      }
      if (!pending.set(sessionId, { challenge, expiresAt }, dropAt)) {
        throw new StoreFullError('logins', pending.msUntilRoom());
      }
      if (holder !== undefined) ledger.charge(sessionId, holder, dropAt);
      return { challenge, expiresAt: new Date(expiresAt) };
    },
    async take(sessionId): Promise<ChallengeTake> {
      if (closed) throw storeClosedError();
      if (!isValidSessionId(sessionId)) return { status: 'unknown' };
      const entry = pending.take(sessionId);
      ledger.release(sessionId);
      if (entry === undefined) return { status: 'unknown' };
      if (now() >= entry.expiresAt) return { status: 'expired' };
      return { status: 'ok', challenge: entry.challenge };
    },
    async close() {
      closed = true;
      pending.clear();
      ledger.clear();
    },
  };
}
