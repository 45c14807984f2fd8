import type { ParsedCertificate } from '../cert/index.js';
import type { CertificateCheck, CertificateValidation } from './certificate-validator.js';

/**
 * Successful certificate validations (path, purpose, revocation), kept briefly so a busy site does
 * not rebuild the same doctor's path for every login. An entry answers only for times from when it
 * was validated until the earliest of `ttlMs` later and the first notAfter on its path: an earlier
 * time, an expired certificate or an old entry misses and is validated afresh. Failures are never
 * cached. The cost: a CRL that starts revoking the certificate takes effect up to `ttlMs` later (HPKI
 * publishes CRLs daily). The validator puts only validations of certificates the trust store keeps
 * (seen before): a first login that is not repeated leaves nothing behind to collect.
 *
 * Entries hang off the end-entity certificate object (a WeakMap, a few per certificate): the
 * lookup of a returning holder is an identity lookup and a comparison of the few fields, with no
 * key string built per login, and an entry goes when the certificate cache lets its certificate go.
 */

export const DEFAULT_VALIDATION_CACHE_MS = 60_000;
/** Different intermediates, purposes or policies asked about one certificate (one or two in practice). */
const MAX_ENTRIES_PER_CERTIFICATE = 4;

interface Entry {
  /** SHA-256 of the supplied certificates, in order. */
  supplied: readonly string[];
  purpose: CertificateCheck['purpose'];
  policyArcs: readonly string[] | undefined;
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

function sameList(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function matches(entry: Entry, supplied: readonly ParsedCertificate[], check: CertificateCheck): boolean {
  if (entry.purpose !== check.purpose || entry.supplied.length !== supplied.length) return false;
  for (let i = 0; i < supplied.length; i++) if (entry.supplied[i] !== supplied[i]!.sha256) return false;
  return sameList(entry.policyArcs, check.policyArcs);
}

export function createValidationCache(ttlMs: number = DEFAULT_VALIDATION_CACHE_MS): ValidationCache {
  // Expiry is by the validation time asked about (check.at), not the clock.
  const byCertificate = new WeakMap<ParsedCertificate, Entry[]>();
  return {
    get(ee, supplied, check) {
      if (ttlMs <= 0) return undefined;
      const entries = byCertificate.get(ee);
      if (entries === undefined) return undefined;
      const i = entries.findIndex((e) => matches(e, supplied, check));
      const entry = entries[i];
      if (entry === undefined) return undefined;
      const at = check.at.getTime();
      if (at >= entry.until) entries.splice(i, 1);
      return at < entry.from || at >= entry.until ? undefined : entry.validation;
    },
    put(ee, supplied, check, validation) {
      if (ttlMs <= 0 || validation.error !== undefined || validation.path === undefined) return;
      const from = check.at.getTime();
      const firstExpiry = Math.min(...validation.path.map((c) => c.info.notAfter.getTime()));
      const entry: Entry = {
        supplied: supplied.map((c) => c.sha256),
        purpose: check.purpose,
        policyArcs: check.policyArcs === undefined ? undefined : [...check.policyArcs],
        validation,
        from,
        until: Math.min(from + ttlMs, firstExpiry),
      };
      const entries = byCertificate.get(ee) ?? [];
      const old = entries.findIndex((e) => matches(e, supplied, check));
      if (old >= 0) entries.splice(old, 1);
      else if (entries.length >= MAX_ENTRIES_PER_CERTIFICATE) entries.shift();
      entries.push(entry);
      byCertificate.set(ee, entries);
    },
  };
}
