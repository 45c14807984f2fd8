/**
 * The one bounded map of server/: entries carry a drop time, and the map holds at most `maxEntries`
 * live ones. It backs the in-memory challenge and session stores, the rate limiters and the demo's
 * pending SSO logins. Entries are kept in the order they were last set, and callers give every entry
 * the same lifetime, so the oldest entry is also the first to drop: expired entries are purged from
 * the front in amortized O(1). When the map is full of live entries it refuses new keys: it never
 * drops a live entry to make room, so a flood of new keys (anonymous requests) cannot push out
 * anybody's pending login or session. No timers, so an idle map holds nothing open.
 */
export interface ExpiringMap<V> {
  /** The value, unless absent or past its drop time (then it is removed). */
  get(key: string): V | undefined;
  /**
   * Sets or replaces the value, moving it to the young end. A new key when the map is full of live
   * entries is refused: nothing is set and false is returned. Replacing a live key always succeeds.
   */
  set(key: string, value: V, dropAt: number): boolean;
  /** Removes and returns the value (undefined when absent or past its drop time). */
  take(key: string): V | undefined;
  delete(key: string): void;
  clear(): void;
  /** Milliseconds until the oldest live entry drops, and so a new key may fit (0 when not full). */
  msUntilRoom(): number;
  readonly size: number;
}

export function createExpiringMap<V>(options: { maxEntries: number; now: () => number }): ExpiringMap<V> {
  const { maxEntries, now } = options;
  if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError('maxEntries must be a positive integer');
  const entries = new Map<string, { value: V; dropAt: number }>();

  function purgeExpired(at: number): void {
    for (const [key, entry] of entries) {
      if (entry.dropAt > at) return;
      entries.delete(key);
    }
  }

  function live(key: string): { value: V; dropAt: number } | undefined {
    const entry = entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.dropAt <= now()) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  }

  return {
    get: (key) => live(key)?.value,
    set(key, value, dropAt) {
      const at = now();
      purgeExpired(at);
      const replacing = live(key) !== undefined;
      if (!replacing && entries.size >= maxEntries) return false;
      entries.delete(key);
      entries.set(key, { value, dropAt });
      return true;
    },
    take(key) {
      const entry = live(key);
      entries.delete(key);
      return entry?.value;
    },
    delete: (key) => void entries.delete(key),
    clear: () => entries.clear(),
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
