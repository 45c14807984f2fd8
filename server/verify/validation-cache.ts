import type { ParsedCertificate } from '../cert/index.js';
import { createExpiringMap } from '../shared/index.js';
import type { CertificateCheck, CertificateValidation } from './certificate-validator.js';

/**
 * Successful certificate validations (path, purpose, revocation), kept briefly so a busy site does
 * not rebuild the same doctor's path for every login. An entry answers only for times from when it
 * was validated until the earliest of `ttlMs` later and the first notAfter on its path: an earlier
 * time, an expired certificate or an old entry misses and is validated afresh. Failures are never
 * cached. The cost: a CRL that starts revoking the certificate takes effect up to `ttlMs` later (HPKI
 * publishes CRLs daily). The validator puts only validations of certificates the trust store keeps
 * (seen before): a first login that is not repeated leaves nothing behind to collect.
 */

export const DEFAULT_VALIDATION_CACHE_MS = 60_000;
const MAX_ENTRIES = 1024;

interface Entry {
  validation: CertificateValidation;
  from: number;
  until: number;
}

export interface ValidationCache {
  get(
    ee: ParsedCertificate,
    supplied: readonly ParsedCertificate[],
    check: CertificateCheck,
  ): CertificateValidation | undefined;
  put(
    ee: ParsedCertificate,
    supplied: readonly ParsedCertificate[],
    check: CertificateCheck,
    validation: CertificateValidation,
  ): void;
}

function keyOf(ee: ParsedCertificate, supplied: readonly ParsedCertificate[], check: CertificateCheck): string {
  return [ee.sha256, ...supplied.map((c) => c.sha256), check.purpose ?? '-', ...(check.policyArcs ?? [])].join('|');
}

export function createValidationCache(ttlMs: number = DEFAULT_VALIDATION_CACHE_MS): ValidationCache {
  // Expiry is by the validation time asked about (check.at), not the clock: the map only bounds.
  const entries = createExpiringMap<Entry>({ maxEntries: MAX_ENTRIES, now: Date.now, whenFull: 'evict-oldest' });
  return {
    get(ee, supplied, check) {
      if (ttlMs <= 0) return undefined;
      const key = keyOf(ee, supplied, check);
      const entry = entries.get(key);
      const at = check.at.getTime();
      if (entry === undefined) return undefined;
      if (at < entry.from || at >= entry.until) {
        if (at >= entry.until) entries.delete(key);
        return undefined;
      }
      return entry.validation;
    },
    put(ee, supplied, check, validation) {
      if (ttlMs <= 0 || validation.error !== undefined || validation.path === undefined) return;
      const from = check.at.getTime();
      const firstExpiry = Math.min(...validation.path.map((c) => c.info.notAfter.getTime()));
      const key = keyOf(ee, supplied, check);
      entries.set(key, { validation, from, until: Math.min(from + ttlMs, firstExpiry) }, Number.POSITIVE_INFINITY);
    },
  };
}
