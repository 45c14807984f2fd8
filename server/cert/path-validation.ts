import type { KeyPolicy } from './key-policy.js';
import { HPKI_KEY_POLICY } from './key-policy.js';
import type { ParsedCertificate } from './parsed-certificate.js';
import type { PathErrorCode } from './path-checks.js';
import { anchorProblem, certificateProblem, completePathProblem, issuerProblem } from './path-checks.js';
import type { SignatureBudget } from './signature.js';
import { createSignatureBudget } from './signature.js';
import type { TrustStore } from './trust-store.js';

/**
 * RFC 5280 path validation for HPKI (PROTOCOL.md §5 step 4): the path is built from the end entity
 * up to a configured anchor by name chaining (normalized names, AKI/SKI when both are present)
 * through configured, then token-supplied CA certificates, and checked: the key policy and the
 * certificate profile of every certificate before its key is used, CA flag and keyCertSign of
 * issuers; on a complete candidate path pathLen, name constraints and every validity period, and
 * only then its signatures. Every candidate issuer of a name is explored (cross-certificates,
 * re-keyed CAs), within the depth, candidate and signature bounds. The first path that passes
 * wins. Policies are not processed (no explicit-policy requirement): the HPKI EE policy is not in
 * its CA's policy set, so the purpose step checks it.
 */

export type { PathErrorCode } from './path-checks.js';

/** At most this many certificates above the end entity, the anchor included. */
export const MAX_PATH_DEPTH = 5;
/** Signature checks one path building may spend: one per certificate of the longest path, plus two wrong turns. */
export const MAX_PATH_SIGNATURE_CHECKS = MAX_PATH_DEPTH + 2;
/** Bound on candidate issuers looked at, whatever a token supplies. */
const MAX_CANDIDATES_TRIED = 64;

export type PathResult =
  | { ok: true /** End entity first, trust anchor last. */; path: ParsedCertificate[] }
  | {
      ok: false;
      code: PathErrorCode;
      message: string /** The structurally sound path whose dates failed. */;
      path?: ParsedCertificate[];
    };

export interface PathOptions {
  keyPolicy?: KeyPolicy;
  /** Shared with the caller to bound several path buildings together; default MAX_PATH_SIGNATURE_CHECKS. */
  budget?: SignatureBudget;
  /** Accept only paths that end at this anchor (a CRL issuer's path must end where the certificate's did, §6.3.3 f). */
  anchor?: ParsedCertificate;
  /**
   * Take each anchor as a name and a key only (RFC 5280 §6.1.1 d), without requiring its CA flag,
   * keyUsage or critical basicConstraints. For anchors an operator names for one narrow use (the
   * TSA roots of docs/signing.md, some of which are bare v3 certificates); never for HPKI roots.
   */
  anchorsAsKeys?: boolean;
}

/**
 * Whether every link of `path` (end entity first) verifies, from the anchor down; cached links are
 * free. Signatures come last, on a path that is otherwise complete, so a candidate issuer that
 * leads nowhere costs no signature check at all.
 */
function pathSigned(
  path: readonly ParsedCertificate[],
  store: TrustStore,
  budget: SignatureBudget,
): { ok: true } | { ok: false; stop: boolean; reason: string } {
  for (let i = path.length - 2; i >= 0; i--) {
    const cert = path[i]!;
    const issuer = path[i + 1]!;
    const signed = store.signedBy(cert, issuer, budget);
    if (signed === 'budget') return { ok: false, stop: true, reason: 'too many signature checks for one validation' };
    if (signed === 'no') {
      const reason = `signature of ${cert.subjectText} does not verify with the key of ${issuer.subjectText}`;
      return { ok: false, stop: false, reason };
    }
  }
  return { ok: true };
}

export function validatePath(
  ee: ParsedCertificate,
  supplied: readonly ParsedCertificate[],
  store: TrustStore,
  at: Date,
  options: PathOptions = {},
): PathResult {
  const keyPolicy = options.keyPolicy ?? HPKI_KEY_POLICY;
  const own = certificateProblem(ee, keyPolicy);
  if (own !== undefined) return { ok: false, code: 'ERR_CERT_UNTRUSTED', message: own };
  const budget = options.budget ?? createSignatureBudget(MAX_PATH_SIGNATURE_CHECKS);
  let found: ParsedCertificate[] | undefined;
  let dated: { code: PathErrorCode; message: string; path: ParsedCertificate[] } | undefined;
  let reason = `no issuer found for ${ee.decoded.issuer.length === 0 ? 'an empty issuer' : ee.info.issuerName || 'the issuer'}`;
  let tried = 0;
  let stopped = false;

  // A complete candidate path: structure and dates first, then its signatures.
  const finish = (path: ParsedCertificate[]): void => {
    const failure = completePathProblem(path, at);
    if (failure?.code === 'ERR_CERT_UNTRUSTED') {
      reason = failure.message;
      return;
    }
    const signed = pathSigned(path, store, budget);
    if (!signed.ok) {
      reason = signed.reason;
      stopped = signed.stop;
      return;
    }
    if (failure === undefined) found = path;
    else dated ??= { ...failure, path };
  };

  // Every candidate issuer of every name, depth first, anchors before configured before supplied.
  const extend = (chain: ParsedCertificate[]): void => {
    const cert = chain[chain.length - 1]!;
    if (chain.length > MAX_PATH_DEPTH) {
      reason = 'certificate path too long';
      return;
    }
    for (const candidate of store.issuerCandidates(cert, supplied)) {
      if (found !== undefined || stopped) return;
      if (++tried > MAX_CANDIDATES_TRIED) {
        reason = 'too many candidate issuers';
        stopped = true;
        return;
      }
      if (chain.some((c) => c.sha256 === candidate.sha256)) continue;
      const isAnchor = store.isAnchor(candidate);
      if (isAnchor && options.anchor !== undefined && candidate.sha256 !== options.anchor.sha256) continue;
      const problem =
        isAnchor && options.anchorsAsKeys
          ? candidate.keyProblem(keyPolicy)
          : (issuerProblem(candidate, keyPolicy) ?? (isAnchor ? anchorProblem(candidate) : undefined));
      if (problem !== undefined) {
        reason = problem;
        continue;
      }
      if (isAnchor) finish([...chain, candidate]);
      else extend([...chain, candidate]);
    }
  };
  extend([ee]);

  if (found !== undefined) return { ok: true, path: found };
  if (dated !== undefined) return { ok: false, ...dated };
  return { ok: false, code: 'ERR_CERT_UNTRUSTED', message: reason };
}
