import { createHash } from 'node:crypto';
import type { Element } from '@xmldom/xmldom';
import { concatBytes } from '../../../protocol/bytes.js';
import { buildDigestInfo } from '../../../protocol/digest-info.js';
import { HpkiError } from '../../../protocol/errors.js';
import type { SignatureLevel } from '../../../protocol/signature-report.js';
import { DEFAULT_SIGN_POLICY_ARCS, type ParsedCertificate } from '../../cert/index.js';
import type { PathRevocation } from '../../revocation/index.js';
import {
  type CertificateValidator,
  checkDigestInfoSignature,
  checkRole,
  createCertificateValidator,
} from '../../verify/index.js';
import type { DocumentVerifyOptions } from '../document-types.js';
import { XadesError } from './xades-errors.js';
import type { PlacedSignature } from './xades-layout.js';
import { type DigestName, HASH_ALGORITHM_OF } from './xades-names.js';
import type { ArchiveTimestamp } from './xades-properties.js';
import { type ParsedSignature, readSignature } from './xades-signature.js';
import { canonicalize } from './xml-canonical.js';
import type { Deadline } from './xml-safe-parse.js';

/**
 * The checks of one placed signature, in order: the layout's signed element is the one referenced,
 * every reference digest, SigningCertificateV2 against the KeyInfo certificate, the SignedInfo
 * signature (RSASSA-PKCS1-v1_5 over DigestInfo, the card's scheme), each SignatureTimeStamp and
 * ArchiveTimeStamp through the timestamp verifier, then the certificate with purpose `sign` by the server's certificate validator,
 * at `options.at`, else the timestamp's time, else now, with the embedded CertificateValues as
 * intermediates and RevocationValues as CRLs. What was learnt before a failure is kept for the report.
 */

export type TimestampTokenVerifier = (
  token: Uint8Array,
  stampedData: Uint8Array,
  options: DocumentVerifyOptions,
) => Promise<{ time: Date; tsa: string }>;

export interface CheckContext {
  options: DocumentVerifyOptions;
  ids: ReadonlyMap<string, Element>;
  verifyTimestamp: TimestampTokenVerifier;
  deadline: Deadline;
}

/** What is known about a signature so far; `error` is the first reason it does not hold. */
export interface SignatureFacts {
  error?: string;
  level: SignatureLevel;
  signingTime?: Date;
  timestamp?: { time: Date; tsa: string };
  certificate?: ParsedCertificate;
  path?: ParsedCertificate[];
  revocation?: PathRevocation;
  hcRole?: string;
}

const digestOf = (name: DigestName, data: Uint8Array): Buffer => createHash(name).update(data).digest();

function checkReferences(parsed: ParsedSignature, placed: PlacedSignature, deadline: Deadline): void {
  if (parsed.document.target !== placed.signedElement) {
    throw new XadesError('ERR_XADES_REFERENCE', 'the document reference is not to the element in the signed position');
  }
  for (const reference of parsed.references) {
    const digest = digestOf(reference.digest, canonicalize(reference.target, reference.canonicalization));
    if (!digest.equals(reference.digestValue)) {
      const id = reference.target.getAttribute('Id') ?? reference.target.getAttribute('id') ?? '';
      throw new XadesError('ERR_DOCUMENT_MODIFIED', `the digest of #${id.slice(0, 64)} does not match`);
    }
    deadline.check('references');
  }
}

function checkSigningCertificate(parsed: ParsedSignature): void {
  const named = parsed.signed.certificateDigests.some((d) => digestOf(d.digest, parsed.certificate).equals(d.value));
  if (!named) {
    throw new XadesError('ERR_SIGNED_ATTRIBUTE_INVALID', 'SigningCertificateV2 does not name the KeyInfo certificate');
  }
}

function checkSignedInfo(parsed: ParsedSignature, certificate: ParsedCertificate, validator: CertificateValidator) {
  const hash = digestOf(parsed.signatureDigest, canonicalize(parsed.signedInfo, parsed.canonicalization));
  checkDigestInfoSignature(
    certificate,
    validator.keyPolicy,
    parsed.signatureValue,
    buildDigestInfo(HASH_ALGORITHM_OF[parsed.signatureDigest], hash),
    'the SignatureValue does not verify over SignedInfo',
  );
}

/**
 * What an ArchiveTimeStamp covers (XAdES 1.4.1 §8.2): the output of each reference, then SignedInfo,
 * SignatureValue and KeyInfo, then each unsigned signature property before it, each in the
 * timestamp's canonicalization (the strict layout admits no other ds:Object).
 */
function archivedBytes(parsed: ParsedSignature, stamp: ArchiveTimestamp): Uint8Array {
  const parts = parsed.references.map((r) => canonicalize(r.target, r.canonicalization));
  for (const element of [parsed.signedInfo, parsed.signatureValueElement, parsed.keyInfo, ...stamp.preceding]) {
    parts.push(canonicalize(element, stamp.canonicalization));
  }
  return concatBytes(parts);
}

async function checkTimestamps(parsed: ParsedSignature, context: CheckContext, facts: SignatureFacts): Promise<void> {
  const { options } = context;
  const tsaOptions: DocumentVerifyOptions = {
    ...options,
    intermediates: [...(options.intermediates ?? []), ...parsed.unsigned.tsaCertificates],
    crls: [...(options.crls ?? []), ...parsed.unsigned.tsaCrls],
  };
  for (const stamp of parsed.unsigned.timestamps) {
    const stamped = canonicalize(parsed.signatureValueElement, stamp.canonicalization);
    const verified = await context.verifyTimestamp(stamp.token, stamped, tsaOptions);
    if (facts.timestamp === undefined || verified.time < facts.timestamp.time) facts.timestamp = verified;
    context.deadline.check('timestamp');
  }
  for (const stamp of parsed.unsigned.archiveTimestamps) {
    await context.verifyTimestamp(stamp.token, archivedBytes(parsed, stamp), tsaOptions);
    context.deadline.check('archive timestamp');
  }
}

function levelOf(parsed: ParsedSignature, facts: SignatureFacts): SignatureLevel {
  if (facts.timestamp === undefined) return parsed.signed.policy ? 'EPES' : 'BES';
  if (parsed.unsigned.certificates.length === 0 || parsed.unsigned.crls.length === 0) return 'T';
  // Reached once checkTimestamps has verified every timestamp, the archive ones included.
  return parsed.unsigned.archiveTimestamps.length > 0 ? 'A' : 'XL';
}

async function checkCertificate(parsed: ParsedSignature, context: CheckContext, facts: SignatureFacts) {
  const { options } = context;
  const validator = createCertificateValidator({
    ...options,
    intermediates: [...(options.intermediates ?? []), ...parsed.unsigned.certificates],
    crls: [...(options.crls ?? []), ...parsed.unsigned.crls],
    validationCacheMs: 0,
  });
  let certificate: ParsedCertificate;
  try {
    certificate = validator.parse(parsed.certificate);
  } catch {
    throw new HpkiError('ERR_CERT_MALFORMED', 'the KeyInfo certificate cannot be read');
  }
  facts.certificate = certificate;
  checkSigningCertificate(parsed);
  checkSignedInfo(parsed, certificate, validator);
  await checkTimestamps(parsed, context, facts);
  facts.level = levelOf(parsed, facts);
  const at = options.at ?? facts.timestamp?.time ?? options.now?.() ?? new Date();
  const policyArcs = options.signPolicyArcs ?? DEFAULT_SIGN_POLICY_ARCS;
  const validation = await validator.validate(certificate, [], { at, purpose: 'sign', policyArcs });
  facts.path = validation.path;
  facts.revocation = validation.revocation;
  if (validation.error !== undefined) throw validation.error;
  facts.hcRole = checkRole(certificate.info, options.allowedRoles ?? 'any');
}

/** Checks one signature; never rejects for anything the document holds (the error lands in the facts). */
export async function checkPlacedSignature(placed: PlacedSignature, context: CheckContext): Promise<SignatureFacts> {
  const facts: SignatureFacts = { level: 'BES' };
  try {
    const parsed = readSignature(placed.signature, context.ids);
    facts.signingTime = parsed.signed.signingTime;
    facts.level = levelOf(parsed, facts);
    checkReferences(parsed, placed, context.deadline);
    await checkCertificate(parsed, context, facts);
  } catch (err) {
    if (!(err instanceof Error) || !('code' in err) || typeof err.code !== 'string') throw err;
    facts.error = err.code;
  }
  return facts;
}
