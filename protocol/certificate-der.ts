import { AsnConvert } from '@peculiar/asn1-schema';
import { Name } from '@peculiar/asn1-x509';
import type { DerElement } from './der.js';
import { DER_TAG, DerError, bitStringBytes, decodeOid, decodeTime, expectTag, integerHex, readChildren, readSingle, valueOf, wholeOf } from './der.js';
import { HpkiError } from './errors.js';

/**
 * The skeleton of an X.509 certificate (RFC 5280 §4.1), read strictly: one DER SEQUENCE with
 * nothing after it, the exact TBS bytes the issuer signed, names both as DER (exact comparison) and
 * decoded with @peculiar/asn1-x509, and the extensions by OID (duplicates refused, §4.2).
 */

export const MAX_CERTIFICATE_BYTES = 16 * 1024;

export interface CertificateExtension {
  oid: string;
  critical: boolean;
  /** Contents of extnValue: the DER of the extension's own value. */
  value: Uint8Array;
}

export interface AlgorithmIdentifierDer {
  oid: string;
  /** DER of the parameters, when present. */
  parameters: Uint8Array | undefined;
}

export interface DecodedCertificate {
  der: Uint8Array;
  /** The exact TBSCertificate bytes the signature covers. */
  tbs: Uint8Array;
  version: number;
  serialNumberHex: string;
  signatureAlgorithm: AlgorithmIdentifierDer;
  signature: Uint8Array;
  issuer: Name;
  issuerDer: Uint8Array;
  subject: Name;
  subjectDer: Uint8Array;
  notBefore: Date;
  notAfter: Date;
  /** DER SubjectPublicKeyInfo, ready for `crypto.createPublicKey({ format: 'der', type: 'spki' })`. */
  subjectPublicKeyInfo: Uint8Array;
  publicKeyAlgorithm: string;
  extensions: ReadonlyMap<string, CertificateExtension>;
}

/** AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL } */
export function readAlgorithm(bytes: Uint8Array, el: DerElement | undefined, what: string): AlgorithmIdentifierDer {
  const seq = expectTag(el, DER_TAG.SEQUENCE, what);
  const [oid, params, extra] = readChildren(bytes, seq, 3);
  if (extra !== undefined) throw new DerError(`${what}: too many fields`);
  return {
    oid: decodeOid(valueOf(bytes, expectTag(oid, DER_TAG.OID, `${what} OID`))),
    parameters: params === undefined ? undefined : wholeOf(bytes, params),
  };
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** Decodes a Name from its DER with @peculiar/asn1-x509. */
export function decodeName(der: Uint8Array): Name {
  return AsnConvert.parse(der.slice(), Name);
}

function readExtensions(bytes: Uint8Array, wrapper: DerElement): Map<string, CertificateExtension> {
  const [list, extra] = readChildren(bytes, wrapper, 2);
  if (extra !== undefined) throw new DerError('extensions: trailing data');
  const out = new Map<string, CertificateExtension>();
  for (const ext of readChildren(bytes, expectTag(list, DER_TAG.SEQUENCE, 'extensions'), 64)) {
    out.set(...readExtension(bytes, ext, out));
  }
  return out;
}

/** One Extension SEQUENCE; also used for CRL extensions, which share the syntax. */
export function readExtension(
  bytes: Uint8Array,
  ext: DerElement,
  seen: ReadonlyMap<string, CertificateExtension>,
): [string, CertificateExtension] {
  const fields = readChildren(bytes, expectTag(ext, DER_TAG.SEQUENCE, 'extension'), 4);
  const oid = decodeOid(valueOf(bytes, expectTag(fields[0], DER_TAG.OID, 'extnID')));
  let critical = false;
  let next = 1;
  if (fields[1]?.tag === DER_TAG.BOOLEAN) {
    const v = valueOf(bytes, fields[1]);
    if (v.length !== 1) throw new DerError('bad BOOLEAN');
    critical = v[0] !== 0;
    next = 2;
  }
  const value = valueOf(bytes, expectTag(fields[next], DER_TAG.OCTET_STRING, 'extnValue'));
  if (fields.length !== next + 1) throw new DerError('extension: trailing data');
  if (seen.has(oid)) throw new DerError(`duplicate extension ${oid}`);
  return [oid, { oid, critical, value }];
}

function decodeUnchecked(der: Uint8Array): DecodedCertificate {
  const cert = readSingle(der, DER_TAG.SEQUENCE);
  const [tbsEl, algEl, sigEl, extra] = readChildren(der, cert, 4);
  if (extra !== undefined) throw new DerError('certificate: trailing fields');
  const tbsSeq = expectTag(tbsEl, DER_TAG.SEQUENCE, 'tbsCertificate');
  const signatureAlgorithm = readAlgorithm(der, algEl, 'signatureAlgorithm');
  const signature = bitStringBytes(valueOf(der, expectTag(sigEl, DER_TAG.BIT_STRING, 'signatureValue')));

  const fields = readChildren(der, tbsSeq, 11);
  let i = 0;
  let version = 1;
  if (fields[0]?.tag === 0xa0) {
    const [v] = readChildren(der, fields[0], 1);
    const value = valueOf(der, expectTag(v, DER_TAG.INTEGER, 'version'));
    if (value.length !== 1 || value[0]! > 2) throw new DerError('bad version');
    version = value[0]! + 1;
    i = 1;
  }
  const serial = valueOf(der, expectTag(fields[i++], DER_TAG.INTEGER, 'serialNumber'));
  if (serial.length > 21) throw new DerError('serial number too long');
  const innerAlgorithm = readAlgorithm(der, fields[i++], 'signature');
  if (innerAlgorithm.oid !== signatureAlgorithm.oid || !sameBytes(innerAlgorithm.parameters, signatureAlgorithm.parameters)) {
    throw new DerError('inner and outer signature algorithms differ');
  }
  const issuerEl = expectTag(fields[i++], DER_TAG.SEQUENCE, 'issuer');
  const validity = readChildren(der, expectTag(fields[i++], DER_TAG.SEQUENCE, 'validity'), 3);
  if (validity.length !== 2) throw new DerError('bad validity');
  const subjectEl = expectTag(fields[i++], DER_TAG.SEQUENCE, 'subject');
  const spkiEl = expectTag(fields[i++], DER_TAG.SEQUENCE, 'subjectPublicKeyInfo');
  const [keyAlg] = readChildren(der, spkiEl, 3);
  const publicKeyAlgorithm = readAlgorithm(der, keyAlg, 'subjectPublicKeyInfo.algorithm').oid;
  if (fields[i]?.tag === 0x81) i++;
  if (fields[i]?.tag === 0x82) i++;
  let extensions = new Map<string, CertificateExtension>();
  if (fields[i]?.tag === 0xa3) {
    if (version !== 3) throw new DerError('extensions need version 3');
    extensions = readExtensions(der, fields[i++]!);
  }
  if (i !== fields.length) throw new DerError('tbsCertificate: unexpected fields');

  const issuerDer = wholeOf(der, issuerEl);
  const subjectDer = wholeOf(der, subjectEl);
  return {
    der,
    tbs: wholeOf(der, tbsSeq),
    version,
    serialNumberHex: integerHex(serial),
    signatureAlgorithm,
    signature,
    issuer: decodeName(issuerDer),
    issuerDer,
    subject: decodeName(subjectDer),
    subjectDer,
    notBefore: decodeTime(der, validity[0]!),
    notAfter: decodeTime(der, validity[1]!),
    subjectPublicKeyInfo: wholeOf(der, spkiEl),
    publicKeyAlgorithm,
    extensions,
  };
}

/**
 * Decodes a DER certificate of at most 16 KiB. Anything else (PEM, trailing bytes, BER lengths,
 * truncation) → HpkiError ERR_TOKEN_MALFORMED: certificates reach us inside tokens.
 */
export function decodeCertificate(der: Uint8Array): DecodedCertificate {
  if (!(der instanceof Uint8Array) || der.length === 0) {
    throw new HpkiError('ERR_TOKEN_MALFORMED', 'certificate is empty');
  }
  if (der.length > MAX_CERTIFICATE_BYTES) {
    throw new HpkiError('ERR_TOKEN_MALFORMED', `certificate larger than ${MAX_CERTIFICATE_BYTES} bytes`);
  }
  try {
    return decodeUnchecked(der);
  } catch (err) {
    const reason = err instanceof DerError ? err.message : 'undecodable structure';
    throw new HpkiError('ERR_TOKEN_MALFORMED', `certificate is not valid DER: ${reason}`, { cause: err });
  }
}
