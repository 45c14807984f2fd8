import type { KeyPolicy, ParsedCertificate, SignatureBudget, TrustStore } from '../cert/index.js';
import { certificateProblem, validatePath, verifySignedData } from '../cert/index.js';
import type { ParsedCrl } from './crl.js';
import type { Steps } from './steps.js';

/**
 * Who signed a CRL (RFC 5280 §6.3.3 f–g): any certificate of the CRL issuer's name that the
 * verifier knows (the path's own, then anchors, configured and token-supplied certificates) whose
 * key verifies the CRL, that may sign CRLs, whose key the key policy accepts, and whose own path
 * ends at the same trust anchor and is not revoked. That covers CA key rollover (self-issued
 * old-with-new and new-with-old certificates) and separate CRL-signing keys, which HPKI CAs use
 * when they renew.
 */

export interface CrlSignatureCache {
  /** Whether `signer`'s key verifies `crl`; cached, and uncached checks spend the budget. */
  verify(crl: ParsedCrl, signer: ParsedCertificate, budget: SignatureBudget): 'yes' | 'no' | 'budget';
}

/** Keys remembered per CRL: its issuer's certificates (a handful, more after rollovers). */
const MAX_SIGNERS_PER_CRL = 64;

export function createCrlSignatureCache(): CrlSignatureCache {
  // Per CRL object (a replaced CRL takes its answers with it), then per signer SHA-256: no key
  // string is built for a lookup, which every validation makes.
  const results = new WeakMap<ParsedCrl, Map<string, boolean>>();
  return {
    verify(crl, signer, budget) {
      let bySigner = results.get(crl);
      const known = bySigner?.get(signer.sha256);
      if (known !== undefined) return known ? 'yes' : 'no';
      if (budget.remaining <= 0) return 'budget';
      budget.remaining--;
      const ok = verifySignedData(crl.tbs, crl.signatureAlgorithm, crl.signature, signer.verificationKey());
      if (bySigner === undefined) {
        bySigner = new Map();
        results.set(crl, bySigner);
      }
      if (bySigner.size >= MAX_SIGNERS_PER_CRL) bySigner.clear();
      bySigner.set(signer.sha256, ok);
      return ok ? 'yes' : 'no';
    },
  };
}

/** What finding a CRL's signer needs; `signerPathRevocationProblem` checks the signer's own path (recursion bounded by the caller). */
export interface CrlIssuerContext {
  store: TrustStore;
  supplied: readonly ParsedCertificate[];
  keyPolicy: KeyPolicy;
  at: Date;
  budget: SignatureBudget;
  signatures: CrlSignatureCache;
  /**
   * Why the signer's own path (signer first) is unusable because of revocation, or undefined, while
   * the status of `checking` (whose CRL this is) is being established.
   */
  signerPathRevocationProblem: (
    signerPath: readonly ParsedCertificate[],
    checking: ParsedCertificate,
  ) => Steps<string | undefined>;
}

export type SignerResult = { signer: ParsedCertificate } | { problem: string };

/**
 * Possible signers of `crl`, in order, made one at a time: the first (the issuer above on the path)
 * nearly always signed it, and then neither the trust store is searched nor a list built.
 */
function* candidatesFor(
  crl: ParsedCrl,
  path: readonly ParsedCertificate[],
  position: number,
  ctx: CrlIssuerContext,
): Generator<ParsedCertificate> {
  const seen: string[] = [];
  const fresh = (c: ParsedCertificate): boolean => {
    if (c.subjectKey !== crl.issuerKey || seen.includes(c.sha256)) return false;
    seen.push(c.sha256);
    return true;
  };
  // The certificates above it on its own path first; the anchor may sign the list that covers itself.
  for (let j = position + 1; j < path.length; j++) if (fresh(path[j]!)) yield path[j]!;
  if (position === path.length - 1 && fresh(path[position]!)) yield path[position]!;
  for (const c of ctx.store.certificatesNamed(crl.issuerKey, ctx.supplied)) if (fresh(c)) yield c;
}

function cannotSignCrls(candidate: ParsedCertificate, crl: ParsedCrl, keyPolicy: KeyPolicy): string | undefined {
  // §4.2.1.3, §6.3.3 f: cRLSign is required only when keyUsage is present; without it the key is unrestricted.
  if (candidate.keyUsage !== undefined && !candidate.keyUsage.cRLSign)
    return `${candidate.subjectText} may not sign CRLs`;
  if (
    crl.authorityKeyId !== undefined &&
    candidate.subjectKeyId !== undefined &&
    crl.authorityKeyId !== candidate.subjectKeyId
  ) {
    return `${candidate.subjectText} has another key identifier`;
  }
  return certificateProblem(candidate, keyPolicy);
}

/**
 * The certificate that signed `crl`, for the certificate at `position` of `path` (the validated
 * path, end entity first, anchor last). Cheap checks and the signer's own path come before the CRL
 * signature, which may cover megabytes. Steps (steps.ts): the usual signer, the issuer above on the
 * path, is found at once, with no promise; the steps wait only when a signer outside the path needs
 * its own revocation checked and that check waits for a CRL.
 */
export function* findCrlSigner(
  crl: ParsedCrl,
  path: readonly ParsedCertificate[],
  position: number,
  ctx: CrlIssuerContext,
): Steps<SignerResult> {
  let problem: string | undefined;
  const anchor = path[path.length - 1]!;
  for (const candidate of candidatesFor(crl, path, position, ctx)) {
    const unfit = cannotSignCrls(candidate, crl, ctx.keyPolicy);
    if (unfit !== undefined) {
      problem = unfit;
      continue;
    }
    if (!onPathAbove(candidate, path, position, anchor)) {
      const built = validatePath(candidate, ctx.supplied, ctx.store, ctx.at, {
        keyPolicy: ctx.keyPolicy,
        budget: ctx.budget,
        anchor,
      });
      if (!built.ok) {
        problem = `the CRL signer ${candidate.subjectText} has no valid path: ${built.message}`;
        continue;
      }
      const revoked = yield* ctx.signerPathRevocationProblem(built.path, path[position]!);
      if (revoked !== undefined) {
        problem = `the CRL signer ${candidate.subjectText}: ${revoked}`;
        continue;
      }
    }
    const signed = ctx.signatures.verify(crl, candidate, ctx.budget);
    if (signed === 'budget') return { problem: 'too many signature checks for one validation' };
    if (signed === 'yes') return { signer: candidate };
    problem = `the CRL does not verify with the key of ${candidate.subjectText}`;
  }
  return { problem: problem ?? `no certificate of ${crl.issuerText} verifies the CRL` };
}

/** Whether `candidate` is above `position` on the validated path (its path is that one) or its anchor. */
function onPathAbove(
  candidate: ParsedCertificate,
  path: readonly ParsedCertificate[],
  position: number,
  anchor: ParsedCertificate,
): boolean {
  if (candidate.sha256 === anchor.sha256) return true;
  for (let j = position + 1; j < path.length; j++) if (path[j]!.sha256 === candidate.sha256) return true;
  return false;
}
