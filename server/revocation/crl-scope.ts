import type { DistributionPoint, DistributionPointName } from '../../protocol/distribution-points.js';
import { ALL_REASONS } from '../../protocol/distribution-points.js';
import type { GeneralName } from '../../protocol/general-names.js';
import { shareAName } from '../../protocol/general-names.js';
import type { DistinguishedName } from '../../protocol/x500-name.js';
import { nameKey } from '../../protocol/x500-name.js';
import type { ParsedCertificate } from '../cert/index.js';
import type { ParsedCrl } from './crl.js';

/**
 * Whether a CRL speaks about a certificate through one of its distribution points (RFC 5280
 * §6.3.3 b–e): the CRL issuer is the certificate's issuer, or the point's cRLIssuer with an
 * indirect CRL; the IDP's name (full, or relative to the CRL issuer) is one of the point's; the
 * kind of certificate fits; and which reasons the pair covers. This is what lets the MHLW ARLs
 * (critical IDP with dirName `…,CN=SARL` or `…,CN=RARL`, onlyContainsCACerts) apply to exactly the
 * CA certificates whose CRLDP names them.
 */

/**
 * The point §6.3.3 assumes for CRLs not named in any distribution point: the certificate issuer as
 * full name, all reasons, no cRLIssuer.
 */
export function issuerDistributionPoint(cert: ParsedCertificate): DistributionPoint {
  return {
    name: { kind: 'fullName', names: [{ kind: 'directoryName', name: cert.decoded.issuer }] },
    reasons: undefined,
    crlIssuer: undefined,
  };
}

/** Full names of a distribution point name; a relative one is appended to `issuer` (§4.2.1.13). */
function fullNames(name: DistributionPointName, issuer: DistinguishedName | undefined): GeneralName[] {
  if (name.kind === 'fullName') return name.names;
  return issuer === undefined ? [] : [{ kind: 'directoryName', name: [...issuer, name.rdn] }];
}

function directoryNames(names: readonly GeneralName[] | undefined): DistinguishedName[] {
  return (names ?? []).flatMap((n) => (n.kind === 'directoryName' ? [n.name] : []));
}

/** Why `crl` is out of scope for `cert` through `dp`, or undefined when it is in scope (§6.3.3 b). */
export function crlScopeProblem(crl: ParsedCrl, dp: DistributionPoint, cert: ParsedCertificate): string | undefined {
  const idp = crl.issuingDistributionPoint;
  const crlIssuers = directoryNames(dp.crlIssuer);
  if (dp.crlIssuer !== undefined) {
    if (!crlIssuers.some((n) => nameKey(n) === crl.issuerKey))
      return 'issued by another CRL issuer than the distribution point names';
    if (idp?.indirectCRL !== true) return 'the distribution point names a CRL issuer but the CRL is not indirect';
  } else if (crl.issuerKey !== cert.issuerKey) {
    return 'issued by another issuer';
  }
  if (idp === undefined) return undefined;
  if (idp.name !== undefined) {
    const idpNames = fullNames(idp.name, crl.issuer);
    const pointNames =
      dp.name !== undefined ? fullNames(dp.name, crlIssuers[0] ?? cert.decoded.issuer) : (dp.crlIssuer ?? []);
    if (!shareAName(idpNames, pointNames)) return 'its issuing distribution point is not one of the certificate’s';
  }
  if (idp.onlyContainsUserCerts && cert.isCa) return 'it lists end-entity certificates only';
  if (idp.onlyContainsCACerts && !cert.isCa) return 'it lists CA certificates only';
  if (idp.onlyContainsAttributeCerts) return 'it lists attribute certificates only';
  return undefined;
}

/** The reasons this CRL covers through `dp` (§6.3.3 d). */
export function interimReasons(crl: ParsedCrl, dp: DistributionPoint): number {
  const idpReasons = crl.issuingDistributionPoint?.onlySomeReasons;
  if (idpReasons !== undefined && dp.reasons !== undefined) return idpReasons & dp.reasons & ALL_REASONS;
  if (idpReasons !== undefined) return idpReasons & ALL_REASONS;
  if (dp.reasons !== undefined) return dp.reasons & ALL_REASONS;
  return ALL_REASONS;
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/**
 * Whether `delta` may update the complete CRL `base` (§5.2.4 a–d, §6.3.3 c): same issuer, same
 * scope (identical IDP or none in both), same authority key, and base number ≥ the delta's
 * BaseCRLNumber and < the delta's own number.
 */
export function deltaApplies(delta: ParsedCrl, base: ParsedCrl): boolean {
  const baseNumber = base.crlNumber;
  if (
    delta.deltaBase === undefined ||
    delta.crlNumber === undefined ||
    baseNumber === undefined ||
    base.deltaBase !== undefined
  )
    return false;
  return (
    delta.issuerKey === base.issuerKey &&
    sameBytes(delta.issuingDistributionPoint?.der, base.issuingDistributionPoint?.der) &&
    delta.authorityKeyId === base.authorityKeyId &&
    baseNumber >= delta.deltaBase &&
    baseNumber < delta.crlNumber
  );
}

/** Whether the CRL is in scope for the certificate through any of its distribution points (diagnostics, tests). */
export function crlCoversCertificate(crl: ParsedCrl, cert: ParsedCertificate): boolean {
  const points = [...cert.crlDistributionPoints, issuerDistributionPoint(cert)];
  return points.some((dp) => crlScopeProblem(crl, dp, cert) === undefined);
}
