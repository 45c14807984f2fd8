import { nameKey } from '../../protocol/x500-name.js';
import type { ParsedCertificate, SkippedInput } from '../cert/index.js';
import type { ParsedCrl } from './crl.js';
import { parseCrl } from './crl.js';

/**
 * CRLs configured from files, indexed by issuer name. A CRL that cannot be read is skipped and
 * reported, never fatal: one broken file must not take revocation checking (or the verifier) down
 * with it, and the certificates it would have covered simply have no CRL from it.
 */
export interface CrlStore {
  /** Configured CRLs (complete and delta) of the certificate's issuer or of a cRLIssuer its distribution points name. */
  relevantTo(cert: ParsedCertificate): readonly ParsedCrl[];
  /** CRLs that could not be parsed. */
  readonly rejected: readonly SkippedInput[];
  readonly size: number;
}

const NONE: readonly ParsedCrl[] = Object.freeze([]);

/** Name keys of the CRL issuers a certificate's distribution points name besides its issuer. */
export function crlIssuerKeys(cert: ParsedCertificate): string[] {
  const keys = [cert.issuerKey];
  for (const dp of cert.crlDistributionPoints) {
    for (const n of dp.crlIssuer ?? []) {
      if (n.kind !== 'directoryName') continue;
      const key = nameKey(n.name);
      if (!keys.includes(key)) keys.push(key);
    }
  }
  return keys;
}

export function createCrlStore(ders: readonly Uint8Array[] = [], maxBytes?: number): CrlStore {
  const index = new Map<string, ParsedCrl[]>();
  const rejected: SkippedInput[] = [];
  let size = 0;
  ders.forEach((der, i) => {
    let crl: ParsedCrl;
    try {
      crl = parseCrl(der, maxBytes);
    } catch (err) {
      rejected.push({ index: i, reason: err instanceof Error ? err.message : String(err) });
      return;
    }
    index.set(crl.issuerKey, [...(index.get(crl.issuerKey) ?? []), crl]);
    size++;
  });
  return {
    relevantTo(cert) {
      const keys = crlIssuerKeys(cert);
      if (keys.length === 1) return index.get(keys[0]!) ?? NONE;
      return keys.flatMap((k) => index.get(k) ?? []);
    },
    rejected,
    size,
  };
}
