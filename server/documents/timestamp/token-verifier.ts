import type { HashAlgorithm } from '../../../protocol/digest-info.js';
import { HpkiError } from '../../../protocol/errors.js';
import type { ParsedCertificate } from '../../cert/index.js';
import { type CertificateValidator, createCertificateValidator } from '../../verify/index.js';
import { digest, hashOf, sameBytes } from '../cms/algorithms.js';
import { checkSigningCertificate } from '../cms/ess.js';
import { CMS_OID } from '../cms/oids.js';
import { type CheckedSigner, checkSignerInfo } from '../cms/signer-info.js';
import type { DocumentVerifyOptions } from '../document-types.js';
import { readTimestampToken } from './token-content.js';

/**
 * An RFC 3161 TimeStampToken checked over the data it stamps: the TSTInfo's imprint, the TSA's CMS
 * signature (with its ESS signing-certificate attribute), the TSA certificate (extended key usage
 * timeStamping only, critical: RFC 3161 §2.3) and its path to a TSA anchor, or to an ordinary
 * anchor when none is configured. The path is checked at `at` when given, else at the token's
 * genTime; revocation as the options say, with CRLs in the token counting as given CRLs.
 */

export interface VerifiedTimestamp {
  time: Date;
  /** The TSA certificate's subject, `C=…, O=…, CN=…`. */
  tsa: string;
  hashAlgorithm: HashAlgorithm;
}

const ID_KP_TIME_STAMPING = '1.3.6.1.5.5.7.3.8';
const EXTENDED_KEY_USAGE = '2.5.29.37';

function invalid(message: string, cause?: unknown): HpkiError {
  return new HpkiError('ERR_TIMESTAMP_INVALID', message, cause === undefined ? undefined : { cause });
}

function untrusted(message: string): HpkiError {
  return new HpkiError('ERR_TSA_UNTRUSTED', message);
}

/** Any failure below the certificate checks is the token's: one code, the detail in the message. */
async function asTimestampError<T>(step: () => T | Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    if (err instanceof HpkiError && err.code !== 'ERR_TIMESTAMP_INVALID' && err.code !== 'ERR_TSA_UNTRUSTED') {
      throw invalid(`timestamp token: ${err.message}`, err);
    }
    if (err instanceof HpkiError) throw err;
    throw invalid(`timestamp token: ${err instanceof Error ? err.message : 'unreadable'}`, err);
  }
}

function checkTsaCertificate(tsa: ParsedCertificate): void {
  const eku = tsa.decoded.extensions.get(EXTENDED_KEY_USAGE);
  if (eku === undefined || !eku.critical) throw untrusted('the TSA certificate has no critical extended key usage');
  if (tsa.extKeyUsage?.length !== 1 || tsa.extKeyUsage[0] !== ID_KP_TIME_STAMPING) {
    throw untrusted('the TSA certificate is not for time stamping only');
  }
}

function checkEss(signer: CheckedSigner): void {
  const v2 = signer.signed.get(CMS_OID.signingCertificateV2);
  const v1 = signer.signed.get(CMS_OID.signingCertificate);
  const value = v2?.[0] ?? v1?.[0];
  if (value === undefined || (v2 ?? v1)!.length !== 1) {
    throw invalid('the TSA signature has no single signing-certificate attribute');
  }
  checkSigningCertificate(value, signer.certificate, v2 !== undefined);
}

function tsaValidator(crls: readonly Uint8Array[], options: DocumentVerifyOptions): CertificateValidator {
  const tsaAnchors = options.tsaAnchors ?? [];
  return createCertificateValidator({
    ...options,
    anchors: tsaAnchors.length > 0 ? tsaAnchors : options.anchors,
    // TSA roots named for this one use are names and keys (some real ones have no basicConstraints).
    anchorsAsKeys: tsaAnchors.length > 0,
    crls: [...(options.crls ?? []), ...crls],
    validationCacheMs: 0,
  });
}

async function checkTsaPath(
  validator: CertificateValidator,
  signer: CheckedSigner,
  candidates: readonly ParsedCertificate[],
  at: Date,
): Promise<void> {
  const tsa = signer.certificate;
  const supplied = candidates.filter((c) => c.sha256 !== tsa.sha256);
  const result = await validator.validate(tsa, supplied, { at });
  if (result.error !== undefined) throw untrusted(`TSA certificate: ${result.error.code}: ${result.error.message}`);
}

/**
 * Verifies `token` (a DER TimeStampToken) over `stampedData`; rejects with ERR_TIMESTAMP_INVALID
 * (structure, imprint, signature) or ERR_TSA_UNTRUSTED (the TSA certificate or its path).
 */
export async function verifyTimestampToken(
  token: Uint8Array,
  stampedData: Uint8Array,
  options: DocumentVerifyOptions,
): Promise<VerifiedTimestamp> {
  const { validator, candidates, info, signer, hashAlgorithm } = await asTimestampError(() => {
    const { parsed, info } = readTimestampToken(token, invalid);
    const hashAlgorithm = hashOf(info.messageImprint.hashAlgorithm, 'ERR_TIMESTAMP_INVALID');
    if (!sameBytes(new Uint8Array(info.messageImprint.hashedMessage.buffer), digest(hashAlgorithm, stampedData))) {
      throw invalid('the timestamp is over other data (message imprint differs)');
    }
    const validator = tsaValidator(parsed.crls, options);
    const candidates = [...parsed.certificates, ...(options.intermediates ?? [])].map((c) => validator.parse(c));
    const signer = checkSignerInfo(
      parsed.signedData.signerInfos[0]!,
      parsed.signedAttributes[0],
      candidates,
      CMS_OID.tstInfo,
      parsed.eContent!,
    );
    checkEss(signer);
    return { validator, candidates, info, signer, hashAlgorithm };
  });
  checkTsaCertificate(signer.certificate);
  await checkTsaPath(validator, signer, candidates, options.at ?? info.genTime);
  return { time: info.genTime, tsa: signer.certificate.subjectText, hashAlgorithm };
}
