import type { CertificateCache, ParsedCertificate } from './parsed-certificate.js';
import { createCertificateCache, parseCertificate } from './parsed-certificate.js';
import type { SignatureBudget } from './signature.js';
import { verifySignedData } from './signature.js';

/**
 * The configured trust: anchors and intermediate CA certificates, parsed once and indexed by
 * subject, plus the work that does not depend on a token: verified issuer→subject signatures
 * (remembered by the subject certificate, per issuer SHA-256) and parsed certificates seen in tokens.
 */
export interface TrustStore {
  readonly anchors: readonly ParsedCertificate[];
  readonly intermediates: readonly ParsedCertificate[];
  /** Configured intermediates that could not be parsed, skipped (the rest still works). */
  readonly skippedIntermediates: readonly SkippedInput[];
  isAnchor(cert: ParsedCertificate): boolean;
  /**
   * Possible issuers of `cert`: anchors first, then configured intermediates, then `supplied`
   * certificates (a token's), so that a token cannot make the verifier try its own CAs before
   * the ones the operator configured.
   */
  issuerCandidates(cert: ParsedCertificate, supplied: readonly ParsedCertificate[]): ParsedCertificate[];
  /** Certificates whose subject has this name key, in the same order as issuerCandidates. */
  certificatesNamed(subjectKey: string, supplied: readonly ParsedCertificate[]): ParsedCertificate[];
  /**
   * Whether `issuer`'s key verifies `cert`'s signature; cached. An uncached check spends one unit of
   * `budget`; with none left the answer is 'budget' and nothing is verified.
   */
  signedBy(cert: ParsedCertificate, issuer: ParsedCertificate, budget: SignatureBudget): 'yes' | 'no' | 'budget';
  /**
   * Parses (or finds) a certificate that arrived with a token. The result may share `der`'s
   * memory for the request at hand; what is kept across requests is a copy.
   */
  parse(der: Uint8Array): ParsedCertificate;
  /** `parse` of the bytes `decode(text)` gives, found by the text itself when kept (undefined: it does not decode). */
  parseEncoded(text: string, decode: (text: string) => Uint8Array | undefined): ParsedCertificate | undefined;
  /** Whether `cert` is kept across requests (seen before): worth caching more work for. */
  keeps(cert: ParsedCertificate): boolean;
}

export interface SkippedInput {
  /** 0-based position in the option's list. */
  index: number;
  reason: string;
}

export interface TrustStoreOptions {
  anchors: readonly Uint8Array[];
  intermediates?: readonly Uint8Array[];
  /** How many token certificates to keep parsed. */
  certificateCacheSize?: number;
}

/** Candidate issuers whose signature check a certificate remembers (a handful in any real PKI). */
const MAX_ISSUERS_REMEMBERED = 16;

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function index(certs: readonly ParsedCertificate[]): Map<string, ParsedCertificate[]> {
  const out = new Map<string, ParsedCertificate[]>();
  for (const c of certs) out.set(c.subjectKey, [...(out.get(c.subjectKey) ?? []), c]);
  return out;
}

function keyIdsAgree(cert: ParsedCertificate, issuer: ParsedCertificate): boolean {
  return (
    cert.authorityKeyId === undefined ||
    issuer.subjectKeyId === undefined ||
    cert.authorityKeyId === issuer.subjectKeyId
  );
}

export function createTrustStore(options: TrustStoreOptions): TrustStore {
  if (options.anchors.length === 0) throw new Error('at least one trust anchor is needed');
  const anchors = options.anchors.map((der, i) => {
    try {
      return parseCertificate(der);
    } catch (err) {
      // An anchor is the root of all trust: a broken one is a configuration error, not a skip.
      throw new Error(`trust anchor #${i + 1} is not a valid DER certificate: ${errorText(err)}`, { cause: err });
    }
  });
  const skippedIntermediates: SkippedInput[] = [];
  const intermediates: ParsedCertificate[] = [];
  (options.intermediates ?? []).forEach((der, i) => {
    try {
      intermediates.push(parseCertificate(der));
    } catch (err) {
      skippedIntermediates.push({ index: i, reason: errorText(err) });
    }
  });
  const anchorHashes = new Set(anchors.map((a) => a.sha256));
  const anchorIndex = index(anchors);
  const intermediateIndex = index(intermediates);
  const cache: CertificateCache = createCertificateCache(options.certificateCacheSize ?? 1024);

  const named = (
    subjectKey: string,
    supplied: readonly ParsedCertificate[],
    accept: (c: ParsedCertificate) => boolean,
  ): ParsedCertificate[] => {
    // A handful of candidates at most: a list scan is cheaper than a Set.
    const out: ParsedCertificate[] = [];
    const add = (c: ParsedCertificate): void => {
      if (c.subjectKey !== subjectKey || !accept(c) || out.some((o) => o.sha256 === c.sha256)) return;
      out.push(c);
    };
    for (const c of anchorIndex.get(subjectKey) ?? []) add(c);
    for (const c of intermediateIndex.get(subjectKey) ?? []) add(c);
    for (const c of supplied) add(c);
    return out;
  };

  return {
    anchors,
    intermediates,
    skippedIntermediates,
    isAnchor: (cert) => anchorHashes.has(cert.sha256),
    issuerCandidates: (cert, supplied) => named(cert.issuerKey, supplied, (c) => keyIdsAgree(cert, c)),
    certificatesNamed: (subjectKey, supplied) => named(subjectKey, supplied, () => true),
    signedBy(cert, issuer, budget) {
      // Remembered on the certificate itself: it lives as long as the certificate is cached, and
      // an end entity seen once takes its answer with it instead of leaving a global entry behind.
      const known = cert.issuerSignatures.get(issuer.sha256);
      if (known !== undefined) return known ? 'yes' : 'no';
      if (budget.remaining <= 0) return 'budget';
      budget.remaining--;
      const d = cert.decoded;
      const ok = verifySignedData(d.tbs, d.signatureAlgorithm, d.signature, issuer.verificationKey());
      if (cert.issuerSignatures.size >= MAX_ISSUERS_REMEMBERED) cert.issuerSignatures.clear();
      cert.issuerSignatures.set(issuer.sha256, ok);
      return ok ? 'yes' : 'no';
    },
    parse: (der) => cache.get(der),
    parseEncoded: (text, decode) => cache.getEncoded(text, decode),
    keeps: (cert) => cache.keeps(cert),
  };
}
