import {
  Attribute,
  CMSVersion,
  ContentInfo,
  DigestAlgorithmIdentifiers,
  EncapsulatedContentInfo,
  IssuerAndSerialNumber,
  SignedData,
  SignerIdentifier,
  SignerInfo,
  SignerInfos,
} from '@peculiar/asn1-cms';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, Name } from '@peculiar/asn1-x509';
import { DER_TAG, readChildren, readSingle, wholeOf } from '../../../protocol/der.js';
import * as w from '../../../protocol/der-writer.js';
import type { HashAlgorithm } from '../../../protocol/digest-info.js';
import type { ParsedCertificate } from '../../cert/index.js';
import type { Timestamper } from '../document-types.js';
import { DIGEST_OIDS, digest, RSA_SIGNATURE_OIDS } from './algorithms.js';
import { CMS_OID } from './oids.js';

/**
 * Assembles a detached CMS SignedData (RFC 5652 §5) from signed attributes, the card's signature
 * over them and the certificates: SignerInfo v1 with issuerAndSerialNumber, sha…WithRSAEncryption,
 * the signer's certificate and the card's CA certificates in `certificates`, and with a
 * Timestamper a signature timestamp (CAdES-T, ETSI EN 319 122-1 §5.3) over the signature value.
 * Certificates are spliced in as the card gave them, never re-encoded.
 */

export interface AssembleInput {
  hashAlgorithm: HashAlgorithm;
  /** The DER SET OF the signed attributes (signed-attributes.ts). */
  signedAttributes: Uint8Array;
  signature: Uint8Array;
  certificate: ParsedCertificate;
  intermediates: readonly Uint8Array[];
  timestamper?: Timestamper | undefined;
}

/** The Attribute objects of a DER SET OF Attribute, in its order. */
export function attributesOf(set: Uint8Array): Attribute[] {
  const el = readSingle(set, DER_TAG.SET);
  return readChildren(set, el, 64).map((a) => AsnConvert.parse(wholeOf(set, a), Attribute));
}

/** issuerAndSerialNumber, its issuer the certificate's own issuer bytes. */
function signerIdentifier(certificate: ParsedCertificate): SignerIdentifier {
  const issuer = AsnConvert.parse(certificate.decoded.issuerDer, Name);
  const serial = Uint8Array.from(Buffer.from(certificate.decoded.serialKey, 'hex'));
  return new SignerIdentifier({
    issuerAndSerialNumber: new IssuerAndSerialNumber({ issuer, serialNumber: serial.buffer }),
  });
}

async function unsignedAttributes(input: AssembleInput): Promise<Attribute[] | undefined> {
  if (input.timestamper === undefined) return undefined;
  const token = await input.timestamper(input.hashAlgorithm, digest(input.hashAlgorithm, input.signature));
  return [new Attribute({ attrType: CMS_OID.signatureTimeStampToken, attrValues: [token.slice().buffer] })];
}

/** Puts `[0] IMPLICIT CertificateSet` before signerInfos (the last field) of a SignedData's DER. */
function withCertificates(signedData: Uint8Array, certificates: readonly Uint8Array[]): Uint8Array {
  const fields = readChildren(signedData, readSingle(signedData, DER_TAG.SEQUENCE), 8).map((f) =>
    wholeOf(signedData, f),
  );
  const last = fields.pop()!;
  return w.sequence(...fields, w.tlvOf(0xa0, certificates), last);
}

/** A ContentInfo of `signedData` (no certificates in it) with these certificates spliced in as given. */
export function encodeSignedData(signedData: SignedData, certificates: readonly Uint8Array[]): Uint8Array {
  const content = withCertificates(new Uint8Array(AsnConvert.serialize(signedData)), certificates);
  const info = new ContentInfo({ contentType: CMS_OID.signedData, content: content.slice().buffer });
  return new Uint8Array(AsnConvert.serialize(info));
}

export async function assembleSignedData(input: AssembleInput): Promise<Uint8Array> {
  const digestAlgorithm = new AlgorithmIdentifier({ algorithm: DIGEST_OIDS[input.hashAlgorithm] });
  const unsignedAttrs = await unsignedAttributes(input);
  const signerInfo = new SignerInfo({
    version: CMSVersion.v1,
    sid: signerIdentifier(input.certificate),
    digestAlgorithm,
    signedAttrs: attributesOf(input.signedAttributes),
    signatureAlgorithm: new AlgorithmIdentifier({
      algorithm: RSA_SIGNATURE_OIDS[input.hashAlgorithm],
      parameters: null,
    }),
    signature: new OctetString(input.signature),
    ...(unsignedAttrs === undefined ? {} : { unsignedAttrs }),
  });
  const signedData = new SignedData({
    version: CMSVersion.v1,
    digestAlgorithms: new DigestAlgorithmIdentifiers([digestAlgorithm]),
    encapContentInfo: new EncapsulatedContentInfo({ eContentType: CMS_OID.data }),
    signerInfos: new SignerInfos([signerInfo]),
  });
  return encodeSignedData(signedData, [input.certificate.decoded.der, ...input.intermediates]);
}
