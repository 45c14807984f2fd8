import { bytesToHex } from './base64.js';
import type { DerElement } from './der.js';
import {
  contentsOf,
  DER_TAG,
  DerError,
  decodeBoolean,
  decodeNamedBits,
  decodeSmallCount,
  expectTag,
  integerKey,
  memoizedDecoder,
  oidOf,
  readChildren,
  readSingle,
} from './der.js';
import type { GeneralName } from './general-names.js';
import { decodeGeneralNames, readGeneralName, readGeneralNames } from './general-names.js';
import type { DistinguishedName } from './x500-name.js';

/**
 * Decoders for certificate extension values (RFC 5280 §4.2), strict DER, by hand for speed (see
 * x500-name.ts). They check syntax only; what a value means for a path is server/cert's business.
 */

export const EXT = {
  subjectDirectoryAttributes: '2.5.29.9',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  issuerAltName: '2.5.29.18',
  basicConstraints: '2.5.29.19',
  cRLNumber: '2.5.29.20',
  cRLReason: '2.5.29.21',
  holdInstructionCode: '2.5.29.23',
  invalidityDate: '2.5.29.24',
  deltaCRLIndicator: '2.5.29.27',
  issuingDistributionPoint: '2.5.29.28',
  certificateIssuer: '2.5.29.29',
  nameConstraints: '2.5.29.30',
  crlDistributionPoints: '2.5.29.31',
  certificatePolicies: '2.5.29.32',
  policyMappings: '2.5.29.33',
  authorityKeyIdentifier: '2.5.29.35',
  policyConstraints: '2.5.29.36',
  extKeyUsage: '2.5.29.37',
  freshestCRL: '2.5.29.46',
  inhibitAnyPolicy: '2.5.29.54',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
  subjectInfoAccess: '1.3.6.1.5.5.7.1.11',
} as const;

export const ANY_POLICY = '2.5.29.32.0';

export interface KeyUsageBits {
  digitalSignature: boolean;
  nonRepudiation: boolean;
  keyCertSign: boolean;
  cRLSign: boolean;
}

/** KeyUsage bit numbers (§4.2.1.3). */
export const KEY_USAGE_BIT = {
  digitalSignature: 0,
  nonRepudiation: 1,
  keyEncipherment: 2,
  dataEncipherment: 3,
  keyAgreement: 4,
  keyCertSign: 5,
  cRLSign: 6,
  encipherOnly: 7,
  decipherOnly: 8,
} as const;

/** The KeyUsage BIT STRING as a mask of all nine bits (`1 << KEY_USAGE_BIT.x`). */
export const decodeKeyUsageMask = memoizedDecoder((value: Uint8Array): number =>
  decodeNamedBits(contentsOf(value, readSingle(value, DER_TAG.BIT_STRING)), 9),
);

export function keyUsageBits(mask: number): KeyUsageBits {
  const bit = (n: number): boolean => (mask & (1 << n)) !== 0;
  return {
    digitalSignature: bit(KEY_USAGE_BIT.digitalSignature),
    nonRepudiation: bit(KEY_USAGE_BIT.nonRepudiation),
    keyCertSign: bit(KEY_USAGE_BIT.keyCertSign),
    cRLSign: bit(KEY_USAGE_BIT.cRLSign),
  };
}

export function decodeKeyUsage(value: Uint8Array): KeyUsageBits {
  return keyUsageBits(decodeKeyUsageMask(value));
}

export interface BasicConstraintsValue {
  ca: boolean;
  pathLen: number | undefined;
}

export const decodeBasicConstraints = memoizedDecoder((value: Uint8Array): BasicConstraintsValue => {
  const fields = readChildren(value, readSingle(value, DER_TAG.SEQUENCE), 3);
  let ca = false;
  let pathLen: number | undefined;
  let i = 0;
  if (fields[i]?.tag === DER_TAG.BOOLEAN) {
    ca = decodeBoolean(contentsOf(value, fields[i++]!));
    if (!ca) throw new DerError('BasicConstraints: DEFAULT FALSE encoded');
  }
  if (fields[i]?.tag === DER_TAG.INTEGER)
    pathLen = decodeSmallCount(contentsOf(value, fields[i++]!), 'pathLenConstraint');
  if (i !== fields.length) throw new DerError('bad BasicConstraints');
  return { ca, pathLen };
});

export interface PolicyInformation {
  oid: string;
  /** policyQualifierId of each qualifier. */
  qualifiers: string[];
}

export const decodePolicyInformation = memoizedDecoder((value: Uint8Array): PolicyInformation[] => {
  const policies = readChildren(value, readSingle(value, DER_TAG.SEQUENCE), 32).map((info) => {
    const [oid, qualifiers, extra] = readChildren(value, expectTag(info, DER_TAG.SEQUENCE, 'PolicyInformation'), 3);
    if (extra !== undefined) throw new DerError('PolicyInformation: trailing data');
    const ids =
      qualifiers === undefined
        ? []
        : readChildren(value, expectTag(qualifiers, DER_TAG.SEQUENCE, 'policyQualifiers'), 16).map((q) => {
            const [id] = readChildren(value, expectTag(q, DER_TAG.SEQUENCE, 'PolicyQualifierInfo'), 2);
            return oidOf(value, id, 'policyQualifierId');
          });
    if (qualifiers !== undefined && ids.length === 0) throw new DerError('policyQualifiers is empty');
    return { oid: oidOf(value, oid, 'policyIdentifier'), qualifiers: ids };
  });
  if (policies.length === 0) throw new DerError('certificatePolicies is empty');
  return policies;
});

/** The policy OIDs of certificatePolicies. */
export function decodeCertificatePolicies(value: Uint8Array): string[] {
  return decodePolicyInformation(value).map((p) => p.oid);
}

/** subjectKeyIdentifier, as lowercase hex. */
export function decodeSubjectKeyIdentifier(value: Uint8Array): string {
  return bytesToHex(contentsOf(value, readSingle(value, DER_TAG.OCTET_STRING)));
}

export interface AuthorityKeyIdentifierValue {
  keyId: string | undefined;
  issuer: GeneralName[] | undefined;
  serialKey: string | undefined;
}

export const decodeAuthorityKeyIdentifierValue = memoizedDecoder((value: Uint8Array): AuthorityKeyIdentifierValue => {
  const fields = readChildren(value, readSingle(value, DER_TAG.SEQUENCE), 4);
  const out: AuthorityKeyIdentifierValue = { keyId: undefined, issuer: undefined, serialKey: undefined };
  let i = 0;
  if (fields[i]?.tag === 0x80) out.keyId = bytesToHex(contentsOf(value, fields[i++]!));
  if (fields[i]?.tag === 0xa1) out.issuer = readGeneralNames(value, fields[i++]!, 'authorityCertIssuer');
  if (fields[i]?.tag === 0x82) out.serialKey = integerKey(contentsOf(value, fields[i++]!));
  if (i !== fields.length) throw new DerError('bad AuthorityKeyIdentifier');
  return out;
});

/** The keyIdentifier [0] of authorityKeyIdentifier, as lowercase hex, when present. */
export function decodeAuthorityKeyIdentifier(value: Uint8Array): string | undefined {
  return decodeAuthorityKeyIdentifierValue(value).keyId;
}

/** Directory names in subjectAltName (HPKI puts the holder's name in Japanese there). */
export function decodeSubjectAltDirectoryNames(value: Uint8Array): DistinguishedName[] {
  return decodeGeneralNames(value, 'subjectAltName').flatMap((n) => (n.kind === 'directoryName' ? [n.name] : []));
}

function oidList(value: Uint8Array, what: string): string[] {
  const oids = readChildren(value, readSingle(value, DER_TAG.SEQUENCE), 64).map((el) => oidOf(value, el, what));
  if (oids.length === 0) throw new DerError(`${what} list is empty`);
  return oids;
}

/** ExtKeyUsageSyntax ::= SEQUENCE SIZE (1..MAX) OF KeyPurposeId */
export function decodeExtendedKeyUsage(value: Uint8Array): string[] {
  return oidList(value, 'KeyPurposeId');
}

export interface GeneralSubtree {
  base: GeneralName;
  minimum: number;
  maximum: number | undefined;
}

export interface NameConstraintsValue {
  permitted: GeneralSubtree[] | undefined;
  excluded: GeneralSubtree[] | undefined;
}

function readSubtrees(bytes: Uint8Array, el: DerElement): GeneralSubtree[] {
  const out = readChildren(bytes, el, 256).map((subtree) => {
    const [baseEl, ...rest] = readChildren(bytes, expectTag(subtree, DER_TAG.SEQUENCE, 'GeneralSubtree'), 3);
    if (baseEl === undefined) throw new DerError('GeneralSubtree without base');
    let minimum = 0;
    let maximum: number | undefined;
    let i = 0;
    if (rest[i]?.tag === 0x80) {
      minimum = decodeSmallCount(contentsOf(bytes, rest[i++]!), 'minimum');
      if (minimum === 0) throw new DerError('GeneralSubtree: DEFAULT minimum encoded');
    }
    if (rest[i]?.tag === 0x81) maximum = decodeSmallCount(contentsOf(bytes, rest[i++]!), 'maximum');
    if (i !== rest.length) throw new DerError('GeneralSubtree: unexpected fields');
    return { base: readGeneralName(bytes, baseEl), minimum, maximum };
  });
  if (out.length === 0) throw new DerError('GeneralSubtrees is empty');
  return out;
}

export function decodeNameConstraints(value: Uint8Array): NameConstraintsValue {
  const fields = readChildren(value, readSingle(value, DER_TAG.SEQUENCE), 3);
  const out: NameConstraintsValue = { permitted: undefined, excluded: undefined };
  let i = 0;
  if (fields[i]?.tag === 0xa0) out.permitted = readSubtrees(value, fields[i++]!);
  if (fields[i]?.tag === 0xa1) out.excluded = readSubtrees(value, fields[i++]!);
  if (i !== fields.length) throw new DerError('NameConstraints: unexpected fields');
  return out;
}

/** PolicyMappings ::= SEQUENCE SIZE (1..MAX) OF SEQUENCE { issuerDomainPolicy, subjectDomainPolicy } */
export function decodePolicyMappings(value: Uint8Array): [string, string][] {
  const pairs = readChildren(value, readSingle(value, DER_TAG.SEQUENCE), 64).map((pair): [string, string] => {
    const [from, to, extra] = readChildren(value, expectTag(pair, DER_TAG.SEQUENCE, 'policy mapping'), 3);
    if (extra !== undefined) throw new DerError('policy mapping: trailing data');
    return [oidOf(value, from, 'issuerDomainPolicy'), oidOf(value, to, 'subjectDomainPolicy')];
  });
  if (pairs.length === 0) throw new DerError('PolicyMappings is empty');
  return pairs;
}

export interface PolicyConstraintsValue {
  requireExplicitPolicy: number | undefined;
  inhibitPolicyMapping: number | undefined;
}

export function decodePolicyConstraints(value: Uint8Array): PolicyConstraintsValue {
  const fields = readChildren(value, readSingle(value, DER_TAG.SEQUENCE), 3);
  const out: PolicyConstraintsValue = { requireExplicitPolicy: undefined, inhibitPolicyMapping: undefined };
  let i = 0;
  if (fields[i]?.tag === 0x80)
    out.requireExplicitPolicy = decodeSmallCount(contentsOf(value, fields[i++]!), 'requireExplicitPolicy');
  if (fields[i]?.tag === 0x81)
    out.inhibitPolicyMapping = decodeSmallCount(contentsOf(value, fields[i++]!), 'inhibitPolicyMapping');
  if (i !== fields.length) throw new DerError('PolicyConstraints: unexpected fields');
  return out;
}

export function decodeInhibitAnyPolicy(value: Uint8Array): number {
  return decodeSmallCount(contentsOf(value, readSingle(value, DER_TAG.INTEGER)), 'inhibitAnyPolicy');
}

export interface AccessDescription {
  method: string;
  location: GeneralName;
}

/** AuthorityInfoAccessSyntax / SubjectInfoAccessSyntax: SEQUENCE SIZE (1..MAX) OF AccessDescription */
export function decodeAccessDescriptions(value: Uint8Array): AccessDescription[] {
  const out = readChildren(value, readSingle(value, DER_TAG.SEQUENCE), 32).map((d) => {
    const [method, location, extra] = readChildren(value, expectTag(d, DER_TAG.SEQUENCE, 'AccessDescription'), 3);
    if (location === undefined || extra !== undefined) throw new DerError('bad AccessDescription');
    return {
      method: oidOf(value, method, 'accessMethod'),
      location: readGeneralName(value, location),
    };
  });
  if (out.length === 0) throw new DerError('access descriptions are empty');
  return out;
}

/** SubjectDirectoryAttributes ::= SEQUENCE SIZE (1..MAX) OF Attribute: the attribute types. */
export const decodeSubjectDirectoryAttributeTypes = memoizedDecoder((value: Uint8Array): string[] => {
  const out = readChildren(value, readSingle(value, DER_TAG.SEQUENCE), 32).map((attr) => {
    const [type, values, extra] = readChildren(value, expectTag(attr, DER_TAG.SEQUENCE, 'Attribute'), 3);
    if (extra !== undefined) throw new DerError('Attribute: trailing data');
    expectTag(values, DER_TAG.SET, 'attribute values');
    return oidOf(value, type, 'attribute type');
  });
  if (out.length === 0) throw new DerError('SubjectDirectoryAttributes is empty');
  return out;
});
