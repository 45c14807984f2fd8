/**
 * A bounded map whose entries carry a drop time: the building block of the in-memory challenge and
 * session stores. Entries are kept in the order they were last set, and callers give every entry the
 * same lifetime, so the oldest entry is also the first to drop: expired entries are purged from the
 * front in amortized O(1), and when the map is full the oldest entry makes room. No timers, so an
 * idle store holds nothing open.
 */
export interface ExpiringMap<V> {
  /** The value, unless absent or past its drop time (then it is removed). */
  get(key: string): V | undefined;
  /**
   * Sets or replaces the value, moving it to the young end. When the map is full of live entries,
   * the oldest makes room, or (`whenFull: 'refuse'`) nothing is set and false is returned.
   */
  set(key: string, value: V, dropAt: number): boolean;
  /** Removes and returns the value (undefined when absent or past its drop time). */
  take(key: string): V | undefined;
  delete(key: string): void;
  clear(): void;
  readonly size: number;
}

export type WhenFull = 'evict-oldest' | 'refuse';

export function createExpiringMap<V>(options: {
  maxEntries: number;
  now: () => number;
  whenFull?: WhenFull;
}): ExpiringMap<V> {
  const { maxEntries, now } = options;
  const refuse = options.whenFull === 'refuse';
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
      const replacing = entries.delete(key);
      purgeExpired(now());
      if (refuse && !replacing && entries.size >= maxEntries) return false;
      while (entries.size >= maxEntries) {
        const oldest = entries.keys().next();
        if (oldest.done === true) break;
        entries.delete(oldest.value);
      }
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
    get size() {
      return entries.size;
    },
  };
}
