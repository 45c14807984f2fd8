import type { DerElement } from './der.js';
import {
  contentsOf,
  DER_TAG,
  DerError,
  decodeBoolean,
  decodeNamedBits,
  expectTag,
  memoizedDecoder,
  readChildren,
  readSingle,
} from './der.js';
import type { GeneralName } from './general-names.js';
import { readGeneralNames } from './general-names.js';
import type { RelativeDistinguishedName } from './x500-name.js';
import { readRdn } from './x500-name.js';

/**
 * Distribution points (RFC 5280 §4.2.1.13, §4.2.1.15) and the CRL's IssuingDistributionPoint
 * (§5.2.5), with every field: full and CRL-issuer-relative names, reasons, cRLIssuer and the scope
 * flags. What they mean for revocation is decided in server/revocation/crl-scope.ts.
 */

/** ReasonFlags bits (§4.2.1.13): bit n of the BIT STRING is `1 << n`; bit 0 is unused. */
export const REASON_FLAG = {
  keyCompromise: 1 << 1,
  cACompromise: 1 << 2,
  affiliationChanged: 1 << 3,
  superseded: 1 << 4,
  cessationOfOperation: 1 << 5,
  certificateHold: 1 << 6,
  privilegeWithdrawn: 1 << 7,
  aACompromise: 1 << 8,
} as const;

/** Every reason a CRL can cover (§6.3.2 all-reasons). */
export const ALL_REASONS = Object.values(REASON_FLAG).reduce((a, b) => a | b, 0);

export type DistributionPointName =
  | { kind: 'fullName'; names: GeneralName[] }
  | { kind: 'relative'; rdn: RelativeDistinguishedName };

export interface DistributionPoint {
  name: DistributionPointName | undefined;
  /** ReasonFlags mask, when the point covers only some reasons. */
  reasons: number | undefined;
  /** Who issues the CRL, when it is not the certificate's issuer. */
  crlIssuer: GeneralName[] | undefined;
}

export interface IssuingDistributionPointValue {
  name: DistributionPointName | undefined;
  onlyContainsUserCerts: boolean;
  onlyContainsCACerts: boolean;
  onlySomeReasons: number | undefined;
  indirectCRL: boolean;
  onlyContainsAttributeCerts: boolean;
  /** The extension value's DER, to compare a delta CRL's scope with its base (§5.2.4). */
  der: Uint8Array;
}

/** ReasonFlags as a mask. Bit 0 ("unused") means nothing and is dropped: PKITS sets it in valid CRLs. */
function readReasons(bytes: Uint8Array, el: DerElement): number {
  return decodeNamedBits(contentsOf(bytes, el), 9) & ~1;
}

/** DistributionPointName ::= CHOICE { fullName [0] GeneralNames, nameRelativeToCRLIssuer [1] RDN }, under its [0] wrapper. */
function readDistributionPointName(bytes: Uint8Array, wrapper: DerElement): DistributionPointName {
  const [choice, extra] = readChildren(bytes, wrapper, 2);
  if (choice === undefined || extra !== undefined) throw new DerError('bad DistributionPointName');
  if (choice.tag === 0xa0) return { kind: 'fullName', names: readGeneralNames(bytes, choice, 'fullName') };
  if (choice.tag === 0xa1) return { kind: 'relative', rdn: readRdn(bytes, choice) };
  throw new DerError('bad DistributionPointName');
}

function readDistributionPoint(bytes: Uint8Array, el: DerElement): DistributionPoint {
  const fields = readChildren(bytes, expectTag(el, DER_TAG.SEQUENCE, 'DistributionPoint'), 4);
  let i = 0;
  const point: DistributionPoint = { name: undefined, reasons: undefined, crlIssuer: undefined };
  if (fields[i]?.tag === 0xa0) point.name = readDistributionPointName(bytes, fields[i++]!);
  if (fields[i]?.tag === 0x81) point.reasons = readReasons(bytes, fields[i++]!);
  if (fields[i]?.tag === 0xa2) point.crlIssuer = readGeneralNames(bytes, fields[i++]!, 'cRLIssuer');
  if (i !== fields.length) throw new DerError('DistributionPoint: unexpected fields');
  return point;
}

/** CRLDistributionPoints (and FreshestCRL, same syntax): SEQUENCE SIZE (1..MAX) OF DistributionPoint. */
export const decodeCrlDistributionPoints = memoizedDecoder((value: Uint8Array): DistributionPoint[] => {
  const points = readChildren(value, readSingle(value, DER_TAG.SEQUENCE), 32).map((p) =>
    readDistributionPoint(value, p),
  );
  if (points.length === 0) throw new DerError('CRLDistributionPoints is empty');
  return points;
});

function readFlag(bytes: Uint8Array, el: DerElement): boolean {
  // DER never encodes a DEFAULT value: an explicit FALSE is not DER (X.690 §11.5).
  if (!decodeBoolean(contentsOf(bytes, el))) throw new DerError('IssuingDistributionPoint: DEFAULT FALSE encoded');
  return true;
}

export function decodeIssuingDistributionPoint(value: Uint8Array): IssuingDistributionPointValue {
  const fields = readChildren(value, readSingle(value, DER_TAG.SEQUENCE), 7);
  const out: IssuingDistributionPointValue = {
    name: undefined,
    onlyContainsUserCerts: false,
    onlyContainsCACerts: false,
    onlySomeReasons: undefined,
    indirectCRL: false,
    onlyContainsAttributeCerts: false,
    der: value,
  };
  let i = 0;
  if (fields[i]?.tag === 0xa0) out.name = readDistributionPointName(value, fields[i++]!);
  if (fields[i]?.tag === 0x81) out.onlyContainsUserCerts = readFlag(value, fields[i++]!);
  if (fields[i]?.tag === 0x82) out.onlyContainsCACerts = readFlag(value, fields[i++]!);
  if (fields[i]?.tag === 0x83) out.onlySomeReasons = readReasons(value, fields[i++]!);
  if (fields[i]?.tag === 0x84) out.indirectCRL = readFlag(value, fields[i++]!);
  if (fields[i]?.tag === 0x85) out.onlyContainsAttributeCerts = readFlag(value, fields[i++]!);
  if (i !== fields.length) throw new DerError('IssuingDistributionPoint: unexpected fields');
  return out;
}
