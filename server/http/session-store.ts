import { randomBase64Url256 } from '../challenge-store/challenge-store.js';
import { createExpiringMap } from '../challenge-store/expiring-map.js';

/** Server-side sessions keyed by a random 256-bit id (43 base64url characters). */
export interface SessionStore<T> {
  /** Starts a session holding `data` and returns its new id. */
  create(data: T): string;
  /** The session's data, refreshing its idle timer; undefined when unknown or idle too long. */
  get(id: string): T | undefined;
  destroy(id: string): void;
}

export interface MemorySessionStoreOptions {
  /** Sessions kept at most; the least recently used makes room. Default 10 000. */
  maxSessions?: number;
  /** A session unused this long is gone. Default 30 minutes. */
  idleTimeoutMs?: number;
  now?: () => number;
}

/** Sessions in this process's memory: for the demo and single-instance sites. */
export function createMemorySessionStore<T>(options: MemorySessionStoreOptions = {}): SessionStore<T> {
  const idleTimeoutMs = options.idleTimeoutMs ?? 30 * 60_000;
  if (!Number.isInteger(idleTimeoutMs) || idleTimeoutMs < 1_000)
    throw new RangeError('idleTimeoutMs must be an integer ≥ 1000');
  const now = options.now ?? Date.now;
  const sessions = createExpiringMap<T>({ maxEntries: options.maxSessions ?? 10_000, now });

  return {
    create(data) {
      const id = randomBase64Url256();
      sessions.set(id, data, now() + idleTimeoutMs);
      return id;
    },
    get(id) {
      const data = sessions.get(id);
      if (data !== undefined) sessions.set(id, data, now() + idleTimeoutMs);
      return data;
    },
    destroy: (id) => sessions.delete(id),
  };
}
