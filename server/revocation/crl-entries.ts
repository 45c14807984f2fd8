import type { CertificateExtension } from '../../protocol/certificate-der.js';
import { readExtension } from '../../protocol/certificate-der.js';
import { EXT } from '../../protocol/certificate-extensions.js';
import type { DerElement } from '../../protocol/der.js';
import {
  contentsOf,
  DER_TAG,
  DerError,
  decodeTime,
  expectTag,
  integerKey,
  readChildren,
  readSingle,
} from '../../protocol/der.js';
import { decodeGeneralNames } from '../../protocol/general-names.js';
import { nameKey } from '../../protocol/x500-name.js';

/**
 * The revokedCertificates list of a CRL (RFC 5280 §5.1.2.6, §5.3): serial numbers compared as
 * DER INTEGERs (sign included), reason codes, and the certificate issuer each entry belongs to
 * (§5.3.3: in an indirect CRL it is named by the certificateIssuer extension and carries over to
 * the following entries).
 */

/** CRLReason values (§5.3.1). */
export const CRL_REASON = {
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  certificateHold: 6,
  removeFromCRL: 8,
  privilegeWithdrawn: 9,
  aACompromise: 10,
} as const;

const VALID_REASONS: ReadonlySet<number> = new Set(Object.values(CRL_REASON));

export interface RevokedEntry {
  /** The serial's DER INTEGER contents as hex. */
  serialKey: string;
  revocationDate: Date;
  /** CRLReason code, when given. */
  reason: number | undefined;
}

export interface EntriesResult {
  byIssuer: Map<string, Map<string, RevokedEntry>>;
  count: number;
  hasExtensions: boolean;
  hasCertificateIssuer: boolean;
  hasRemoveFromCrl: boolean;
  /** The first rule an entry breaks that makes the whole CRL unusable. */
  problem: string | undefined;
}

const KNOWN_ENTRY_EXTENSIONS: ReadonlySet<string> = new Set([
  EXT.cRLReason,
  EXT.invalidityDate,
  EXT.certificateIssuer,
  EXT.holdInstructionCode,
]);

/** Name key of the first directoryName in a certificateIssuer value (the DN §5.3.3 requires). */
function entryIssuerKey(ext: CertificateExtension): string {
  const dn = decodeGeneralNames(ext.value, 'certificateIssuer').find((n) => n.kind === 'directoryName');
  // Without a DN the entry cannot match any certificate by issuer; a key no name produces says so.
  return dn === undefined ? '\u0000no directory name' : nameKey(dn.name);
}

export function readEntries(bytes: Uint8Array, list: DerElement, crlIssuerKey: string): EntriesResult {
  const result: EntriesResult = {
    byIssuer: new Map(),
    count: 0,
    hasExtensions: false,
    hasCertificateIssuer: false,
    hasRemoveFromCrl: false,
    problem: undefined,
  };
  const fail = (problem: string): void => {
    result.problem ??= problem;
  };
  let issuerKey = crlIssuerKey;
  let current = new Map<string, RevokedEntry>();
  result.byIssuer.set(issuerKey, current);
  for (const entry of readChildren(bytes, list, 2_000_000)) {
    const [serialEl, dateEl, extsEl, extra] = readChildren(
      bytes,
      expectTag(entry, DER_TAG.SEQUENCE, 'revoked entry'),
      4,
    );
    if (extra !== undefined) throw new DerError('revoked entry: trailing data');
    const serialKey = integerKey(contentsOf(bytes, expectTag(serialEl, DER_TAG.INTEGER, 'userCertificate')));
    if (dateEl === undefined || (dateEl.tag !== DER_TAG.UTC_TIME && dateEl.tag !== DER_TAG.GENERALIZED_TIME))
      throw new DerError('revoked entry: bad revocationDate');
    let reason: number | undefined;
    if (extsEl !== undefined) {
      result.hasExtensions = true;
      const exts = new Map<string, CertificateExtension>();
      for (const el of readChildren(bytes, expectTag(extsEl, DER_TAG.SEQUENCE, 'crlEntryExtensions'), 16))
        exts.set(...readExtension(bytes, el, exts));
      if (exts.size === 0) throw new DerError('crlEntryExtensions: empty list');
      for (const e of exts.values())
        if (e.critical && !KNOWN_ENTRY_EXTENSIONS.has(e.oid))
          fail(`§5.3: unsupported critical entry extension ${e.oid}`);
      const reasonExt = exts.get(EXT.cRLReason);
      if (reasonExt !== undefined) {
        const value = contentsOf(reasonExt.value, readSingle(reasonExt.value, 0x0a));
        if (value.length !== 1 || (value[0]! & 0x80) !== 0) throw new DerError('bad CRLReason');
        reason = value[0];
        if (!VALID_REASONS.has(reason!)) fail(`§5.3.1: CRLReason ${reason} is not defined`);
        if (reason === CRL_REASON.removeFromCRL) result.hasRemoveFromCrl = true;
      }
      const invalidity = exts.get(EXT.invalidityDate);
      // §5.3.2: GeneralizedTime in Zulu with seconds (decodeTime enforces the form).
      if (invalidity !== undefined)
        decodeTime(invalidity.value, readSingle(invalidity.value, DER_TAG.GENERALIZED_TIME));
      const certIssuer = exts.get(EXT.certificateIssuer);
      if (certIssuer !== undefined) {
        result.hasCertificateIssuer = true;
        if (!certIssuer.critical) fail('§5.3.3: certificateIssuer not critical');
        issuerKey = entryIssuerKey(certIssuer);
        current = result.byIssuer.get(issuerKey) ?? new Map();
        result.byIssuer.set(issuerKey, current);
      }
    }
    current.set(serialKey, { serialKey, revocationDate: decodeTime(bytes, dateEl), reason });
    result.count++;
  }
  return result;
}
