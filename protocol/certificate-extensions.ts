import { AsnConvert } from '@peculiar/asn1-schema';
import type { GeneralName, Name } from '@peculiar/asn1-x509';
import { CRLDistributionPoints, IssuingDistributionPoint, SubjectAlternativeName } from '@peculiar/asn1-x509';
import { bytesToHex } from './base64.js';
import { DER_TAG, DerError, decodeOid, expectTag, readChildren, readSingle, valueOf } from './der.js';

/** Decoders for the extension values the HPKI profile uses (RFC 5280 §4.2, §5.2). */

export const EXT = {
  subjectDirectoryAttributes: '2.5.29.9',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  cRLNumber: '2.5.29.20',
  cRLReason: '2.5.29.21',
  invalidityDate: '2.5.29.24',
  deltaCRLIndicator: '2.5.29.27',
  issuingDistributionPoint: '2.5.29.28',
  certificateIssuer: '2.5.29.29',
  crlDistributionPoints: '2.5.29.31',
  certificatePolicies: '2.5.29.32',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
} as const;

export interface KeyUsageBits {
  digitalSignature: boolean;
  nonRepudiation: boolean;
  keyCertSign: boolean;
  cRLSign: boolean;
}

export function decodeKeyUsage(value: Uint8Array): KeyUsageBits {
  const el = readSingle(value, DER_TAG.BIT_STRING);
  const bits = valueOf(value, el);
  if (bits.length === 0 || bits[0]! > 7 || (bits.length === 1 && bits[0] !== 0)) throw new DerError('bad KeyUsage');
  const bit = (n: number): boolean => ((bits[1 + (n >> 3)] ?? 0) & (0x80 >> (n & 7))) !== 0;
  return { digitalSignature: bit(0), nonRepudiation: bit(1), keyCertSign: bit(5), cRLSign: bit(6) };
}

export interface BasicConstraintsValue {
  ca: boolean;
  pathLen: number | undefined;
}

export function decodeBasicConstraints(value: Uint8Array): BasicConstraintsValue {
  const seq = readSingle(value, DER_TAG.SEQUENCE);
  const fields = readChildren(value, seq, 3);
  let ca = false;
  let pathLen: number | undefined;
  let i = 0;
  if (fields[i]?.tag === DER_TAG.BOOLEAN) {
    const v = valueOf(value, fields[i++]!);
    if (v.length !== 1) throw new DerError('bad BOOLEAN');
    ca = v[0] !== 0;
  }
  if (fields[i]?.tag === DER_TAG.INTEGER) {
    const v = valueOf(value, fields[i++]!);
    if (v.length === 0 || v.length > 2 || (v[0]! & 0x80) !== 0) throw new DerError('bad pathLenConstraint');
    pathLen = v.reduce((n, b) => n * 256 + b, 0);
  }
  if (i !== fields.length) throw new DerError('bad BasicConstraints');
  return { ca, pathLen };
}

/** The policy OIDs of certificatePolicies; qualifiers (CPS URIs) are not needed. */
export function decodeCertificatePolicies(value: Uint8Array): string[] {
  const seq = readSingle(value, DER_TAG.SEQUENCE);
  return readChildren(value, seq, 32).map((info) => {
    const [oid] = readChildren(value, expectTag(info, DER_TAG.SEQUENCE, 'PolicyInformation'), 2);
    return decodeOid(valueOf(value, expectTag(oid, DER_TAG.OID, 'policyIdentifier')));
  });
}

/** subjectKeyIdentifier, as lowercase hex. */
export function decodeSubjectKeyIdentifier(value: Uint8Array): string {
  return bytesToHex(valueOf(value, readSingle(value, DER_TAG.OCTET_STRING)));
}

/** The keyIdentifier [0] of authorityKeyIdentifier, as lowercase hex, when present. */
export function decodeAuthorityKeyIdentifier(value: Uint8Array): string | undefined {
  const seq = readSingle(value, DER_TAG.SEQUENCE);
  const keyId = readChildren(value, seq, 3).find((el) => el.tag === 0x80);
  return keyId === undefined ? undefined : bytesToHex(valueOf(value, keyId));
}

/** Directory names in subjectAltName (HPKI puts the holder's name in Japanese there). */
export function decodeSubjectAltDirectoryNames(value: Uint8Array): Name[] {
  const names = AsnConvert.parse(value.slice(), SubjectAlternativeName);
  return names.flatMap((n) => (n.directoryName === undefined ? [] : [n.directoryName]));
}

/** One distribution point's full names (dirName and URI are what HPKI uses). */
export interface DistributionPointNames {
  dirNames: Name[];
  uris: string[];
  /** True when the point names a separate CRL issuer or limits reasons: not a full CRL of the CA. */
  partial: boolean;
}

function splitGeneralNames(names: readonly GeneralName[] | undefined): { dirNames: Name[]; uris: string[] } {
  const dirNames: Name[] = [];
  const uris: string[] = [];
  for (const n of names ?? []) {
    if (n.directoryName !== undefined) dirNames.push(n.directoryName);
    if (n.uniformResourceIdentifier !== undefined) uris.push(n.uniformResourceIdentifier);
  }
  return { dirNames, uris };
}

export function decodeCrlDistributionPoints(value: Uint8Array): DistributionPointNames[] {
  const points = AsnConvert.parse(value.slice(), CRLDistributionPoints);
  return points.map((p) => ({
    ...splitGeneralNames(p.distributionPoint?.fullName),
    partial: p.cRLIssuer !== undefined || p.reasons !== undefined,
  }));
}

/** The IssuingDistributionPoint of a CRL (RFC 5280 §5.2.5). */
export interface IssuingDistributionPointValue {
  dirNames: Name[];
  uris: string[];
  /** A distribution point name was present (then it must match the certificate's). */
  hasName: boolean;
  onlyContainsUserCerts: boolean;
  onlyContainsCACerts: boolean;
  onlyContainsAttributeCerts: boolean;
  onlySomeReasons: boolean;
  indirectCRL: boolean;
}

export function decodeIssuingDistributionPoint(value: Uint8Array): IssuingDistributionPointValue {
  const idp = AsnConvert.parse(value.slice(), IssuingDistributionPoint);
  const dp = idp.distributionPoint;
  return {
    ...splitGeneralNames(dp?.fullName),
    hasName: dp !== undefined,
    onlyContainsUserCerts: idp.onlyContainsUserCerts,
    onlyContainsCACerts: idp.onlyContainsCACerts,
    onlyContainsAttributeCerts: idp.onlyContainsAttributeCerts,
    onlySomeReasons: idp.onlySomeReasons !== undefined,
    indirectCRL: idp.indirectCRL,
  };
}
