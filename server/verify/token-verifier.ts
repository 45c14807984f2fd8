import { hash, verify as verifySignature } from 'node:crypto';
import { HpkiError } from '../../protocol/errors.js';
import { signedContentFromHashes } from '../../protocol/signed-data.js';
import { checkToken, decodeTokenField, notStrictBase64 } from '../../protocol/token.js';
import type { KeyPolicy, ParsedCertificate } from '../cert/index.js';
import { DEFAULT_AUTH_POLICY_ARCS, usableKey } from '../cert/index.js';
import type { PathRevocation } from '../revocation/index.js';
import type { CertificateValidator, CertificateValidatorOptions, SkippedInputs } from './certificate-validator.js';
import { createCertificateValidator } from './certificate-validator.js';
import { nodeBase64Strict } from './node-base64.js';
import { nodeSha256 } from './node-sha256.js';
import { checkRole } from './role.js';

/**
 * The relying party's token check, exactly in the order of PROTOCOL.md §5: (1) token shape,
 * (2) the session's challenge, taken only once the token parsed, (3) purpose and policy, (4) path,
 * (5) revocation, (6) the signature over the §3 content rebuilt from the server's own origin and the
 * stored challenge, (7) hcRole, (8) the result.
 */

import type { ChallengeTake } from '../challenge-store/index.js';

export type { ChallengeTake };

export interface VerifierOptions extends CertificateValidatorOptions {
  /** Default ['Medical Doctor']; `'any'` for a caller that decides on the role itself. */
  allowedRoles?: string[] | 'any';
  /** Default ['1.2.392.100495.1.5.1.2']. */
  authPolicyArcs?: string[];
  now?: () => Date;
}

export interface LoginResult {
  /** Lowercase hex SHA-256 of the certificate's DER. */
  certificateSha256: string;
  /** Lowercase hex of the serial number's octets. */
  serialNumber: string;
  /** Issuer CN. */
  issuer: string;
  /** ISO 8601. */
  notAfter: string;
  holder: { name: string; nameJa?: string; id: string };
  hcRole: string;
}

export interface VerifyContext {
  /** The site's own origin (configuration, never the request). */
  origin: string;
  /** Atomic get-and-delete of the session's challenge; called once, after step 1. */
  takeChallenge: () => Promise<ChallengeTake>;
}

export interface TokenVerifier {
  /** PROTOCOL.md §5. `takeChallenge` is called once, after step 1, and only then (so a malformed token does not burn the challenge). */
  verify(token: unknown, context: VerifyContext): Promise<LoginResult>;
}

/** Everything learned while verifying, for tools that explain a refusal. */
export interface TokenReport {
  result: LoginResult | undefined;
  error: HpkiError | undefined;
  certificate: ParsedCertificate | undefined;
  path: ParsedCertificate[] | undefined;
  revocation: PathRevocation | undefined;
}

export interface DetailedTokenVerifier extends TokenVerifier {
  verifyWithReport(token: unknown, context: VerifyContext): Promise<TokenReport>;
  /** Configured intermediates and CRLs that could not be read and were left out. */
  readonly skipped: SkippedInputs;
}

/** What step 1 gives the later steps: the certificates parsed, the signature decoded. */
interface DecodedStep {
  ee: ParsedCertificate;
  supplied: ParsedCertificate[];
  signature: Uint8Array;
}

function parseField(validator: CertificateValidator, text: string, name: string): ParsedCertificate {
  const cert = validator.parseEncoded(text, nodeBase64Strict);
  if (cert === undefined) throw notStrictBase64(name);
  return cert;
}

/**
 * Step 1. The certificate goes to the validator as text: a returning holder's is found by it
 * without being decoded or hashed again (server/cert/parsed-certificate.ts).
 */
function decodeStep(token: unknown, validator: CertificateValidator): DecodedStep {
  try {
    const checked = checkToken(token);
    return {
      ee: parseField(validator, checked.certificate, 'certificate'),
      supplied: checked.intermediates.map((text, i) => parseField(validator, text, `intermediates.${i}`)),
      signature: decodeTokenField(checked.signature, 'signature', nodeBase64Strict),
    };
  } catch (err) {
    if (err instanceof HpkiError && err.code === 'ERR_TOKEN_MALFORMED') throw err;
    throw new HpkiError('ERR_TOKEN_MALFORMED', 'token could not be decoded', { cause: err });
  }
}

async function challengeStep(context: VerifyContext): Promise<string> {
  const taken = await context.takeChallenge();
  if (taken.status === 'expired') throw new HpkiError('ERR_CHALLENGE_EXPIRED', 'the login challenge has expired');
  if (taken.status !== 'ok' || typeof taken.challenge !== 'string') {
    throw new HpkiError('ERR_CHALLENGE_UNKNOWN', 'no login challenge is pending for this session');
  }
  return taken.challenge;
}

const encoder = new TextEncoder();
const NO_HASH = new Uint8Array(32);

/** The §3 content for one origin: the challenge's and the certificate's hashes are filled in per token. */
type ContentFor = (challenge: string, certificateSha256Hex: string) => Uint8Array;

/**
 * The signed content (PROTOCOL.md §3) per origin a verifier checks against: prefix and origin hash
 * made once, then one buffer whose last 64 bytes (challenge hash, certificate hash) are written for
 * each token and read by the synchronous verify right after. A site verifies against its own
 * origin (or a few); the bound keeps a misuse with many origins from growing it.
 */
function createContents(): (origin: string) => ContentFor {
  const byOrigin = new Map<string, ContentFor>();
  return (origin) => {
    let contentFor = byOrigin.get(origin);
    if (contentFor === undefined) {
      const content = Buffer.from(
        signedContentFromHashes({
          origin: nodeSha256(encoder.encode(origin)),
          challenge: NO_HASH,
          certificate: NO_HASH,
        }),
      );
      const challengeAt = content.length - 64;
      contentFor = (challenge, certificateSha256Hex) => {
        content.set(hash('sha256', challenge, 'buffer'), challengeAt);
        content.write(certificateSha256Hex, challengeAt + 32, 'hex');
        return content;
      };
      if (byOrigin.size >= 16) byOrigin.clear();
      byOrigin.set(origin, contentFor);
    }
    return contentFor;
  };
}

function signatureStep(
  ee: ParsedCertificate,
  signature: Uint8Array,
  contentFor: ContentFor,
  challenge: string,
  keyPolicy: KeyPolicy,
): void {
  // The path step refused a key outside the policy already; this keeps the step safe on its own.
  const key = usableKey(ee, keyPolicy);
  // `ee` was parsed from exactly decoded.certificate, so its cached hash is the certificate's.
  const content = contentFor(challenge, ee.sha256);
  let ok = false;
  try {
    ok = verifySignature('sha256', content, key, signature);
  } catch {
    ok = false;
  }
  if (!ok) throw new HpkiError('ERR_SIGNATURE_INVALID', 'signature does not verify for this origin and challenge');
}

/** What a site learns of a verified certificate (§5 step 8); also the document signer's identity. */
export function loginResult(ee: ParsedCertificate, hcRole: string): LoginResult {
  const info = ee.info;
  // Step 3 (checkPurpose) refused a certificate without a holder id; kept so this stays safe on its own.
  if (info.holderId === undefined || info.holderId === '') {
    throw new HpkiError('ERR_CERT_POLICY', 'certificate has no holder id (subject serialNumber)');
  }
  const holder: LoginResult['holder'] = { name: info.subjectName, id: info.holderId };
  if (info.nameJa !== undefined) holder.nameJa = info.nameJa;
  return {
    certificateSha256: ee.sha256,
    serialNumber: info.serialNumberHex,
    issuer: info.issuerName,
    notAfter: info.notAfter.toISOString(),
    holder,
    hcRole,
  };
}

export function createTokenVerifier(options: VerifierOptions): DetailedTokenVerifier {
  const validator = createCertificateValidator(options);
  const allowedRoles = options.allowedRoles ?? ['Medical Doctor'];
  const policyArcs = options.authPolicyArcs ?? DEFAULT_AUTH_POLICY_ARCS;
  const now = options.now ?? (() => new Date());
  const contents = createContents();

  /** Steps 1–8, filling `report` as they go; throws the refusal. */
  const run = async (token: unknown, context: VerifyContext, report: TokenReport): Promise<LoginResult> => {
    const { ee, supplied, signature } = decodeStep(token, validator);
    report.certificate = ee;
    const challenge = await challengeStep(context);
    const check = { at: now(), purpose: 'auth' as const, policyArcs };
    // Answered at once when nothing is to be waited for (a returning holder, the CRLs in hand).
    const answered = validator.validateNow(ee, supplied, check);
    const validation = answered instanceof Promise ? await answered : answered;
    report.path = validation.path;
    report.revocation = validation.revocation;
    if (validation.error !== undefined) throw validation.error;
    signatureStep(ee, signature, contents(context.origin), challenge, validator.keyPolicy);
    report.result = loginResult(ee, checkRole(ee.info, allowedRoles));
    return report.result;
  };

  const emptyReport = (): TokenReport => ({
    result: undefined,
    error: undefined,
    certificate: undefined,
    path: undefined,
    revocation: undefined,
  });

  return {
    async verifyWithReport(token, context) {
      const report = emptyReport();
      try {
        await run(token, context, report);
      } catch (err) {
        if (!(err instanceof HpkiError)) throw err;
        report.error = err;
      }
      return report;
    },
    skipped: validator.skipped,
    verify: (token, context) => run(token, context, emptyReport()),
  };
}
