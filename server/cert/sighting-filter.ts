/**
 * A fixed-size memory of recently seen SHA-256 hashes, for caches that should keep only what comes
 * back. A morning of first logins would otherwise fill the verifier's caches with certificates seen
 * once, and each entry that ages out is collected from V8's old generation, which costs the server
 * more than the entry ever saved. It allocates nothing per call: one 32-bit fingerprint per slot in a
 * typed array. A slot can be overwritten (a hash is forgotten: its next sighting counts as a first)
 * or, on a fingerprint collision, taken for another hash (an entry is cached one sighting early):
 * either costs speed, never correctness, since the caches behind it recompute what they miss.
 */
export interface SightingFilter {
  /** Records a sighting of `sha256Hex` (64 hex digits) and says whether it was seen before. */
  seenBefore(sha256Hex: string): boolean;
}

/** `capacity` hashes are remembered at best; the slots are the next power of two. */
export function createSightingFilter(capacity: number): SightingFilter {
  const slots = 2 ** Math.ceil(Math.log2(Math.max(1, capacity)));
  const fingerprints = new Uint32Array(slots);
  return {
    seenBefore(sha256Hex) {
      // Two independent 32-bit words of the hash: one picks the slot, the other is the fingerprint
      // (never 0, which marks an empty slot).
      const slot = Number.parseInt(sha256Hex.slice(0, 8), 16) & (slots - 1);
      const fingerprint = Number.parseInt(sha256Hex.slice(8, 16), 16) >>> 0 || 1;
      if (fingerprints[slot] === fingerprint) return true;
      fingerprints[slot] = fingerprint;
      return false;
    },
  };
}
