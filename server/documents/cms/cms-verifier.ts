import { DER_TAG, DerError, decodeTime, readSingle } from '../../../protocol/der.js';
import { HpkiError } from '../../../protocol/errors.js';
import type { SignatureLevel, SignatureReport, SignatureVerdict } from '../../../protocol/signature-report.js';
import { DEFAULT_SIGN_POLICY_ARCS, type ParsedCertificate } from '../../cert/index.js';
import type { PathRevocation } from '../../revocation/index.js';
import { type CertificateValidator, checkRole, createCertificateValidator, signerFields } from '../../verify/index.js';
import type { DocumentVerifyOptions } from '../document-types.js';
import { verifyTimestampToken } from '../timestamp/index.js';
import { foldVerdicts } from '../verdict-fold.js';
import { checkSigningCertificate } from './ess.js';
import { CMS_OID } from './oids.js';
import { type CmsLimits, type ParsedSignedData, parseSignedData } from './signed-data.js';
import { type CheckedSigner, checkSignerInfo, type SignedContent, singleValue } from './signer-info.js';

/**
 * Every SignerInfo of a CMS SignedData checked as a CAdES signature made with an HPKI signing
 * certificate, each with its own verdict: the signature and signed attributes (signer-info.ts), the
 * ESS signing-certificate attribute against the certificate that verified, the signing time, a
 * signature timestamp when present, then the certificate with purpose `sign` (path, CRLs, policy)
 * at `at`, else the timestamp's time, else now, and the hcRole. Certificates and CRLs in the file
 * count as intermediates and CRLs. PAdES reuses this with its own level names.
 */

export interface CmsVerifyOptions extends DocumentVerifyOptions {
  /** The signed content (detached signatures), or its digest; default the encapsulated content. */
  content?: SignedContent;
}

export interface CmsReportShape {
  format: SignatureReport['format'];
  /** The level without and with a signature timestamp: BES/T for CAdES, B-B/B-T for PAdES. */
  levels: { plain: SignatureLevel; timestamped: SignatureLevel };
}

/** The bounds of a CMS signature file: a detached signature is kilobytes; attached content up to 32 MiB. */
export const CMS_LIMITS: CmsLimits = {
  maxBytes: 32 * 1024 * 1024,
  maxDepth: 32,
  maxElements: 50_000,
  maxSigners: 16,
  maxCertificates: 32,
  maxCrls: 16,
  maxAttributes: 32,
};

interface SignerFacts {
  certificate?: ParsedCertificate;
  signingTime?: Date;
  timestamp?: { time: Date; tsa: string };
  /** The signer carries a signature timestamp (valid or not): its level is the timestamped one. */
  timestamped?: boolean;
  path?: ParsedCertificate[];
  revocation?: PathRevocation['status'];
  hcRole?: string;
}

function signingTimeOf(signer: CheckedSigner): Date | undefined {
  const values = signer.signed.get(CMS_OID.signingTime);
  if (values === undefined) return undefined;
  const value = singleValue(signer.signed, CMS_OID.signingTime, 'signingTime');
  try {
    const el = readSingle(value, value[0] === DER_TAG.UTC_TIME ? DER_TAG.UTC_TIME : DER_TAG.GENERALIZED_TIME);
    return decodeTime(value, el);
  } catch (err) {
    if (err instanceof DerError) throw new HpkiError('ERR_SIGNED_ATTRIBUTE_INVALID', `signingTime: ${err.message}`);
    throw err;
  }
}

function checkEss(signer: CheckedSigner): void {
  const v2 = signer.signed.get(CMS_OID.signingCertificateV2);
  const v1 = signer.signed.get(CMS_OID.signingCertificate);
  if (v2 === undefined && v1 === undefined) {
    throw new HpkiError('ERR_SIGNED_ATTRIBUTE_INVALID', 'the SigningCertificateV2 signed attribute is missing');
  }
  if (v2 !== undefined)
    checkSigningCertificate(
      singleValue(signer.signed, CMS_OID.signingCertificateV2, 'SigningCertificateV2'),
      signer.certificate,
      true,
    );
  if (v1 !== undefined)
    checkSigningCertificate(
      singleValue(signer.signed, CMS_OID.signingCertificate, 'SigningCertificate'),
      signer.certificate,
      false,
    );
}

async function timestampOf(
  signer: CheckedSigner,
  options: DocumentVerifyOptions,
): Promise<{ time: Date; tsa: string } | undefined> {
  const tokens = signer.unsigned.get(CMS_OID.signatureTimeStampToken);
  if (tokens === undefined) return undefined;
  if (tokens.length !== 1)
    throw new HpkiError('ERR_TIMESTAMP_INVALID', 'a signature timestamp attribute must hold one token');
  const result = await verifyTimestampToken(tokens[0]!, signer.signature, options);
  return { time: result.time, tsa: result.tsa };
}

async function checkCertificate(
  signer: CheckedSigner,
  facts: SignerFacts,
  validator: CertificateValidator,
  supplied: readonly ParsedCertificate[],
  options: DocumentVerifyOptions,
): Promise<void> {
  const at = options.at ?? facts.timestamp?.time ?? new Date();
  const result = await validator.validate(signer.certificate, supplied, {
    at,
    purpose: 'sign',
    policyArcs: options.signPolicyArcs ?? DEFAULT_SIGN_POLICY_ARCS,
  });
  if (result.path !== undefined) facts.path = result.path;
  if (result.revocation !== undefined) facts.revocation = result.revocation.status;
  if (result.error !== undefined) throw result.error;
  facts.hcRole = checkRole(signer.certificate.info, options.allowedRoles ?? ['Medical Doctor']);
}

function verdictOf(facts: SignerFacts, error: HpkiError | undefined, shape: CmsReportShape): SignatureVerdict {
  return {
    valid: error === undefined,
    ...(error === undefined ? {} : { error: error.code }),
    format: shape.format,
    level: facts.timestamped === true ? shape.levels.timestamped : shape.levels.plain,
    ...(facts.signingTime === undefined ? {} : { signingTime: facts.signingTime.toISOString() }),
    ...(facts.timestamp === undefined
      ? {}
      : { timestamp: { time: facts.timestamp.time.toISOString(), tsa: facts.timestamp.tsa } }),
    ...signerFields(facts.certificate, facts.path),
    revocation: facts.revocation ?? 'not-checked',
  };
}

async function verifySigner(
  parsed: ParsedSignedData,
  index: number,
  content: SignedContent,
  validator: CertificateValidator,
  candidates: readonly ParsedCertificate[],
  options: DocumentVerifyOptions,
  shape: CmsReportShape,
): Promise<SignatureVerdict> {
  const facts: SignerFacts = {};
  try {
    const signer = checkSignerInfo(
      parsed.signedData.signerInfos[index]!,
      parsed.signedAttributes[index],
      candidates,
      parsed.eContentType,
      content,
    );
    facts.certificate = signer.certificate;
    checkEss(signer);
    const signingTime = signingTimeOf(signer);
    if (signingTime !== undefined) facts.signingTime = signingTime;
    facts.timestamped = signer.unsigned.has(CMS_OID.signatureTimeStampToken);
    const timestamp = await timestampOf(signer, options);
    if (timestamp !== undefined) facts.timestamp = timestamp;
    const supplied = candidates.filter((c) => c.sha256 !== signer.certificate.sha256);
    await checkCertificate(signer, facts, validator, supplied, options);
    return verdictOf(facts, undefined, shape);
  } catch (err) {
    if (err instanceof HpkiError) return verdictOf(facts, err, shape);
    throw err;
  }
}

function parseCandidates(validator: CertificateValidator, certificates: readonly Uint8Array[]): ParsedCertificate[] {
  const out: ParsedCertificate[] = [];
  for (const der of certificates) {
    try {
      out.push(validator.parse(der));
    } catch {
      // A certificate that does not parse is nobody's signer and on nobody's path.
    }
  }
  return out;
}

/** A report for a file that could not be read at all. */
export function unreadableReport(error: HpkiError, shape: CmsReportShape): SignatureReport {
  return { ...verdictOf({}, error, shape), signatures: [] };
}

export function reportOf(verdicts: SignatureVerdict[], shape: CmsReportShape): SignatureReport {
  return foldVerdicts(verdicts) ?? unreadableReport(new HpkiError('ERR_DOCUMENT_MALFORMED', 'no signature'), shape);
}

/** Verifies every signer of `cms`; never rejects for a bad file (its report says why), only for a programming error. */
export async function verifyCmsSignatures(
  cms: Uint8Array,
  options: CmsVerifyOptions,
  shape: CmsReportShape,
): Promise<SignatureReport> {
  let parsed: ParsedSignedData;
  try {
    parsed = parseSignedData(cms, CMS_LIMITS);
  } catch (err) {
    if (err instanceof HpkiError) return unreadableReport(err, shape);
    throw err;
  }
  const content = options.content ?? parsed.eContent;
  if (content === undefined) {
    return unreadableReport(
      new HpkiError('ERR_DOCUMENT_MALFORMED', 'a detached signature needs the signed data'),
      shape,
    );
  }
  const validator = createCertificateValidator({
    ...options,
    crls: [...(options.crls ?? []), ...parsed.crls],
    validationCacheMs: 0,
  });
  const candidates = parseCandidates(validator, [...parsed.certificates, ...(options.intermediates ?? [])]);
  const verdicts: SignatureVerdict[] = [];
  for (let i = 0; i < parsed.signedData.signerInfos.length; i++) {
    verdicts.push(await verifySigner(parsed, i, content, validator, candidates, options, shape));
  }
  return reportOf(verdicts, shape);
}
