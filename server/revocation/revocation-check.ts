import { ALL_REASONS } from '../../protocol/distribution-points.js';
import type { KeyPolicy, ParsedCertificate, SignatureBudget, TrustStore } from '../cert/index.js';
import { createSignatureBudget, HPKI_KEY_POLICY } from '../cert/index.js';
import type { ParsedCrl, RevokedEntry } from './crl.js';
import { findEntry, isCrlFresh } from './crl.js';
import { CRL_REASON } from './crl-entries.js';
import type { CrlIssuerContext, CrlSignatureCache, SignerResult } from './crl-issuer.js';
import { createCrlSignatureCache, findCrlSigner } from './crl-issuer.js';
import { crlScopeProblem, deltaApplies, interimReasons, issuerDistributionPoint } from './crl-scope.js';
import type { Steps } from './steps.js';
import { runSteps } from './steps.js';

/**
 * Revocation of a validated path by CRL (PROTOCOL.md §5 step 5, RFC 5280 §6.3). For each
 * certificate, each of its distribution points (and the issuer's own, for CRLs named in none) is
 * matched with the CRLs of its issuer or cRLIssuer; a CRL counts when it is in scope, usable,
 * issued by `at`, signed by a valid CRL issuer of the same anchor (crl-issuer.ts), and current
 * itself or through a current delta CRL merged with it. The certificate is good once the current
 * lists together cover every reason. A revocation found in any authentic list that covers the
 * certificate is final even when that list is stale, except a hold, which only a current list
 * proves. The end entity needs an answer; a CA certificate is checked when CRLs of its issuer
 * cover it (the MHLW ARLs), and is otherwise "not checked".
 */

export type CertificateRevocationStatus = 'good' | 'revoked' | 'unknown' | 'not-checked';

export interface CertificateRevocation {
  subject: string;
  status: CertificateRevocationStatus;
  /** Why the status is what it is, for logs and the CLI. */
  detail: string;
}

export interface PathRevocation {
  /** revoked if any certificate is; else unknown if any is; else good for the end entity. */
  status: 'good' | 'revoked' | 'unknown';
  certificates: CertificateRevocation[];
}

/** Where CRLs for one certificate come from: configured files, fetched CRLDP URIs. */
export interface CrlProvider {
  /** Synchronous when nothing needs fetching, which keeps a warm validation off the microtask queue. */
  crlsFor(cert: ParsedCertificate, endEntity: boolean): readonly ParsedCrl[] | Promise<readonly ParsedCrl[]>;
}

export interface RevocationOptions {
  /** Where CRL signers are looked for (anchors, configured intermediates). */
  store: TrustStore;
  /** Token-supplied certificates, also candidates for CRL signers. */
  supplied?: readonly ParsedCertificate[];
  keyPolicy?: KeyPolicy;
  signatures?: CrlSignatureCache;
  budget?: SignatureBudget;
}

/** Signature checks the revocation step of one validation may spend beyond cached ones. */
export const MAX_REVOCATION_SIGNATURE_CHECKS = 16;
/** How deep CRL signers' own paths are checked for revocation (a CRL signer of a CRL signer …). */
const MAX_SIGNER_DEPTH = 2;

interface Context extends CrlIssuerContext {
  provider: CrlProvider;
  depth: number;
  inProgress: ReadonlySet<string>;
}

/** The context with its CRL signers' own revocation checked under it (one closure per context, not per certificate). */
function withSignerCheck(fields: Omit<Context, 'signerPathRevocationProblem'>): Context {
  const ctx: Context = {
    ...fields,
    signerPathRevocationProblem: (signerPath, checking) => signerRevocationProblem(signerPath, checking, ctx),
  };
  return ctx;
}

const HOLD = CRL_REASON.certificateHold;
/** Never changed: a signer's check copies it before adding to it. */
const NOTHING_IN_PROGRESS: ReadonlySet<string> = new Set();
const NO_CRL_NUMBER = 'RFC 5280 §5.2.3: the CRL has no cRLNumber, so it is not relied on for "good"';

function isIrreversible(entry: RevokedEntry): boolean {
  return entry.reason !== HOLD && entry.reason !== CRL_REASON.removeFromCRL;
}

function revokedDetail(entry: RevokedEntry): string {
  return `revoked at ${entry.revocationDate.toISOString()}${entry.reason === undefined ? '' : ` (reason ${entry.reason})`}`;
}

interface ListReading {
  /** The entry that revokes the certificate, if one does. */
  entry: RevokedEntry | undefined;
  /** The current list the answer rests on: the newest current delta, or the base itself; undefined when both are stale. */
  current: ParsedCrl | undefined;
}

/**
 * What a complete CRL and its authentic deltas say about `cert` (§6.3.3 i–k): the newest current
 * delta first (removeFromCRL there releases a hold), then the base. An irreversible revocation
 * in any of them wins over everything else.
 */
function readList(cert: ParsedCertificate, base: ParsedCrl, deltas: readonly ParsedCrl[], at: Date): ListReading {
  const lookup = (crl: ParsedCrl): RevokedEntry | undefined => findEntry(crl, cert.issuerKey, cert.decoded.serialKey);
  // Without deltas the base alone answers (what the general case below gives for an empty list).
  if (deltas.length === 0) return { entry: lookup(base), current: isCrlFresh(base, at) ? base : undefined };
  const delta = deltas
    .filter((d) => isCrlFresh(d, at))
    .reduce<ParsedCrl | undefined>(
      (best, d) => (best === undefined || d.thisUpdate > best.thisUpdate ? d : best),
      undefined,
    );
  const current = delta ?? (isCrlFresh(base, at) ? base : undefined);
  const final = [base, ...deltas].map(lookup).find((e): e is RevokedEntry => e !== undefined && isIrreversible(e));
  if (final !== undefined) return { entry: final, current };
  const listed = delta === undefined ? undefined : lookup(delta);
  if (listed !== undefined) return { entry: listed.reason === CRL_REASON.removeFromCRL ? undefined : listed, current };
  return { entry: lookup(base), current };
}

/**
 * One certificate's answer. Subject and detail are only read when something explains a refusal, so
 * they are made then (the display name of an unseen certificate is otherwise never built). A class,
 * so the getters live on the prototype: an object literal with getters per answer was kept alive by
 * V8 through scavenges (docs/verifier-speed.md).
 */
class Answer implements CertificateRevocation {
  readonly status: CertificateRevocationStatus;
  readonly #cert: ParsedCertificate;
  #detail: string | (() => string);

  constructor(cert: ParsedCertificate, status: CertificateRevocationStatus, detail: string | (() => string)) {
    this.#cert = cert;
    this.status = status;
    this.#detail = detail;
  }

  get subject(): string {
    return this.#cert.subjectText;
  }

  get detail(): string {
    if (typeof this.#detail !== 'string') this.#detail = this.#detail();
    return this.#detail;
  }
}

function answer(
  cert: ParsedCertificate,
  status: CertificateRevocationStatus,
  detail: string | (() => string),
): CertificateRevocation {
  return new Answer(cert, status, detail);
}

const NO_CRLS: readonly ParsedCrl[] = Object.freeze([]);

type SignerProblem = Extract<SignerResult, { problem: string }>;

function allCompleteAndIssued(crls: readonly ParsedCrl[], t: number): boolean {
  for (const c of crls) if (c.thisUpdate.getTime() > t || c.deltaBase !== undefined) return false;
  return true;
}

/** §6.3.3 c, h: the deltas that share `base`'s scope and are signed by the same key. */
function ownDeltas(
  base: ParsedCrl,
  deltas: readonly ParsedCrl[],
  signer: ParsedCertificate,
  ctx: Context,
): readonly ParsedCrl[] {
  if (deltas.length === 0) return NO_CRLS;
  return deltas.filter((d) => deltaApplies(d, base) && ctx.signatures.verify(d, signer, ctx.budget) === 'yes');
}

function* certificateStatus(
  path: readonly ParsedCertificate[],
  i: number,
  required: boolean,
  ctx: Context,
): Steps<CertificateRevocation> {
  const cert = path[i]!;
  const absent = (detail: string): CertificateRevocation => answer(cert, required ? 'unknown' : 'not-checked', detail);
  if (ctx.inProgress.has(cert.sha256))
    return answer(cert, 'not-checked', 'its status is being established by the enclosing check');
  const found = ctx.provider.crlsFor(cert, required && ctx.depth === 0);
  const crls = found instanceof Promise ? ((yield found) as readonly ParsedCrl[]) : (found as readonly ParsedCrl[]);
  if (crls.length === 0) return absent('no CRL of its issuer');
  const t = ctx.at.getTime();
  let completes = crls;
  let deltas: readonly ParsedCrl[] = NO_CRLS;
  // Usually every list is a complete one issued before `at`: then no list is copied.
  if (!allCompleteAndIssued(crls, t)) {
    const issued = crls.filter((c) => c.thisUpdate.getTime() <= t);
    if (issued.length === 0) return absent('its CRLs were issued after the validation time');
    completes = issued.filter((c) => c.deltaBase === undefined);
    deltas = issued.filter((c) => c.deltaBase !== undefined && c.unusable === undefined);
    if (completes.length === 0) return absent('only delta CRLs, and no complete CRL they apply to');
  }

  // What each list says of the certificate (its signer, then its entries with its own deltas) is
  // read once, whatever the number of distribution points that bring it in scope.
  let readings: Map<string, SignerProblem | ListReading> | undefined;

  let mask = 0;
  let inScope = false;
  let evidence: ParsedCrl | undefined;
  const problems: string[] = [];
  const points = cert.crlDistributionPoints;
  // Its distribution points, then its issuer's own (for CRLs named in none).
  for (let p = 0; p <= points.length; p++) {
    const dp = p < points.length ? points[p]! : issuerDistributionPoint(cert);
    for (const crl of completes) {
      // A list of the issuer that cannot be used leaves the status unknown (§5.2, §5.2.5), whatever
      // scope its broken extensions claim.
      if (crl.unusable !== undefined) {
        inScope = true;
        problems.push(crl.unusable);
        continue;
      }
      if (crlScopeProblem(crl, dp, cert) !== undefined) continue;
      inScope = true;
      let read = readings?.get(crl.sha256);
      if (read === undefined) {
        const found = runSteps(findCrlSigner(crl, path, i, ctx));
        const signer = found instanceof Promise ? ((yield found) as SignerResult) : found;
        read = 'problem' in signer ? signer : readList(cert, crl, ownDeltas(crl, deltas, signer.signer, ctx), ctx.at);
        readings ??= new Map();
        readings.set(crl.sha256, read);
      }
      if ('problem' in read) {
        problems.push(read.problem);
        continue;
      }
      // A hold is only as good as the list that says it; other revocations are final.
      if (read.entry !== undefined && (read.current !== undefined || isIrreversible(read.entry))) {
        const entry = read.entry;
        return answer(cert, 'revoked', () => revokedDetail(entry));
      }
      // §5.2.3: conforming issuers number every CRL. A list without a number may revoke, never clear.
      if (crl.crlNumber === undefined) {
        problems.push(NO_CRL_NUMBER);
        continue;
      }
      if (read.current === undefined) {
        problems.push('only stale CRLs (past nextUpdate)');
        continue;
      }
      mask |= interimReasons(crl, dp);
      evidence = read.current;
    }
  }
  if (mask === ALL_REASONS && evidence !== undefined) {
    const list = evidence;
    return answer(cert, 'good', () => `not on the CRL of ${list.thisUpdate.toISOString()}`);
  }
  if (!inScope) return absent('no CRL of its issuer covers it (distribution point)');
  const detail =
    mask !== 0
      ? 'its current CRLs do not cover every revocation reason'
      : (problems.find((p) => p.startsWith('only stale')) ?? problems[0] ?? 'no usable CRL');
  return answer(cert, 'unknown', detail);
}

/** A CRL signer outside the validated path must not be revoked itself (§6.3.3 f: its path is validated). */
function* signerRevocationProblem(
  signerPath: readonly ParsedCertificate[],
  checking: ParsedCertificate,
  ctx: Context,
): Steps<string | undefined> {
  if (ctx.depth >= MAX_SIGNER_DEPTH) return 'CRL signers nest too deeply';
  // The certificate whose CRL this is stays open above: the signer's path may lean on it, not decide it.
  const inProgress = new Set(ctx.inProgress).add(checking.sha256);
  const result = yield* checkPath(signerPath, false, withSignerCheck({ ...ctx, depth: ctx.depth + 1, inProgress }));
  const bad = result.certificates.find((c) => c.status === 'revoked' || c.status === 'unknown');
  return bad === undefined
    ? undefined
    : `${bad.subject} is ${bad.status === 'revoked' ? bad.detail : `of unknown status (${bad.detail})`}`;
}

function* checkPath(path: readonly ParsedCertificate[], targetRequired: boolean, ctx: Context): Steps<PathRevocation> {
  const certificates: CertificateRevocation[] = [];
  for (let i = 0; i < path.length; i++) {
    const cert = path[i]!;
    if (i === path.length - 1 && !cert.selfIssued) {
      certificates.push(answer(cert, 'not-checked', 'trust anchor without a known issuer'));
      continue;
    }
    certificates.push(yield* certificateStatus(path, i, targetRequired && i === 0, ctx));
  }
  let status: PathRevocation['status'] = 'good';
  for (const c of certificates) {
    if (c.status === 'revoked') return { status: 'revoked', certificates };
    if (c.status === 'unknown') status = 'unknown';
  }
  return { status, certificates };
}

/**
 * `path` is end entity first, trust anchor last (a self-signed anchor is its own issuer). The
 * answer comes back at once when every CRL is in hand and no CRL signer outside the path needs its
 * own path checked (steps.ts); otherwise as a promise.
 */
export function checkPathRevocation(
  path: readonly ParsedCertificate[],
  provider: CrlProvider,
  at: Date,
  options: RevocationOptions,
): PathRevocation | Promise<PathRevocation> {
  return runSteps(
    checkPath(
      path,
      true,
      withSignerCheck({
        provider,
        at,
        store: options.store,
        supplied: options.supplied ?? [],
        keyPolicy: options.keyPolicy ?? HPKI_KEY_POLICY,
        signatures: options.signatures ?? createCrlSignatureCache(),
        budget: options.budget ?? createSignatureBudget(MAX_REVOCATION_SIGNATURE_CHECKS),
        depth: 0,
        inProgress: NOTHING_IN_PROGRESS,
      }),
    ),
  );
}
