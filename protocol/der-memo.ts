/**
 * Remembering decoded DER by content: a cheap hash of the octets with an exact comparison behind
 * it, for the decoders' caches (OIDs, issuer names, extension values that repeat across the
 * certificates of one CA). Nothing here allocates on a hit.
 */

/** FNV-1a over `bytes[start, end)`: a cheap, allocation-free hash for the decoders' caches. */
export function hashBytes(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return (h >>> 0) + (end - start) * 2 ** 32;
}

/** Whether `a` equals `b[start, end)`. */
export function sameOctets(a: Uint8Array, b: Uint8Array, start: number, end: number): boolean {
  if (a.length !== end - start) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[start + i]) return false;
  return true;
}

/**
 * A decoder that remembers its result per extension value *content*: the holder description, the
 * path and the profile rules read some of the same extensions, and the end entities of one CA
 * carry byte-identical policies, key usage, AKI, CRLDP and hcRole values. Bounded; results are
 * shared, so callers never modify them.
 */
export function memoizedDecoder<T>(decode: (value: Uint8Array) => T, maxEntries = 256): (value: Uint8Array) => T {
  const results = new Map<number, { value: Uint8Array; result: T }>();
  return (value) => {
    const key = hashBytes(value);
    const known = results.get(key);
    if (known !== undefined && sameOctets(known.value, value, 0, value.length)) return known.result;
    const result = decode(value);
    if (results.size >= maxEntries) results.clear();
    results.set(key, { value: value.slice(), result });
    return result;
  };
}
