import type { CertificateCache, ParsedCertificate } from './parsed-certificate.js';
import { createCertificateCache, parseCertificate } from './parsed-certificate.js';
import { verifySignedData } from './signature.js';

/**
 * The configured trust: anchors and intermediate CA certificates, parsed once and indexed by
 * subject, plus the work that does not depend on a token: verified issuer→subject signatures
 * (keyed by both certificates' SHA-256) and parsed certificates seen in tokens.
 */
export interface TrustStore {
  readonly anchors: readonly ParsedCertificate[];
  readonly intermediates: readonly ParsedCertificate[];
  isAnchor(cert: ParsedCertificate): boolean;
  /** Possible issuers of `cert`: anchors first, then configured, then `supplied` certificates. */
  issuerCandidates(cert: ParsedCertificate, supplied: readonly ParsedCertificate[]): ParsedCertificate[];
  /** Whether `issuer`'s key verifies `cert`'s signature; cached. */
  signedBy(cert: ParsedCertificate, issuer: ParsedCertificate): boolean;
  /** Parses (or finds) a certificate that arrived with a token. */
  parse(der: Uint8Array): ParsedCertificate;
}

export interface TrustStoreOptions {
  anchors: readonly Uint8Array[];
  intermediates?: readonly Uint8Array[];
  /** How many token certificates to keep parsed. */
  certificateCacheSize?: number;
}

const MAX_SIGNATURE_CACHE = 16_384;

function parseConfigured(der: Uint8Array, what: string): ParsedCertificate {
  try {
    return parseCertificate(der);
  } catch (err) {
    throw new Error(`${what} is not a valid DER certificate`, { cause: err });
  }
}

function index(certs: readonly ParsedCertificate[]): Map<string, ParsedCertificate[]> {
  const out = new Map<string, ParsedCertificate[]>();
  for (const c of certs) out.set(c.subjectKey, [...(out.get(c.subjectKey) ?? []), c]);
  return out;
}

function keyIdsAgree(cert: ParsedCertificate, issuer: ParsedCertificate): boolean {
  return cert.authorityKeyId === undefined || issuer.subjectKeyId === undefined || cert.authorityKeyId === issuer.subjectKeyId;
}

export function createTrustStore(options: TrustStoreOptions): TrustStore {
  if (options.anchors.length === 0) throw new Error('at least one trust anchor is needed');
  const anchors = options.anchors.map((der, i) => parseConfigured(der, `trust anchor #${i + 1}`));
  const intermediates = (options.intermediates ?? []).map((der, i) => parseConfigured(der, `intermediate #${i + 1}`));
  const anchorHashes = new Set(anchors.map((a) => a.sha256));
  const anchorIndex = index(anchors);
  const intermediateIndex = index(intermediates);
  const signatures = new Map<string, boolean>();
  const cache: CertificateCache = createCertificateCache(options.certificateCacheSize ?? 1024);

  return {
    anchors,
    intermediates,
    isAnchor: (cert) => anchorHashes.has(cert.sha256),
    issuerCandidates(cert, supplied) {
      const seen = new Set<string>();
      const out: ParsedCertificate[] = [];
      const add = (c: ParsedCertificate): void => {
        if (seen.has(c.sha256) || c.subjectKey !== cert.issuerKey || !keyIdsAgree(cert, c)) return;
        seen.add(c.sha256);
        out.push(c);
      };
      for (const c of anchorIndex.get(cert.issuerKey) ?? []) add(c);
      for (const c of intermediateIndex.get(cert.issuerKey) ?? []) add(c);
      for (const c of supplied) add(c);
      return out;
    },
    signedBy(cert, issuer) {
      const key = `${cert.sha256}>${issuer.sha256}`;
      const known = signatures.get(key);
      if (known !== undefined) return known;
      const d = cert.decoded;
      const ok = verifySignedData(d.tbs, d.signatureAlgorithm, d.signature, issuer.publicKey);
      if (signatures.size >= MAX_SIGNATURE_CACHE) signatures.clear();
      signatures.set(key, ok);
      return ok;
    },
    parse: (der) => cache.get(der),
  };
}
