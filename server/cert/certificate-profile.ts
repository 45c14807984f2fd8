import type { NameConstraintsValue } from '../../protocol/certificate-extensions.js';
import {
  ANY_POLICY,
  decodeAccessDescriptions,
  decodeInhibitAnyPolicy,
  decodePolicyConstraints,
  decodePolicyInformation,
  decodePolicyMappings,
  decodeSubjectDirectoryAttributeTypes,
  EXT,
  KEY_USAGE_BIT,
} from '../../protocol/certificate-extensions.js';
import type { DistributionPoint } from '../../protocol/distribution-points.js';
import { decodeCrlDistributionPoints } from '../../protocol/distribution-points.js';
import type { GeneralName } from '../../protocol/general-names.js';
import { decodeGeneralNames } from '../../protocol/general-names.js';
import type { ParsedCertificate } from './parsed-certificate.js';

/**
 * The rules of RFC 5280 §4 that a relying party can check on one certificate, beyond DER syntax
 * (protocol/certificate-der.ts) and the path (path-validation.ts). Each problem names its section;
 * docs/rfc5280.md lists every rule, what the verifier does with it, and the test that breaks it.
 * A certificate with a problem is never used on a path, as end entity or as CA.
 */

/**
 * Extensions the verifier processes, so being critical is fine. certificatePolicies is here on
 * purpose: HPKI marks it critical, and the EE policy is checked as a separate purpose step
 * (HPKI-CARD.md §7). policyMappings and inhibitAnyPolicy only shape the policy tree, which decides
 * nothing when no explicit policy is required (the verifier requires none and refuses
 * policyConstraints); their one validity rule, §6.1.4 (a), is checked below.
 */
export const PROCESSED_EXTENSIONS: ReadonlySet<string> = new Set([
  EXT.keyUsage,
  EXT.basicConstraints,
  EXT.certificatePolicies,
  EXT.subjectKeyIdentifier,
  EXT.authorityKeyIdentifier,
  EXT.subjectAltName,
  EXT.issuerAltName,
  EXT.subjectDirectoryAttributes,
  EXT.crlDistributionPoints,
  EXT.freshestCRL,
  EXT.nameConstraints,
  EXT.extKeyUsage,
  EXT.policyMappings,
  EXT.inhibitAnyPolicy,
  // Recognized to be refused with its own reason (certificateProfileProblems), not as unknown.
  EXT.policyConstraints,
  EXT.authorityInfoAccess,
  EXT.subjectInfoAccess,
]);

const QUALIFIER_CPS = '1.3.6.1.5.5.7.2.1';
const QUALIFIER_UNOTICE = '1.3.6.1.5.5.7.2.2';

type Decode = <T>(oid: string, decode: (value: Uint8Array) => T) => T | undefined;

/** One DNS label in the preferred name syntax (RFC 1034 §3.5 as RFC 1123 §2.1 relaxes it). */
const DNS_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/**
 * A DNS name in the preferred name syntax (§4.2.1.6, §4.2.1.10): labels of letters, digits and
 * inner hyphens, at most 63 octets each and 253 in all, no empty label (so no leading, trailing or
 * double period). `wildcard` admits `*` as the whole leftmost label of a subjectAltName (RFC 6125
 * §6.4.3; RFC 5280 leaves wildcards to the application).
 */
export function isDnsName(name: string, wildcard = false): boolean {
  if (name.length === 0 || name.length > 253) return false;
  const labels = name.split('.');
  if (wildcard && labels.length > 1 && labels[0] === '*') labels.shift();
  return labels.every((l) => DNS_LABEL.test(l));
}

/** Whether a URI with an authority names a host that is not a DNS name or an IP literal (§4.2.1.6). */
function badUriHost(uri: string): boolean {
  const match = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/(?:[^@/?#]*@)?(\[[^\]]*\]|[^:/?#]*)/.exec(uri);
  if (match === null) return false;
  const host = match[1]!;
  return !(host.startsWith('[') || isDnsName(host));
}

/** What is wrong with one rfc822Name, dNSName or URI, or undefined. */
function textNameProblem(kind: string, value: string): string | undefined {
  if (value === '') return `empty ${kind}`;
  if (kind === 'dNSName' && !isDnsName(value, true))
    return `dNSName ${JSON.stringify(value)} is not a DNS name in the preferred name syntax`;
  if (kind === 'uniformResourceIdentifier') {
    if (!/^[A-Za-z][A-Za-z0-9+.-]*:./.test(value)) return 'URI without a scheme';
    if (badUriHost(value)) return 'URI whose host is not a domain name or IP address';
  }
  if (kind === 'rfc822Name' && !/^[^@\s]+@[^@\s]+$/.test(value)) return 'rfc822Name is not a mailbox';
  return undefined;
}

/** §4.2.1.6 (SAN) and §4.2.1.7 (IAN, "encoded as in 4.2.1.6"). */
function generalNameProblems(names: readonly GeneralName[], section: string, out: string[]): void {
  for (const n of names) {
    const problem =
      n.kind === 'rfc822Name' || n.kind === 'dNSName' || n.kind === 'uniformResourceIdentifier'
        ? textNameProblem(n.kind, n.value)
        : n.kind === 'iPAddress' && n.bytes.length !== 4 && n.bytes.length !== 16
          ? `iPAddress of ${n.bytes.length} octets`
          : n.kind === 'directoryName' && n.name.length === 0
            ? 'empty directoryName'
            : undefined;
    if (problem !== undefined) out.push(`§${section}: ${problem}`);
  }
}

function nameConstraintProblems(nc: NameConstraintsValue, cert: ParsedCertificate, out: string[]): void {
  if (!cert.isCa) out.push('§4.2.1.10: name constraints in a certificate that is not a CA');
  if (cert.decoded.extensions.get(EXT.nameConstraints)?.critical !== true)
    out.push('§4.2.1.10: name constraints not marked critical');
  if (nc.permitted === undefined && nc.excluded === undefined) out.push('§4.2.1.10: empty name constraints');
  for (const subtree of [...(nc.permitted ?? []), ...(nc.excluded ?? [])]) {
    const base = subtree.base;
    if (subtree.minimum !== 0 || subtree.maximum !== undefined)
      out.push('§4.2.1.10: name constraint with minimum or maximum');
    if (base.kind === 'iPAddress' && base.bytes.length !== 8 && base.bytes.length !== 32)
      out.push(`§4.2.1.10: iPAddress constraint of ${base.bytes.length} octets`);
    // A URI constraint is a host or a .domain (never a scheme, a path or an IP address).
    if (base.kind === 'uniformResourceIdentifier' && !isDnsName(base.value.replace(/^\./, '')))
      out.push('§4.2.1.10: URI constraint is not a host or domain');
    // A DNS constraint is a host name; every name made by adding labels on its left is within it.
    if (base.kind === 'dNSName' && !isDnsName(base.value))
      out.push(`§4.2.1.10: DNS constraint ${JSON.stringify(base.value)} is not a DNS name`);
  }
}

function distributionPointProblems(points: readonly DistributionPoint[], section: string, out: string[]): void {
  for (const dp of points) {
    if (dp.name === undefined && dp.crlIssuer === undefined)
      out.push(`§${section}: distribution point with reasons only`);
    const dnIssuers = (dp.crlIssuer ?? []).filter((n) => n.kind === 'directoryName').length;
    if (dp.name?.kind === 'relative' && dnIssuers > 1)
      out.push(`§${section}: nameRelativeToCRLIssuer with several cRLIssuer names`);
  }
}

function policyProblems(cert: ParsedCertificate, decode: Decode, out: string[]): void {
  const policies = decode(EXT.certificatePolicies, decodePolicyInformation);
  if (policies !== undefined) {
    const critical = cert.decoded.extensions.get(EXT.certificatePolicies)?.critical === true;
    if (new Set(policies.map((p) => p.oid)).size !== policies.length) out.push('§4.2.1.4: a policy appears twice');
    for (const p of policies) {
      const unknown = p.qualifiers.filter((q) => q !== QUALIFIER_CPS && q !== QUALIFIER_UNOTICE);
      if (unknown.length > 0 && (critical || p.oid === ANY_POLICY))
        out.push(`§4.2.1.4: policy qualifier ${unknown[0]} cannot be interpreted`);
    }
  }
  const mappings = decode(EXT.policyMappings, decodePolicyMappings);
  if (mappings?.some(([from, to]) => from === ANY_POLICY || to === ANY_POLICY)) out.push('§4.2.1.5: anyPolicy mapped');
  if (decode(EXT.policyConstraints, decodePolicyConstraints) !== undefined) {
    out.push(
      '§4.2.1.11: policy constraints are not supported (the verifier does no policy processing, so it cannot honour them)',
    );
  }
  if (
    decode(EXT.inhibitAnyPolicy, decodeInhibitAnyPolicy) !== undefined &&
    cert.decoded.extensions.get(EXT.inhibitAnyPolicy)?.critical !== true
  ) {
    out.push('§4.2.1.14: inhibitAnyPolicy not critical');
  }
}

function criticality(cert: ParsedCertificate, out: string[]): void {
  const critical = (oid: string): boolean => cert.decoded.extensions.get(oid)?.critical === true;
  if (critical(EXT.authorityKeyIdentifier)) out.push('§4.2.1.1: authorityKeyIdentifier marked critical');
  if (critical(EXT.subjectKeyIdentifier)) out.push('§4.2.1.2: subjectKeyIdentifier marked critical');
  if (critical(EXT.subjectDirectoryAttributes)) out.push('§4.2.1.8: subjectDirectoryAttributes marked critical');
  if (critical(EXT.freshestCRL)) out.push('§4.2.1.15: freshestCRL marked critical');
  if (critical(EXT.authorityInfoAccess)) out.push('§4.2.2.1: authorityInfoAccess marked critical');
  if (critical(EXT.subjectInfoAccess)) out.push('§4.2.2.2: subjectInfoAccess marked critical');
}

export function certificateProfileProblems(cert: ParsedCertificate, decode: Decode): string[] {
  const out: string[] = [];
  const d = cert.decoded;
  const ku = cert.keyUsageMask;
  const has = (bit: number): boolean => ku !== undefined && (ku & (1 << bit)) !== 0;
  // Negative serials stay accepted (PKITS 4.4.14; §4.1.2.2 asks users to handle them gracefully).
  if (d.serialKey === '00') out.push('§4.1.2.2: serial number zero (it must be positive)');
  if (d.issuer.length === 0) out.push('§4.1.2.4: empty issuer name');
  if (d.subject.length === 0) {
    if (cert.isCa || has(KEY_USAGE_BIT.cRLSign)) out.push('§4.1.2.6: CA or CRL issuer with an empty subject');
    if (d.extensions.get(EXT.subjectAltName)?.critical !== true)
      out.push('§4.1.2.6: empty subject without a critical subjectAltName');
  }
  criticality(cert, out);
  if (cert.authorityKeyId === undefined && !cert.selfIssued)
    out.push('§4.2.1.1: no authorityKeyIdentifier keyIdentifier');
  if (cert.isCa && cert.subjectKeyId === undefined) out.push('§4.2.1.2: CA certificate without subjectKeyIdentifier');
  if (ku === 0) out.push('§4.2.1.3: keyUsage with no bit set');
  if (has(KEY_USAGE_BIT.keyCertSign) && !cert.isCa) out.push('§4.2.1.9: keyCertSign without the cA flag');
  if (cert.basicConstraints?.pathLen !== undefined && (!cert.isCa || !has(KEY_USAGE_BIT.keyCertSign))) {
    out.push('§4.2.1.9: pathLenConstraint without cA and keyCertSign');
  }
  policyProblems(cert, decode, out);
  if (cert.subjectAltNames !== undefined) generalNameProblems(cert.subjectAltNames, '4.2.1.6', out);
  const ian = decode(EXT.issuerAltName, (v) => decodeGeneralNames(v, 'issuerAltName'));
  if (ian !== undefined) generalNameProblems(ian, '4.2.1.7', out);
  decode(EXT.subjectDirectoryAttributes, decodeSubjectDirectoryAttributeTypes);
  if (cert.nameConstraints !== undefined) nameConstraintProblems(cert.nameConstraints, cert, out);
  distributionPointProblems(cert.crlDistributionPoints, '4.2.1.13', out);
  const freshest = decode(EXT.freshestCRL, decodeCrlDistributionPoints);
  if (freshest !== undefined) distributionPointProblems(freshest, '4.2.1.15', out);
  decode(EXT.authorityInfoAccess, decodeAccessDescriptions);
  decode(EXT.subjectInfoAccess, decodeAccessDescriptions);
  return out.map((p) => `RFC 5280 ${p}`);
}
