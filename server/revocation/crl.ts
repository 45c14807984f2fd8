import { createHash } from 'node:crypto';
import type { Name } from '@peculiar/asn1-x509';
import type { AlgorithmIdentifierDer, CertificateExtension } from '../../protocol/certificate-der.js';
import { decodeName, readAlgorithm, readExtension } from '../../protocol/certificate-der.js';
import type { IssuingDistributionPointValue } from '../../protocol/certificate-extensions.js';
import { EXT, decodeAuthorityKeyIdentifier, decodeIssuingDistributionPoint } from '../../protocol/certificate-extensions.js';
import type { DerElement } from '../../protocol/der.js';
import {
  DER_TAG,
  DerError,
  bitStringBytes,
  decodeTime,
  expectTag,
  integerHex,
  readChildren,
  readSingle,
  valueOf,
  wholeOf,
} from '../../protocol/der.js';
import { nameKey, nameToString } from '../../protocol/x500-name.js';

/**
 * X.509 CRLs (RFC 5280 §5) read strictly with the project's DER reader, which walks a list of a
 * hundred thousand entries in milliseconds. A CRL that parses but cannot be relied on (a delta
 * CRL, an indirect CRL, an unknown critical extension) is kept with `unusable` set, so callers can
 * say why they ignored it.
 */

export const MAX_CRL_BYTES = 8 * 1024 * 1024;

export class CrlFormatError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CrlFormatError';
  }
}

export interface RevokedEntry {
  serialNumberHex: string;
  revocationDate: Date;
  /** CRLReason code, when given. */
  reason: number | undefined;
}

export interface ParsedCrl {
  sha256: string;
  /** The exact TBSCertList bytes the signature covers. */
  tbs: Uint8Array;
  signatureAlgorithm: AlgorithmIdentifierDer;
  signature: Uint8Array;
  issuer: Name;
  issuerKey: string;
  issuerText: string;
  thisUpdate: Date;
  nextUpdate: Date | undefined;
  revoked: ReadonlyMap<string, RevokedEntry>;
  issuingDistributionPoint: IssuingDistributionPointValue | undefined;
  authorityKeyId: string | undefined;
  /** Why the CRL must not be used, or undefined when it may. */
  unusable: string | undefined;
}

/** CRL extensions understood here; any other critical one makes the CRL unusable. */
const KNOWN_CRL_EXTENSIONS: ReadonlySet<string> = new Set([EXT.authorityKeyIdentifier, EXT.cRLNumber, EXT.issuingDistributionPoint]);
const KNOWN_ENTRY_EXTENSIONS: ReadonlySet<string> = new Set([EXT.cRLReason, EXT.invalidityDate]);

function readExtensionList(bytes: Uint8Array, list: DerElement): Map<string, CertificateExtension> {
  const out = new Map<string, CertificateExtension>();
  for (const el of readChildren(bytes, expectTag(list, DER_TAG.SEQUENCE, 'extensions'), 64)) out.set(...readExtension(bytes, el, out));
  return out;
}

function isTime(el: DerElement | undefined): el is DerElement {
  return el !== undefined && (el.tag === DER_TAG.UTC_TIME || el.tag === DER_TAG.GENERALIZED_TIME);
}

interface EntriesResult {
  revoked: Map<string, RevokedEntry>;
  unusable: string | undefined;
}

function readEntries(bytes: Uint8Array, list: DerElement): EntriesResult {
  const revoked = new Map<string, RevokedEntry>();
  let unusable: string | undefined;
  for (const entry of readChildren(bytes, list, 2_000_000)) {
    const [serialEl, dateEl, extsEl, extra] = readChildren(bytes, expectTag(entry, DER_TAG.SEQUENCE, 'revoked entry'), 4);
    if (extra !== undefined) throw new DerError('revoked entry: trailing data');
    const serialNumberHex = integerHex(valueOf(bytes, expectTag(serialEl, DER_TAG.INTEGER, 'userCertificate')));
    if (!isTime(dateEl)) throw new DerError('revoked entry: bad revocationDate');
    let reason: number | undefined;
    if (extsEl !== undefined) {
      const exts = readExtensionList(bytes, extsEl);
      for (const e of exts.values()) {
        if (e.oid === EXT.certificateIssuer) unusable = 'indirect CRL entries are not supported';
        else if (e.critical && !KNOWN_ENTRY_EXTENSIONS.has(e.oid)) unusable = `unsupported critical entry extension ${e.oid}`;
      }
      const reasonExt = exts.get(EXT.cRLReason);
      if (reasonExt !== undefined) {
        const value = valueOf(reasonExt.value, readSingle(reasonExt.value, 0x0a));
        if (value.length !== 1) throw new DerError('bad CRLReason');
        reason = value[0];
      }
    }
    revoked.set(serialNumberHex, { serialNumberHex, revocationDate: decodeTime(bytes, dateEl), reason });
  }
  return { revoked, unusable };
}

function decodeUnchecked(der: Uint8Array): ParsedCrl {
  const top = readSingle(der, DER_TAG.SEQUENCE);
  const [tbsEl, algEl, sigEl, extra] = readChildren(der, top, 4);
  if (extra !== undefined) throw new DerError('CRL: trailing fields');
  const tbsSeq = expectTag(tbsEl, DER_TAG.SEQUENCE, 'tbsCertList');
  const signatureAlgorithm = readAlgorithm(der, algEl, 'signatureAlgorithm');
  const signature = bitStringBytes(valueOf(der, expectTag(sigEl, DER_TAG.BIT_STRING, 'signature')));

  const fields = readChildren(der, tbsSeq, 8);
  let i = 0;
  if (fields[0]?.tag === DER_TAG.INTEGER) {
    const v = valueOf(der, fields[0]);
    if (v.length !== 1 || v[0] !== 1) throw new DerError('unsupported CRL version');
    i = 1;
  }
  const inner = readAlgorithm(der, fields[i++], 'signature');
  if (inner.oid !== signatureAlgorithm.oid) throw new DerError('inner and outer signature algorithms differ');
  const issuerEl = expectTag(fields[i++], DER_TAG.SEQUENCE, 'issuer');
  const thisUpdateEl = fields[i++];
  if (!isTime(thisUpdateEl)) throw new DerError('bad thisUpdate');
  let nextUpdate: Date | undefined;
  if (isTime(fields[i])) nextUpdate = decodeTime(der, fields[i++]!);
  let entries: EntriesResult = { revoked: new Map(), unusable: undefined };
  if (fields[i]?.tag === DER_TAG.SEQUENCE) entries = readEntries(der, fields[i++]!);
  let extensions = new Map<string, CertificateExtension>();
  if (fields[i]?.tag === 0xa0) {
    const [list, trailing] = readChildren(der, fields[i++]!, 2);
    if (trailing !== undefined || list === undefined) throw new DerError('crlExtensions: bad wrapper');
    extensions = readExtensionList(der, list);
  }
  if (i !== fields.length) throw new DerError('tbsCertList: unexpected fields');

  let unusable = entries.unusable;
  if (extensions.has(EXT.deltaCRLIndicator)) unusable = 'delta CRLs are not supported';
  for (const e of extensions.values()) {
    if (e.critical && !KNOWN_CRL_EXTENSIONS.has(e.oid) && e.oid !== EXT.deltaCRLIndicator) unusable = `unsupported critical CRL extension ${e.oid}`;
  }
  const idpExt = extensions.get(EXT.issuingDistributionPoint);
  const issuingDistributionPoint = idpExt === undefined ? undefined : decodeIssuingDistributionPoint(idpExt.value);
  if (issuingDistributionPoint?.indirectCRL) unusable = 'indirect CRLs are not supported';
  if (issuingDistributionPoint?.onlySomeReasons) unusable = 'CRLs limited to some reasons are not supported';
  if (issuingDistributionPoint?.onlyContainsAttributeCerts) unusable = 'attribute certificate CRL';
  const akiExt = extensions.get(EXT.authorityKeyIdentifier);

  const issuerDer = wholeOf(der, issuerEl);
  const issuer = decodeName(issuerDer);
  return {
    sha256: createHash('sha256').update(der).digest('hex'),
    tbs: wholeOf(der, tbsSeq),
    signatureAlgorithm,
    signature,
    issuer,
    issuerKey: nameKey(issuer),
    issuerText: nameToString(issuer),
    thisUpdate: decodeTime(der, thisUpdateEl),
    nextUpdate,
    revoked: entries.revoked,
    issuingDistributionPoint,
    authorityKeyId: akiExt === undefined ? undefined : decodeAuthorityKeyIdentifier(akiExt.value),
    unusable,
  };
}

/** Parses a DER CRL of at most `maxBytes`; anything malformed → CrlFormatError. */
export function parseCrl(der: Uint8Array, maxBytes: number = MAX_CRL_BYTES): ParsedCrl {
  if (der.length === 0) throw new CrlFormatError('CRL is empty');
  if (der.length > maxBytes) throw new CrlFormatError(`CRL larger than ${maxBytes} bytes`);
  try {
    return decodeUnchecked(der);
  } catch (err) {
    const reason = err instanceof DerError ? err.message : 'undecodable structure';
    throw new CrlFormatError(`CRL is not valid DER: ${reason}`, { cause: err });
  }
}

/** True when the CRL is current at `at`: thisUpdate ≤ at ≤ nextUpdate (no nextUpdate: never current). */
export function isCrlFresh(crl: ParsedCrl, at: Date): boolean {
  const t = at.getTime();
  return crl.thisUpdate.getTime() <= t && crl.nextUpdate !== undefined && t <= crl.nextUpdate.getTime();
}
