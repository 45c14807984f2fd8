import type { DerElement } from './der.js';
import {
  bitStringBytes,
  checkMinimalInteger,
  contentsOf,
  DER_TAG,
  DerError,
  decodeBitString,
  decodeBoolean,
  decodeTime,
  expectTag,
  integerHex,
  integerKey,
  oidOf,
  readChildren,
  readSingle,
  wholeOf,
} from './der.js';
import { HpkiError } from './errors.js';
import type { DistinguishedName } from './x500-name.js';
import { readName, readSharedName } from './x500-name.js';

/**
 * The skeleton of an X.509 certificate (RFC 5280 §4.1), read strictly: one DER SEQUENCE with
 * nothing after it, the exact TBS bytes the issuer signed, names both as DER and decoded (by hand,
 * see x500-name.ts), the RSA key's size and exponent, and the extensions by OID (duplicates and an
 * empty list refused, §4.2; unique identifiers only from v2, extensions only in v3, §4.1.2.8–9).
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

/** What the verifier's key policy needs to know about an RSA public key, read from the DER. */
export interface RsaKeyFacts {
  modulusBits: number;
  exponent: bigint;
  /** The modulus and the exponent as unsigned big-endian octets (no sign octet): a JWK's `n` and `e`. */
  modulus: Uint8Array;
  exponentOctets: Uint8Array;
}

export const RSA_ENCRYPTION_OID = '1.2.840.113549.1.1.1';

export interface DecodedCertificate {
  der: Uint8Array;
  /** The exact TBSCertificate bytes the signature covers. */
  tbs: Uint8Array;
  version: number;
  /** Lowercase hex of the serial's magnitude (`-` first when negative): for display. */
  serialNumberHex: string;
  /** The serial's DER INTEGER contents as hex: for comparison (sign included). */
  serialKey: string;
  /** The serial's INTEGER contents were negative or zero (RFC 5280 §4.1.2.2 wants positive). */
  serialNotPositive: boolean;
  signatureAlgorithm: AlgorithmIdentifierDer;
  signature: Uint8Array;
  issuer: DistinguishedName;
  issuerDer: Uint8Array;
  subject: DistinguishedName;
  subjectDer: Uint8Array;
  notBefore: Date;
  notAfter: Date;
  /** DER SubjectPublicKeyInfo, ready for `crypto.createPublicKey({ format: 'der', type: 'spki' })`. */
  subjectPublicKeyInfo: Uint8Array;
  publicKeyAlgorithm: string;
  /** The key algorithm's parameters (DER), when present. */
  publicKeyParameters: Uint8Array | undefined;
  /** Set for rsaEncryption keys whose RSAPublicKey parses. */
  rsaKey: RsaKeyFacts | undefined;
  issuerUniqueId: boolean;
  subjectUniqueId: boolean;
  extensions: ReadonlyMap<string, CertificateExtension>;
}

/** AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL } */
export function readAlgorithm(bytes: Uint8Array, el: DerElement | undefined, what: string): AlgorithmIdentifierDer {
  const seq = expectTag(el, DER_TAG.SEQUENCE, what);
  const [oid, params, extra] = readChildren(bytes, seq, 3);
  if (extra !== undefined) throw new DerError(`${what}: too many fields`);
  return {
    oid: oidOf(bytes, oid, `${what} OID`),
    parameters: params === undefined ? undefined : wholeOf(bytes, params),
  };
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function readExtensions(bytes: Uint8Array, wrapper: DerElement): Map<string, CertificateExtension> {
  const [list, extra] = readChildren(bytes, wrapper, 2);
  if (extra !== undefined) throw new DerError('extensions: trailing data');
  const out = new Map<string, CertificateExtension>();
  for (const ext of readChildren(bytes, expectTag(list, DER_TAG.SEQUENCE, 'extensions'), 64)) {
    out.set(...readExtension(bytes, ext, out));
  }
  if (out.size === 0) throw new DerError('extensions: empty list');
  return out;
}

/** Bit length of a positive INTEGER's magnitude. */
function magnitudeBits(value: Uint8Array): number {
  let i = 0;
  while (i < value.length - 1 && value[i] === 0) i++;
  const first = value[i]!;
  return (value.length - i - 1) * 8 + (first === 0 ? 0 : 32 - Math.clz32(first));
}

/** A non-negative INTEGER's contents without the sign octet. */
function unsigned(value: Uint8Array): Uint8Array {
  return value.length > 1 && value[0] === 0 ? value.subarray(1) : value;
}

/** RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }, both positive. */
function readRsaKey(bits: Uint8Array): RsaKeyFacts | undefined {
  try {
    const [modulus, exponent, extra] = readChildren(bits, readSingle(bits, DER_TAG.SEQUENCE), 3);
    if (extra !== undefined) return undefined;
    const n = contentsOf(bits, expectTag(modulus, DER_TAG.INTEGER, 'modulus'));
    const e = contentsOf(bits, expectTag(exponent, DER_TAG.INTEGER, 'publicExponent'));
    checkMinimalInteger(n);
    const eHex = integerKey(e);
    if ((n[0]! & 0x80) !== 0 || (e[0]! & 0x80) !== 0) return undefined;
    return {
      modulusBits: magnitudeBits(n),
      exponent: BigInt(`0x${eHex}`),
      modulus: unsigned(n),
      exponentOctets: unsigned(e),
    };
  } catch {
    return undefined;
  }
}

/** One Extension SEQUENCE; also used for CRL extensions, which share the syntax. */
export function readExtension(
  bytes: Uint8Array,
  ext: DerElement,
  seen: ReadonlyMap<string, CertificateExtension>,
): [string, CertificateExtension] {
  const fields = readChildren(bytes, expectTag(ext, DER_TAG.SEQUENCE, 'extension'), 4);
  const oid = oidOf(bytes, fields[0], 'extnID');
  let critical = false;
  let next = 1;
  if (fields[1]?.tag === DER_TAG.BOOLEAN) {
    critical = decodeBoolean(contentsOf(bytes, fields[1]));
    // DEFAULT FALSE is never encoded in DER (X.690 §11.5).
    if (!critical) throw new DerError('extension: DEFAULT critical FALSE encoded');
    next = 2;
  }
  const value = contentsOf(bytes, expectTag(fields[next], DER_TAG.OCTET_STRING, 'extnValue'));
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
  const signature = bitStringBytes(contentsOf(der, expectTag(sigEl, DER_TAG.BIT_STRING, 'signatureValue')));

  const fields = readChildren(der, tbsSeq, 11);
  let i = 0;
  let version = 1;
  if (fields[0]?.tag === 0xa0) {
    const [v] = readChildren(der, fields[0], 1);
    const value = contentsOf(der, expectTag(v, DER_TAG.INTEGER, 'version'));
    if (value.length !== 1 || value[0]! > 2) throw new DerError('bad version');
    version = value[0]! + 1;
    i = 1;
  }
  const serial = contentsOf(der, expectTag(fields[i++], DER_TAG.INTEGER, 'serialNumber'));
  // Users must handle 20 octets (§4.1.2.2); a positive 20-octet value may need a 21st sign octet.
  if (serial.length > 21) throw new DerError('serial number too long');
  const serialKey = integerKey(serial);
  const innerAlgorithm = readAlgorithm(der, fields[i++], 'signature');
  if (
    innerAlgorithm.oid !== signatureAlgorithm.oid ||
    !sameBytes(innerAlgorithm.parameters, signatureAlgorithm.parameters)
  ) {
    throw new DerError('inner and outer signature algorithms differ');
  }
  const issuerEl = expectTag(fields[i++], DER_TAG.SEQUENCE, 'issuer');
  const validity = readChildren(der, expectTag(fields[i++], DER_TAG.SEQUENCE, 'validity'), 3);
  if (validity.length !== 2) throw new DerError('bad validity');
  const subjectEl = expectTag(fields[i++], DER_TAG.SEQUENCE, 'subject');
  const spkiEl = expectTag(fields[i++], DER_TAG.SEQUENCE, 'subjectPublicKeyInfo');
  const [keyAlg, keyBits, keyExtra] = readChildren(der, spkiEl, 3);
  if (keyExtra !== undefined) throw new DerError('subjectPublicKeyInfo: trailing data');
  const keyAlgorithm = readAlgorithm(der, keyAlg, 'subjectPublicKeyInfo.algorithm');
  const keyBitString = decodeBitString(contentsOf(der, expectTag(keyBits, DER_TAG.BIT_STRING, 'subjectPublicKey')));
  const rsaKey =
    keyAlgorithm.oid === RSA_ENCRYPTION_OID && keyBitString.unusedBits === 0
      ? readRsaKey(keyBitString.bytes)
      : undefined;
  const issuerUniqueId = fields[i]?.tag === 0x81;
  if (issuerUniqueId) decodeBitString(contentsOf(der, fields[i++]!));
  const subjectUniqueId = fields[i]?.tag === 0x82;
  if (subjectUniqueId) decodeBitString(contentsOf(der, fields[i++]!));
  if ((issuerUniqueId || subjectUniqueId) && version < 2) throw new DerError('unique identifiers need version 2 or 3');
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
    serialKey,
    serialNotPositive: (serial[0]! & 0x80) !== 0 || (serial.length === 1 && serial[0] === 0),
    signatureAlgorithm,
    signature,
    issuer: readSharedName(der, issuerEl),
    issuerDer,
    subject: readName(der, subjectEl),
    subjectDer,
    notBefore: decodeTime(der, validity[0]!),
    notAfter: decodeTime(der, validity[1]!),
    subjectPublicKeyInfo: wholeOf(der, spkiEl),
    publicKeyAlgorithm: keyAlgorithm.oid,
    publicKeyParameters: keyAlgorithm.parameters,
    rsaKey,
    issuerUniqueId,
    subjectUniqueId,
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
