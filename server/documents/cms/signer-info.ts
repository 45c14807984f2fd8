import type { SignerInfo } from '@peculiar/asn1-cms';
import { AsnConvert } from '@peculiar/asn1-schema';
import { contentsOf, DER_TAG, DerError, hexOf, oidOf, readSingle } from '../../../protocol/der.js';
import type { HashAlgorithm } from '../../../protocol/digest-info.js';
import { HpkiError } from '../../../protocol/errors.js';
import { decodeName, nameKey } from '../../../protocol/x500-name.js';
import type { ParsedCertificate } from '../../cert/index.js';
import { digest, hashOf, sameBytes, verifyRsaSignature } from './algorithms.js';
import { malformed } from './der-bounds.js';
import { CMS_OID } from './oids.js';

/**
 * One SignerInfo of a SignedData checked as RFC 5652 §5.4–5.6 says: its certificate found by
 * `sid`, signed attributes present with exactly one contentType equal to eContentType and one
 * messageDigest equal to the content's digest, and the signature over the DER SET of the signed
 * attributes. What the format requires beyond that (ESS, signing time, timestamps) is the caller's.
 */

/** The content a signature covers, or its digest (PAdES hands over a digest of its byte ranges). */
export type SignedContent = Uint8Array | { hashAlgorithm: HashAlgorithm; digest: Uint8Array };

export interface CheckedSigner {
  certificate: ParsedCertificate;
  hashAlgorithm: HashAlgorithm;
  /** Signed attributes by type: each value's DER. */
  signed: ReadonlyMap<string, readonly Uint8Array[]>;
  /** Unsigned attributes by type: each value's DER. */
  unsigned: ReadonlyMap<string, readonly Uint8Array[]>;
  signature: Uint8Array;
}

function attributeMap(attributes: SignerInfo['signedAttrs']): Map<string, Uint8Array[]> {
  const map = new Map<string, Uint8Array[]>();
  for (const a of attributes ?? []) {
    if (map.has(a.attrType))
      throw new HpkiError('ERR_SIGNED_ATTRIBUTE_INVALID', `attribute ${a.attrType} appears twice`);
    map.set(
      a.attrType,
      a.attrValues.map((v) => new Uint8Array(v)),
    );
  }
  return map;
}

/** The one value of a single-valued signed attribute, or an ERR_SIGNED_ATTRIBUTE_INVALID. */
export function singleValue(map: ReadonlyMap<string, readonly Uint8Array[]>, oid: string, what: string): Uint8Array {
  const values = map.get(oid);
  if (values === undefined)
    throw new HpkiError('ERR_SIGNED_ATTRIBUTE_INVALID', `the ${what} signed attribute is missing`);
  if (values.length !== 1)
    throw new HpkiError('ERR_SIGNED_ATTRIBUTE_INVALID', `the ${what} attribute has ${values.length} values`);
  return values[0]!;
}

/** The certificate `sid` names among the candidates (issuerAndSerialNumber or subjectKeyIdentifier). */
function findCertificate(info: SignerInfo, candidates: readonly ParsedCertificate[]): ParsedCertificate {
  try {
    return findNamedCertificate(info, candidates);
  } catch (err) {
    if (err instanceof HpkiError) throw err;
    // A hostile sid (a name that does not decode) names no certificate.
    throw malformed(`the signer identifier is malformed: ${err instanceof Error ? err.message : ''}`, err);
  }
}

function findNamedCertificate(info: SignerInfo, candidates: readonly ParsedCertificate[]): ParsedCertificate {
  const byIssuer = info.sid.issuerAndSerialNumber;
  let found: ParsedCertificate | undefined;
  if (byIssuer !== undefined) {
    const issuer = nameKey(decodeName(new Uint8Array(AsnConvert.serialize(byIssuer.issuer))));
    const serial = hexOf(new Uint8Array(byIssuer.serialNumber));
    found = candidates.find((c) => c.issuerKey === issuer && c.decoded.serialKey === serial);
  } else if (info.sid.subjectKeyIdentifier !== undefined) {
    const ski = hexOf(new Uint8Array(info.sid.subjectKeyIdentifier.buffer));
    found = candidates.find((c) => c.subjectKeyId === ski);
  }
  if (found === undefined) throw malformed("the signer's certificate is not in the file");
  return found;
}

function checkContentType(signed: ReadonlyMap<string, readonly Uint8Array[]>, eContentType: string): void {
  const value = singleValue(signed, CMS_OID.contentType, 'contentType');
  if (oidOf(value, readSingle(value, DER_TAG.OID), 'contentType') !== eContentType) {
    throw new HpkiError('ERR_SIGNED_ATTRIBUTE_INVALID', 'the contentType attribute differs from the content type');
  }
}

function checkMessageDigest(
  signed: ReadonlyMap<string, readonly Uint8Array[]>,
  hash: HashAlgorithm,
  content: SignedContent,
) {
  const value = singleValue(signed, CMS_OID.messageDigest, 'messageDigest');
  const claimed = contentsOf(value, readSingle(value, DER_TAG.OCTET_STRING));
  let actual: Uint8Array;
  if (content instanceof Uint8Array) actual = digest(hash, content);
  else if (content.hashAlgorithm === hash) actual = content.digest;
  else throw malformed(`the signer digests with ${hash}, the content was given as ${content.hashAlgorithm}`);
  if (!sameBytes(claimed, actual)) {
    throw new HpkiError('ERR_DOCUMENT_MODIFIED', 'the content is not what was signed (messageDigest differs)');
  }
}

/** The DER the signature covers: the signed attributes with the SET OF tag (RFC 5652 §5.4). */
function signedAttributesDer(raw: Uint8Array | undefined): Uint8Array {
  if (raw === undefined) throw malformed('a signer has no signed attributes');
  const bytes = raw.slice();
  bytes[0] = DER_TAG.SET;
  return bytes;
}

export function checkSignerInfo(
  info: SignerInfo,
  /** The signer's signedAttrs as the file holds them (ParsedSignedData.signedAttributes). */
  signedAttributesRaw: Uint8Array | undefined,
  candidates: readonly ParsedCertificate[],
  eContentType: string,
  content: SignedContent,
): CheckedSigner {
  if (signedAttributesRaw === undefined || info.signedAttrs === undefined)
    throw malformed('a signer has no signed attributes');
  const hashAlgorithm = hashOf(info.digestAlgorithm, 'ERR_DOCUMENT_MALFORMED');
  const certificate = findCertificate(info, candidates);
  const signed = attributeMap(info.signedAttrs);
  const unsigned = attributeMap(info.unsignedAttrs);
  const signature = new Uint8Array(info.signature.buffer);
  try {
    checkContentType(signed, eContentType);
    checkMessageDigest(signed, hashAlgorithm, content);
  } catch (err) {
    if (err instanceof DerError) throw new HpkiError('ERR_SIGNED_ATTRIBUTE_INVALID', err.message);
    throw err;
  }
  const key = certificate.publicKey;
  if (
    key === undefined ||
    !verifyRsaSignature(
      info.signatureAlgorithm,
      hashAlgorithm,
      key,
      signedAttributesDer(signedAttributesRaw),
      signature,
    )
  ) {
    throw new HpkiError('ERR_SIGNATURE_INVALID', "the signature does not verify with the signer's certificate");
  }
  return { certificate, hashAlgorithm, signed, unsigned, signature };
}
