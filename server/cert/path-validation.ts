import type { ParsedCertificate } from './parsed-certificate.js';
import type { TrustStore } from './trust-store.js';

/**
 * RFC 5280 path validation for HPKI (PROTOCOL.md §5 step 4): the path is built from the end entity
 * up to a configured anchor by name chaining (normalized names, AKI/SKI when both are present)
 * through configured or token-supplied CA certificates, then checked: every signature, CA flag,
 * keyCertSign and pathLen of issuers, no unknown critical extension, and every certificate valid at
 * the given time. Policies are not processed here (no explicit-policy requirement): the HPKI EE
 * policy is not in its CA's policy set, so the purpose step checks it instead.
 */

/** At most this many certificates above the end entity, the anchor included. */
export const MAX_PATH_DEPTH = 5;
/** Bound on candidate issuers tried, whatever a token supplies. */
const MAX_CANDIDATES_TRIED = 64;

export type PathErrorCode = 'ERR_CERT_UNTRUSTED' | 'ERR_CERT_EXPIRED' | 'ERR_CERT_NOT_YET_VALID';

export type PathResult =
  | { ok: true; /** End entity first, trust anchor last. */ path: ParsedCertificate[] }
  | { ok: false; code: PathErrorCode; message: string; /** The structurally sound path whose dates failed. */ path?: ParsedCertificate[] };

function issuerProblem(candidate: ParsedCertificate, chainBelow: readonly ParsedCertificate[]): string | undefined {
  if (candidate.basicConstraints?.ca !== true) return `${candidate.subjectText} is not a CA certificate`;
  if (candidate.keyUsage !== undefined && !candidate.keyUsage.keyCertSign) return `${candidate.subjectText} may not sign certificates`;
  if (candidate.unknownCriticalExtensions.length > 0) {
    return `${candidate.subjectText} has unsupported critical extension ${candidate.unknownCriticalExtensions.join(', ')}`;
  }
  const pathLen = candidate.basicConstraints.pathLen;
  if (pathLen !== undefined) {
    const intermediatesBelow = chainBelow.slice(1).filter((c) => !c.selfIssued).length;
    if (intermediatesBelow > pathLen) return `${candidate.subjectText} allows ${pathLen} CA certificates below it`;
  }
  return undefined;
}

function dateProblem(path: readonly ParsedCertificate[], at: Date): { code: PathErrorCode; message: string } | undefined {
  const t = at.getTime();
  for (const cert of path) {
    const { notBefore, notAfter } = cert.decoded;
    if (t < notBefore.getTime()) {
      return { code: 'ERR_CERT_NOT_YET_VALID', message: `${cert.subjectText} is valid only from ${notBefore.toISOString()}` };
    }
    if (t > notAfter.getTime()) {
      return { code: 'ERR_CERT_EXPIRED', message: `${cert.subjectText} expired at ${notAfter.toISOString()}` };
    }
  }
  return undefined;
}

export function validatePath(
  ee: ParsedCertificate,
  supplied: readonly ParsedCertificate[],
  store: TrustStore,
  at: Date,
): PathResult {
  if (ee.unknownCriticalExtensions.length > 0) {
    return { ok: false, code: 'ERR_CERT_UNTRUSTED', message: `unsupported critical extension ${ee.unknownCriticalExtensions.join(', ')}` };
  }
  const complete: ParsedCertificate[][] = [];
  let reason = `no issuer found for ${ee.decoded.issuer.length === 0 ? 'an empty issuer' : ee.info.issuerName || 'the issuer'}`;
  let tried = 0;

  const extend = (chain: ParsedCertificate[]): void => {
    const cert = chain[chain.length - 1]!;
    if (chain.length > MAX_PATH_DEPTH) {
      reason = 'certificate path too long';
      return;
    }
    for (const candidate of store.issuerCandidates(cert, supplied)) {
      if (complete.length > 0 && dateProblem(complete[0]!, at) === undefined) return;
      if (++tried > MAX_CANDIDATES_TRIED) return;
      if (chain.some((c) => c.sha256 === candidate.sha256)) continue;
      const problem = issuerProblem(candidate, chain);
      if (problem !== undefined) {
        reason = problem;
        continue;
      }
      if (!store.signedBy(cert, candidate)) {
        reason = `signature of ${cert.subjectText} does not verify with the key of ${candidate.subjectText}`;
        continue;
      }
      const next = [...chain, candidate];
      if (store.isAnchor(candidate)) {
        if (dateProblem(next, at) === undefined) complete.unshift(next);
        else complete.push(next);
      } else {
        extend(next);
      }
    }
  };
  extend([ee]);

  const best = complete[0];
  if (best === undefined) return { ok: false, code: 'ERR_CERT_UNTRUSTED', message: reason };
  const dates = dateProblem(best, at);
  return dates === undefined ? { ok: true, path: best } : { ok: false, ...dates, path: best };
}
