/**
 * The one bounded map of server/: the in-memory challenge and session stores, the rate limiters,
 * the demo's pending logins, and the verifier's caches (parsed certificates, validations, fetched
 * CRLs) are all built on it. Entries carry a drop time (`Infinity` for none) and are kept in the
 * order they were last set (or, with `touchOnGet`, last read: least recently used first). When
 * callers give every entry the same lifetime the oldest entry is also the first to drop, so expired
 * entries are purged from the front in amortized O(1); with mixed lifetimes an expired entry behind a
 * live one is dropped when it is next read or reaches the front.
 *
 * When the map is full of live entries it refuses a new key (the default): it never drops a live
 * entry to make room, so a flood of new keys (anonymous requests) cannot push out anybody's pending
 * login, session or rate count. Only caches, whose entries are recomputed when missing and belong to
 * nobody, ask for `whenFull: 'evict-oldest'`. No timers, so an idle map holds nothing open.
 */
export interface ExpiringMap<V> {
  /** The value, unless absent or past its drop time (then it is removed). */
  get(key: string): V | undefined;
  /**
   * Sets or replaces the value, moving it to the young end. A new key when the map is full of live
   * entries is refused (nothing is set, false is returned), or with `whenFull: 'evict-oldest'` the
   * oldest entry makes room. Replacing a live key always succeeds.
   */
  set(key: string, value: V, dropAt: number): boolean;
  /** Removes and returns the value (undefined when absent or past its drop time). */
  take(key: string): V | undefined;
  delete(key: string): void;
  clear(): void;
  /** The live entries, oldest first (expired ones are dropped on the way). */
  entries(): Array<[string, V]>;
  /** Milliseconds until the oldest entry drops, and so a new key may fit (0 when not full). */
  msUntilRoom(): number;
  readonly size: number;
}

export type WhenFull = 'refuse' | 'evict-oldest';

export function createExpiringMap<V>(options: {
  maxEntries: number;
  now: () => number;
  /** Default `refuse`; `evict-oldest` is for caches only. */
  whenFull?: WhenFull;
  /** A read moves the entry to the young end (an LRU cache). */
  touchOnGet?: boolean;
}): ExpiringMap<V> {
  const { maxEntries, now } = options;
  const touch = options.touchOnGet === true;
  const evict = options.whenFull === 'evict-oldest';
  if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError('maxEntries must be a positive integer');
  const entries = new Map<string, { value: V; dropAt: number }>();
  // Entries with a finite drop time: while there are none (a pure cache), nothing can expire, and
  // neither the clock nor a purge is needed on the hot path.
  let finite = 0;

  function drop(key: string): void {
    const entry = entries.get(key);
    if (entry === undefined) return;
    entries.delete(key);
    if (entry.dropAt !== Number.POSITIVE_INFINITY) finite--;
  }

  function purgeExpired(at: number): void {
    if (finite === 0) return;
    for (const [key, entry] of entries) {
      if (entry.dropAt > at) return;
      entries.delete(key);
      finite--;
    }
  }

  const expired = (entry: { dropAt: number }): boolean =>
    entry.dropAt !== Number.POSITIVE_INFINITY && entry.dropAt <= now();

  function live(key: string): { value: V; dropAt: number } | undefined {
    const entry = entries.get(key);
    if (entry === undefined) return undefined;
    if (expired(entry)) {
      drop(key);
      return undefined;
    }
    if (touch) {
      entries.delete(key);
      entries.set(key, entry);
    }
    return entry;
  }

  return {
    get: (key) => live(key)?.value,
    set(key, value, dropAt) {
      purgeExpired(finite === 0 ? 0 : now());
      const old = entries.get(key);
      const replacing = old !== undefined && !expired(old);
      drop(key);
      if (!replacing && entries.size >= maxEntries) {
        if (!evict) return false;
        while (entries.size >= maxEntries) {
          const oldest = entries.keys().next();
          if (oldest.done === true) break;
          drop(oldest.value);
        }
      }
      entries.set(key, { value, dropAt });
      if (dropAt !== Number.POSITIVE_INFINITY) finite++;
      return true;
    },
    take(key) {
      const entry = live(key);
      drop(key);
      return entry?.value;
    },
    delete: drop,
    clear: () => {
      entries.clear();
      finite = 0;
    },
    entries() {
      const at = now();
      purgeExpired(at);
      return [...entries].filter(([, e]) => e.dropAt > at).map(([key, e]): [string, V] => [key, e.value]);
    },
    msUntilRoom() {
      const at = now();
      purgeExpired(at);
      if (entries.size < maxEntries) return 0;
      const oldest = entries.values().next();
      return oldest.done === true ? 0 : Math.max(0, oldest.value.dropAt - at);
    },
    get size() {
      return entries.size;
    },
  };
}
