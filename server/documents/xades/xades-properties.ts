import type { Element } from '@xmldom/xmldom';
import { MAX_CERTIFICATE_BYTES, MAX_DIGEST_BYTES } from './xades-bounds.js';
import { XadesError } from './xades-errors.js';
import { C14N, DIGEST_METHODS, type DigestName, DS_NS, EXC_C14N, XADES_NS, XADES141_NS } from './xades-names.js';
import { base64Of, childrenNamed, elementChildren, isElement, onlyChild, optionalChild, textOf } from './xml-dom.js';

/**
 * The XAdES 1.3.2 QualifyingProperties of one signature: the signed SigningTime and
 * SigningCertificateV2 (both required), an optional SignaturePolicyIdentifier (EPES), and the unsigned
 * properties a verifier uses: SignatureTimeStamps, CertificateValues and RevocationValues (for the
 * signer, and in XAdES 1.4.1 TimeStampValidationData for the TSA), and ArchiveTimeStamps with the
 * unsigned properties before each (what it covers). Anything else unsigned is left unread.
 */

export interface SignedProperties {
  element: Element;
  signingTime: Date;
  /** Each Cert of SigningCertificateV2: its digest algorithm and value. */
  certificateDigests: ReadonlyArray<{ digest: DigestName; value: Uint8Array }>;
  policy: boolean;
}

export interface SignatureTimestamp {
  token: Uint8Array;
  /** How ds:SignatureValue is canonicalized for the imprint: its CanonicalizationMethod, by default C14N. */
  canonicalization: string;
}

/** An ArchiveTimeStamp (XAdES 1.4.1): it covers, among others, the unsigned properties before it. */
export interface ArchiveTimestamp extends SignatureTimestamp {
  preceding: Element[];
}

export interface UnsignedProperties {
  timestamps: SignatureTimestamp[];
  certificates: Uint8Array[];
  crls: Uint8Array[];
  tsaCertificates: Uint8Array[];
  tsaCrls: Uint8Array[];
  archiveTimestamps: ArchiveTimestamp[];
}

const MAX_VALUES = 8;
const MAX_TOKEN_BYTES = 64 * 1024;
const MAX_CRL_BYTES = 512 * 1024;

/** xs:dateTime with seconds and a time zone, as XAdES SigningTime. */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;

function readSigningTime(element: Element): Date {
  const text = textOf(element).trim();
  const time = DATE_TIME.test(text) ? new Date(text) : undefined;
  if (time === undefined || Number.isNaN(time.getTime())) {
    throw new XadesError('ERR_SIGNED_ATTRIBUTE_INVALID', 'SigningTime is not an xs:dateTime with a time zone');
  }
  return time;
}

function readCertDigest(cert: Element): { digest: DigestName; value: Uint8Array } {
  const certDigest = onlyChild(cert, XADES_NS, 'CertDigest', 'ERR_SIGNED_ATTRIBUTE_INVALID');
  const method = onlyChild(certDigest, DS_NS, 'DigestMethod', 'ERR_SIGNED_ATTRIBUTE_INVALID');
  const uri = method.getAttribute('Algorithm') ?? '';
  const digest = Object.hasOwn(DIGEST_METHODS, uri) ? DIGEST_METHODS[uri] : undefined;
  if (digest === undefined) throw new XadesError('ERR_XADES_ALGORITHM', `certificate digest '${uri.slice(0, 80)}'`);
  const value = onlyChild(certDigest, DS_NS, 'DigestValue', 'ERR_SIGNED_ATTRIBUTE_INVALID');
  return { digest, value: base64Of(value, MAX_DIGEST_BYTES, 'ERR_SIGNED_ATTRIBUTE_INVALID') };
}

function readSignedProperties(element: Element): SignedProperties {
  const children = elementChildren(element);
  const properties = onlyChild(element, XADES_NS, 'SignedSignatureProperties', 'ERR_SIGNED_ATTRIBUTE_INVALID');
  if (children.some((c) => c !== properties && !isElement(c, XADES_NS, 'SignedDataObjectProperties'))) {
    throw new XadesError('ERR_XADES_STRUCTURE', 'SignedProperties holds an unknown element');
  }
  const signingTime = onlyChild(properties, XADES_NS, 'SigningTime', 'ERR_SIGNED_ATTRIBUTE_INVALID');
  const v2 = onlyChild(properties, XADES_NS, 'SigningCertificateV2', 'ERR_SIGNED_ATTRIBUTE_INVALID');
  const certs = childrenNamed(v2, XADES_NS, 'Cert');
  if (certs.length === 0 || certs.length > MAX_VALUES) {
    throw new XadesError('ERR_SIGNED_ATTRIBUTE_INVALID', `SigningCertificateV2 holds ${certs.length} Cert`);
  }
  return {
    element,
    signingTime: readSigningTime(signingTime),
    certificateDigests: certs.map(readCertDigest),
    policy: optionalChild(properties, XADES_NS, 'SignaturePolicyIdentifier') !== undefined,
  };
}

function encapsulated(parent: Element, localName: string, maxBytes: number): Uint8Array[] {
  const values = elementChildren(parent).filter((e) => e.localName === localName && e.namespaceURI === XADES_NS);
  if (values.length > MAX_VALUES) throw new XadesError('ERR_XADES_STRUCTURE', `more than ${MAX_VALUES} ${localName}`);
  return values.map((v) => base64Of(v, maxBytes, 'ERR_XADES_STRUCTURE'));
}

function readTimestamp(element: Element): SignatureTimestamp {
  const method = optionalChild(element, DS_NS, 'CanonicalizationMethod');
  const canonicalization = method === undefined ? C14N : (method.getAttribute('Algorithm') ?? '');
  if (canonicalization !== C14N && canonicalization !== EXC_C14N) {
    throw new XadesError('ERR_XADES_ALGORITHM', `a ${element.localName} canonicalization other than c14n or exc-c14n`);
  }
  const tokens = childrenNamed(element, XADES_NS, 'EncapsulatedTimeStamp');
  const token = tokens[0];
  if (tokens.length !== 1 || token === undefined) {
    throw new XadesError('ERR_TIMESTAMP_INVALID', `a ${element.localName} without exactly one EncapsulatedTimeStamp`);
  }
  return { token: base64Of(token, MAX_TOKEN_BYTES, 'ERR_TIMESTAMP_INVALID'), canonicalization };
}

/** Certificates and CRLs of a CertificateValues / RevocationValues pair under `parent`, into `into`. */
function readValidationData(parent: Element, into: { certificates: Uint8Array[]; crls: Uint8Array[] }): void {
  for (const values of childrenNamed(parent, XADES_NS, 'CertificateValues')) {
    into.certificates.push(...encapsulated(values, 'EncapsulatedX509Certificate', MAX_CERTIFICATE_BYTES));
  }
  for (const revocation of childrenNamed(parent, XADES_NS, 'RevocationValues')) {
    for (const crls of childrenNamed(revocation, XADES_NS, 'CRLValues')) {
      into.crls.push(...encapsulated(crls, 'EncapsulatedCRLValue', MAX_CRL_BYTES));
    }
  }
  if (into.certificates.length > MAX_VALUES || into.crls.length > MAX_VALUES) {
    throw new XadesError('ERR_XADES_STRUCTURE', `more than ${MAX_VALUES} embedded certificates or CRLs`);
  }
}

function readArchiveTimestamps(properties: Element): ArchiveTimestamp[] {
  const children = elementChildren(properties);
  const stamps = children.flatMap((child, i) =>
    child.localName === 'ArchiveTimeStamp' && (child.namespaceURI === XADES141_NS || child.namespaceURI === XADES_NS)
      ? [{ ...readTimestamp(child), preceding: children.slice(0, i) }]
      : [],
  );
  if (stamps.length > MAX_VALUES) throw new XadesError('ERR_XADES_STRUCTURE', 'too many ArchiveTimeStamps');
  return stamps;
}

function readUnsignedProperties(element: Element | undefined): UnsignedProperties {
  const unsigned: UnsignedProperties = {
    timestamps: [],
    certificates: [],
    crls: [],
    tsaCertificates: [],
    tsaCrls: [],
    archiveTimestamps: [],
  };
  if (element === undefined) return unsigned;
  const properties = optionalChild(element, XADES_NS, 'UnsignedSignatureProperties');
  if (properties === undefined) return unsigned;
  const stamps = childrenNamed(properties, XADES_NS, 'SignatureTimeStamp');
  if (stamps.length > MAX_VALUES) throw new XadesError('ERR_XADES_STRUCTURE', 'too many SignatureTimeStamps');
  unsigned.timestamps = stamps.map(readTimestamp);
  readValidationData(properties, unsigned);
  const tsa = { certificates: unsigned.tsaCertificates, crls: unsigned.tsaCrls };
  for (const data of childrenNamed(properties, XADES141_NS, 'TimeStampValidationData')) readValidationData(data, tsa);
  unsigned.archiveTimestamps = readArchiveTimestamps(properties);
  return unsigned;
}

export function readQualifyingProperties(qualifying: Element): {
  signed: SignedProperties;
  unsigned: UnsignedProperties;
} {
  const signed = onlyChild(qualifying, XADES_NS, 'SignedProperties', 'ERR_SIGNED_ATTRIBUTE_INVALID');
  const unsigned = optionalChild(qualifying, XADES_NS, 'UnsignedProperties');
  if (elementChildren(qualifying).length !== (unsigned === undefined ? 1 : 2)) {
    throw new XadesError('ERR_XADES_STRUCTURE', 'QualifyingProperties holds an unknown element');
  }
  return { signed: readSignedProperties(signed), unsigned: readUnsignedProperties(unsigned) };
}
