import type { ParsedCertificate } from '../cert/parsed-certificate.js';
import { verifySignedData } from '../cert/signature.js';
import type { ParsedCrl } from './crl.js';
import { CrlFormatError, parseCrl } from './crl.js';

/**
 * CRLs configured from files, indexed by issuer name, and the check that a CRL was signed by a
 * given CA certificate (same key; the CA may sign CRLs), cached per (CRL, CA) pair.
 */
export interface CrlStore {
  /** Configured CRLs whose issuer name is the certificate's issuer. */
  byIssuerOf(cert: ParsedCertificate): readonly ParsedCrl[];
  signedBy(crl: ParsedCrl, issuer: ParsedCertificate): boolean;
  readonly size: number;
}

const MAX_SIGNATURE_CACHE = 4096;
const NONE: readonly ParsedCrl[] = Object.freeze([]);

export function createCrlStore(ders: readonly Uint8Array[] = [], maxBytes?: number): CrlStore {
  const index = new Map<string, ParsedCrl[]>();
  ders.forEach((der, i) => {
    let crl: ParsedCrl;
    try {
      crl = parseCrl(der, maxBytes);
    } catch (err) {
      throw new CrlFormatError(`CRL #${i + 1}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    index.set(crl.issuerKey, [...(index.get(crl.issuerKey) ?? []), crl]);
  });
  const signatures = new Map<string, boolean>();
  return {
    byIssuerOf: (cert) => index.get(cert.issuerKey) ?? NONE,
    signedBy(crl, issuer) {
      const key = `${crl.sha256}>${issuer.sha256}`;
      const known = signatures.get(key);
      if (known !== undefined) return known;
      const ok =
        crl.issuerKey === issuer.subjectKey &&
        (issuer.keyUsage === undefined || issuer.keyUsage.cRLSign) &&
        verifySignedData(crl.tbs, crl.signatureAlgorithm, crl.signature, issuer.publicKey);
      if (signatures.size >= MAX_SIGNATURE_CACHE) signatures.clear();
      signatures.set(key, ok);
      return ok;
    },
    size: ders.length,
  };
}
