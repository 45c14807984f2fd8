import type { CertificateExtension } from '../../protocol/certificate-der.js';
import {
  decodeAccessDescriptions,
  decodeAuthorityKeyIdentifierValue,
  EXT,
} from '../../protocol/certificate-extensions.js';
import { contentsOf, DER_TAG, decodeBigInteger, readSingle } from '../../protocol/der.js';
import type { IssuingDistributionPointValue } from '../../protocol/distribution-points.js';
import { decodeCrlDistributionPoints, decodeIssuingDistributionPoint } from '../../protocol/distribution-points.js';
import { decodeGeneralNames } from '../../protocol/general-names.js';

/**
 * CRL extensions (RFC 5280 §5.2): decoded, and checked against the rules that decide whether the
 * CRL may be used at all. A value that does not decode is a DerError (the CRL is malformed); a
 * broken rule is a problem (the CRL is kept, unusable, so callers can say why).
 */

export interface CrlExtensionFacts {
  crlNumber: bigint | undefined;
  deltaBase: bigint | undefined;
  issuingDistributionPoint: IssuingDistributionPointValue | undefined;
  authorityKeyId: string | undefined;
  problems: string[];
}

/** Extensions this verifier processes; any other critical one makes the CRL unusable (§5.2). */
const KNOWN_CRL_EXTENSIONS: ReadonlySet<string> = new Set([
  EXT.authorityKeyIdentifier,
  EXT.issuerAltName,
  EXT.cRLNumber,
  EXT.deltaCRLIndicator,
  EXT.issuingDistributionPoint,
  EXT.freshestCRL,
  EXT.authorityInfoAccess,
]);

const CA_ISSUERS = '1.3.6.1.5.5.7.48.2';

/** CRLNumber ::= INTEGER (0..MAX), at most 20 octets (§5.2.3); also BaseCRLNumber (§5.2.4). */
function crlNumber(ext: CertificateExtension, what: string, problems: string[]): bigint {
  const value = contentsOf(ext.value, readSingle(ext.value, DER_TAG.INTEGER));
  const n = decodeBigInteger(value);
  if (n < 0n) problems.push(`§5.2.3: negative ${what}`);
  if (value.length > 21 || (value.length === 21 && value[0] !== 0))
    problems.push(`§5.2.3: ${what} longer than 20 octets`);
  return n;
}

function idpProblems(idp: IssuingDistributionPointValue, problems: string[]): void {
  const only = [idp.onlyContainsUserCerts, idp.onlyContainsCACerts, idp.onlyContainsAttributeCerts].filter(
    Boolean,
  ).length;
  if (only > 1)
    problems.push('§5.2.5: more than one of onlyContainsUserCerts, onlyContainsCACerts, onlyContainsAttributeCerts');
  if (only === 0 && !idp.indirectCRL && idp.name === undefined && idp.onlySomeReasons === undefined)
    problems.push('§5.2.5: empty issuingDistributionPoint');
}

export function crlExtensionFacts(extensions: ReadonlyMap<string, CertificateExtension>): CrlExtensionFacts {
  const problems: string[] = [];
  for (const e of extensions.values())
    if (e.critical && !KNOWN_CRL_EXTENSIONS.has(e.oid))
      problems.push(`§5.2: unsupported critical CRL extension ${e.oid}`);
  const get = (oid: string): CertificateExtension | undefined => extensions.get(oid);

  const numberExt = get(EXT.cRLNumber);
  const number = numberExt === undefined ? undefined : crlNumber(numberExt, 'cRLNumber', problems);
  if (numberExt?.critical === true) problems.push('§5.2.3: cRLNumber marked critical');

  const deltaExt = get(EXT.deltaCRLIndicator);
  const deltaBase = deltaExt === undefined ? undefined : crlNumber(deltaExt, 'BaseCRLNumber', problems);
  if (deltaExt !== undefined && !deltaExt.critical) problems.push('§5.2.4: deltaCRLIndicator not critical');
  // A delta is merged with its base by number (§5.2.4 c–d): without its own number it cannot be.
  if (deltaExt !== undefined && number === undefined) problems.push('§5.2.4: delta CRL without cRLNumber');

  const idpExt = get(EXT.issuingDistributionPoint);
  const idp = idpExt === undefined ? undefined : decodeIssuingDistributionPoint(idpExt.value);
  if (idp !== undefined) idpProblems(idp, problems);

  const freshest = get(EXT.freshestCRL);
  if (freshest !== undefined) {
    const points = decodeCrlDistributionPoints(freshest.value);
    if (freshest.critical) problems.push('§5.2.6: freshestCRL marked critical');
    if (deltaExt !== undefined) problems.push('§5.2.6: freshestCRL in a delta CRL');
    if (points.some((p) => p.reasons !== undefined || p.crlIssuer !== undefined))
      problems.push('§5.2.6: freshestCRL with reasons or cRLIssuer');
  }

  const aia = get(EXT.authorityInfoAccess);
  if (aia !== undefined) {
    const methods = decodeAccessDescriptions(aia.value).map((d) => d.method);
    if (aia.critical) problems.push('§5.2.7: authorityInfoAccess marked critical');
    if (methods.some((m) => m !== CA_ISSUERS))
      problems.push('§5.2.7: authorityInfoAccess with a method other than caIssuers');
  }

  const ian = get(EXT.issuerAltName);
  if (ian !== undefined) decodeGeneralNames(ian.value, 'issuerAltName');

  const akiExt = get(EXT.authorityKeyIdentifier);
  let authorityKeyId: string | undefined;
  if (akiExt !== undefined) {
    authorityKeyId = decodeAuthorityKeyIdentifierValue(akiExt.value).keyId;
    if (akiExt.critical) problems.push('§5.2.1 (§4.2.1.1): authorityKeyIdentifier marked critical');
  }
  if (number !== undefined && deltaBase !== undefined && deltaBase >= number)
    problems.push('§5.2.4: delta CRL numbered at or below its base');
  return { crlNumber: number, deltaBase, issuingDistributionPoint: idp, authorityKeyId, problems };
}
