import { createExpiringMap, randomBase64Url256, StoreFullError } from '../shared/index.js';

/** Server-side sessions keyed by a random 256-bit id (43 base64url characters). */
export interface SessionStore<T> {
  /**
   * Starts a session holding `data` and returns its new id. Fails with StoreFullError when the
   * store holds its maximum of live sessions: nobody's session is ended to make room.
   */
  create(data: T): string;
  /**
   * The session's data, refreshing its idle timer; undefined when unknown, idle too long, or older
   * than the absolute lifetime (however busy it was).
   */
  get(id: string): T | undefined;
  /** Whether the session is live, without refreshing its idle timer. */
  has(id: string): boolean;
  destroy(id: string): void;
}

export interface MemorySessionStoreOptions {
  /** Live sessions kept at most; when full, new ones are refused (StoreFullError). Default 10 000. */
  maxSessions?: number;
  /** A session unused this long is gone. Default 30 minutes. */
  idleTimeoutMs?: number;
  /**
   * A session this old is gone, however often it is used: a stolen cookie stays useful at most
   * this long, and a doctor logs in again once per shift. Default 8 hours; at least the idle timeout.
   */
  absoluteTimeoutMs?: number;
  now?: () => number;
}

export const DEFAULT_SESSION_IDLE_MS = 30 * 60_000;
export const DEFAULT_SESSION_ABSOLUTE_MS = 8 * 60 * 60_000;

/** Sessions in this process's memory: for the demo and single-instance sites. */
export function createMemorySessionStore<T>(options: MemorySessionStoreOptions = {}): SessionStore<T> {
  const idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_SESSION_IDLE_MS;
  if (!Number.isInteger(idleTimeoutMs) || idleTimeoutMs < 1_000)
    throw new RangeError('idleTimeoutMs must be an integer ≥ 1000');
  const absoluteTimeoutMs = options.absoluteTimeoutMs ?? Math.max(DEFAULT_SESSION_ABSOLUTE_MS, idleTimeoutMs);
  if (!Number.isInteger(absoluteTimeoutMs) || absoluteTimeoutMs < idleTimeoutMs)
    throw new RangeError('absoluteTimeoutMs must be an integer ≥ idleTimeoutMs');
  const now = options.now ?? Date.now;
  // Every entry's drop time is its idle deadline (the same lifetime for all, as the map wants); the
  // absolute end is checked on read, and a session past it is dropped then.
  const sessions = createExpiringMap<{ data: T; endsAt: number }>({
    maxEntries: options.maxSessions ?? 10_000,
    now,
  });

  return {
    create(data) {
      const id = randomBase64Url256();
      const at = now();
      if (!sessions.set(id, { data, endsAt: at + absoluteTimeoutMs }, at + idleTimeoutMs)) {
        throw new StoreFullError('sessions', sessions.msUntilRoom());
      }
      return id;
    },
    get(id) {
      const entry = sessions.get(id);
      if (entry === undefined) return undefined;
      const at = now();
      if (at >= entry.endsAt) {
        sessions.delete(id);
        return undefined;
      }
      sessions.set(id, entry, at + idleTimeoutMs);
      return entry.data;
    },
    has(id) {
      const entry = sessions.get(id);
      return entry !== undefined && now() < entry.endsAt;
    },
    destroy: (id) => sessions.delete(id),
  };
}
