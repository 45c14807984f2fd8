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

/** What finding a CRL's signer needs; `signerRevoked` checks the signer's own path (recursion bounded by the caller). */
export interface CrlIssuerContext {
  store: TrustStore;
  supplied: readonly ParsedCertificate[];
  keyPolicy: KeyPolicy;
  at: Date;
  budget: SignatureBudget;
  signatures: CrlSignatureCache;
  /** The validated path (end entity first, anchor last) the certificate under check belongs to. */
  path: readonly ParsedCertificate[];
  /** Why the signer's own path (signer first) is unusable because of revocation, or undefined. */
  signerPathRevocationProblem: (signerPath: readonly ParsedCertificate[]) => Steps<string | undefined>;
}

export type SignerResult = { signer: ParsedCertificate } | { problem: string };

/**
 * Possible signers of `crl`, in order, made one at a time: the first (the issuer above on the path)
 * nearly always signed it, and then neither the trust store is searched nor a list built.
 */
function* candidatesFor(crl: ParsedCrl, position: number, ctx: CrlIssuerContext): Generator<ParsedCertificate> {
  const seen: string[] = [];
  const fresh = (c: ParsedCertificate): boolean => {
    if (c.subjectKey !== crl.issuerKey || seen.includes(c.sha256)) return false;
    seen.push(c.sha256);
    return true;
  };
  // The certificates above it on its own path first; the anchor may sign the list that covers itself.
  for (let j = position + 1; j < ctx.path.length; j++) if (fresh(ctx.path[j]!)) yield ctx.path[j]!;
  if (position === ctx.path.length - 1 && fresh(ctx.path[position]!)) yield ctx.path[position]!;
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
 * The certificate that signed `crl`, for the certificate at `position` of `ctx.path`. Cheap checks
 * and the signer's own path come before the CRL signature, which may cover megabytes. Steps
 * (steps.ts): the usual signer, the issuer above on the path, is found at once, with no promise;
 * the steps wait only when a signer outside the path needs its own revocation checked and that
 * check waits for a CRL.
 */
export function* findCrlSigner(crl: ParsedCrl, position: number, ctx: CrlIssuerContext): Steps<SignerResult> {
  let problem = `no certificate of ${crl.issuerText} verifies the CRL`;
  const anchor = ctx.path[ctx.path.length - 1]!;
  for (const candidate of candidatesFor(crl, position, ctx)) {
    const unfit = cannotSignCrls(candidate, crl, ctx.keyPolicy);
    if (unfit !== undefined) {
      problem = unfit;
      continue;
    }
    const inPath =
      ctx.path.findIndex((c) => c.sha256 === candidate.sha256) > position || candidate.sha256 === anchor.sha256;
    if (!inPath) {
      const built = validatePath(candidate, ctx.supplied, ctx.store, ctx.at, {
        keyPolicy: ctx.keyPolicy,
        budget: ctx.budget,
        anchor,
      });
      if (!built.ok) {
        problem = `the CRL signer ${candidate.subjectText} has no valid path: ${built.message}`;
        continue;
      }
      const revoked = yield* ctx.signerPathRevocationProblem(built.path);
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
  return { problem };
}
