import { hash } from 'node:crypto';
import type { AlgorithmIdentifierDer, CertificateExtension } from '../../protocol/certificate-der.js';
import { readAlgorithm, readExtension } from '../../protocol/certificate-der.js';
import type { DerElement } from '../../protocol/der.js';
import {
  bitStringBytes,
  contentsOf,
  DER_TAG,
  DerError,
  decodeTime,
  expectTag,
  readChildren,
  readSingle,
  wholeOf,
} from '../../protocol/der.js';
import type { IssuingDistributionPointValue } from '../../protocol/distribution-points.js';
import type { DistinguishedName } from '../../protocol/x500-name.js';
import { nameKey, nameToString, readSharedName } from '../../protocol/x500-name.js';
import type { RevokedEntry } from './crl-entries.js';
import { readEntries } from './crl-entries.js';
import { crlExtensionFacts } from './crl-extensions.js';

/**
 * X.509 CRLs (RFC 5280 §5) read strictly with the project's DER reader, which walks a list of a
 * hundred thousand entries in milliseconds. What cannot be read is a CrlFormatError; a CRL that
 * reads but breaks a rule that decides what it says (an unknown critical extension, a delta
 * indicator that is not critical, removeFromCRL in a complete CRL, …) is kept with `unusable`
 * set, so that callers can say why they ignored it.
 */

export type { RevokedEntry } from './crl-entries.js';

export const MAX_CRL_BYTES = 8 * 1024 * 1024;

export class CrlFormatError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CrlFormatError';
  }
}

export interface ParsedCrl {
  sha256: string;
  /** The exact TBSCertList bytes the signature covers. */
  tbs: Uint8Array;
  signatureAlgorithm: AlgorithmIdentifierDer;
  signature: Uint8Array;
  version: 1 | 2;
  issuer: DistinguishedName;
  issuerKey: string;
  issuerText: string;
  thisUpdate: Date;
  nextUpdate: Date | undefined;
  /** cRLNumber, when present. */
  crlNumber: bigint | undefined;
  /** A delta CRL's BaseCRLNumber (deltaCRLIndicator); undefined for a complete CRL. */
  deltaBase: bigint | undefined;
  issuingDistributionPoint: IssuingDistributionPointValue | undefined;
  authorityKeyId: string | undefined;
  /** Entries of certificates issued by the CRL's own issuer, by serial key (DER INTEGER hex). */
  revoked: ReadonlyMap<string, RevokedEntry>;
  /** Every entry by certificate issuer (name key), then serial key: indirect CRLs list other issuers. */
  entriesByIssuer: ReadonlyMap<string, ReadonlyMap<string, RevokedEntry>>;
  /** Why the CRL must not be used, or undefined when it may. */
  unusable: string | undefined;
}

const NO_ENTRIES: ReadonlyMap<string, RevokedEntry> = new Map();

/** The CRL's entry for a certificate of `issuerKey` with `serialKey`, if any (§5.3.3). */
export function findEntry(crl: ParsedCrl, issuerKey: string, serialKey: string): RevokedEntry | undefined {
  return crl.entriesByIssuer.get(issuerKey)?.get(serialKey);
}

function readExtensionList(bytes: Uint8Array, list: DerElement): Map<string, CertificateExtension> {
  const out = new Map<string, CertificateExtension>();
  for (const el of readChildren(bytes, expectTag(list, DER_TAG.SEQUENCE, 'extensions'), 64))
    out.set(...readExtension(bytes, el, out));
  if (out.size === 0) throw new DerError('crlExtensions: empty list');
  return out;
}

function isTime(el: DerElement | undefined): el is DerElement {
  return el !== undefined && (el.tag === DER_TAG.UTC_TIME || el.tag === DER_TAG.GENERALIZED_TIME);
}

function sameAlgorithm(a: AlgorithmIdentifierDer, b: AlgorithmIdentifierDer): boolean {
  const pa = a.parameters;
  const pb = b.parameters;
  return (
    a.oid === b.oid && (pa === undefined || pb === undefined ? pa === pb : Buffer.from(pa).equals(Buffer.from(pb)))
  );
}

function decodeUnchecked(der: Uint8Array): ParsedCrl {
  const top = readSingle(der, DER_TAG.SEQUENCE);
  const [tbsEl, algEl, sigEl, extra] = readChildren(der, top, 4);
  if (extra !== undefined) throw new DerError('CRL: trailing fields');
  const tbsSeq = expectTag(tbsEl, DER_TAG.SEQUENCE, 'tbsCertList');
  const signatureAlgorithm = readAlgorithm(der, algEl, 'signatureAlgorithm');
  // §5.1.1.3: the signature is a whole number of octets; unused bits mean a broken CRL.
  const signature = bitStringBytes(contentsOf(der, expectTag(sigEl, DER_TAG.BIT_STRING, 'signature')));

  const fields = readChildren(der, tbsSeq, 8);
  let i = 0;
  let version: 1 | 2 = 1;
  if (fields[0]?.tag === DER_TAG.INTEGER) {
    const v = contentsOf(der, fields[0]);
    // §5.1.2.1: if present, version MUST be v2.
    if (v.length !== 1 || v[0] !== 1) throw new DerError('unsupported CRL version');
    version = 2;
    i = 1;
  }
  const inner = readAlgorithm(der, fields[i++], 'signature');
  if (!sameAlgorithm(inner, signatureAlgorithm)) throw new DerError('inner and outer signature algorithms differ');
  const issuerEl = expectTag(fields[i++], DER_TAG.SEQUENCE, 'issuer');
  const issuer = readSharedName(der, issuerEl);
  const issuerKey = nameKey(issuer);
  const thisUpdateEl = fields[i++];
  if (!isTime(thisUpdateEl)) throw new DerError('bad thisUpdate');
  let nextUpdate: Date | undefined;
  if (isTime(fields[i])) nextUpdate = decodeTime(der, fields[i++]!);
  let entries: ReturnType<typeof readEntries> | undefined;
  if (fields[i]?.tag === DER_TAG.SEQUENCE) entries = readEntries(der, fields[i++]!, issuerKey);
  let extensions = new Map<string, CertificateExtension>();
  if (fields[i]?.tag === 0xa0) {
    const [list, trailing] = readChildren(der, fields[i++]!, 2);
    if (trailing !== undefined || list === undefined) throw new DerError('crlExtensions: bad wrapper');
    extensions = readExtensionList(der, list);
  }
  if (i !== fields.length) throw new DerError('tbsCertList: unexpected fields');
  // §5.1.2.1, §5.1.2.7: extensions (of the CRL or of an entry) need version 2.
  if (version === 1 && (extensions.size > 0 || entries?.hasExtensions === true))
    throw new DerError('extensions in a version 1 CRL');

  const facts = crlExtensionFacts(extensions);
  const idp = facts.issuingDistributionPoint;
  const problems: string[] = [...facts.problems];
  if (issuer.length === 0) problems.push('§5.1.2.3: empty issuer name');
  if (entries?.count === 0) problems.push('§5.1.2.6: an empty revokedCertificates list must be absent');
  if (entries?.problem !== undefined) problems.push(entries.problem);
  if (entries?.hasCertificateIssuer === true && idp?.indirectCRL !== true)
    problems.push('§5.3.3: certificateIssuer entry extension in a CRL that is not indirect');
  if (entries?.hasRemoveFromCrl === true && facts.deltaBase === undefined)
    problems.push('§5.3.1: removeFromCRL in a complete CRL');

  const byIssuer = entries?.byIssuer ?? new Map<string, Map<string, RevokedEntry>>();
  return {
    sha256: hash('sha256', der, 'hex'),
    tbs: wholeOf(der, tbsSeq),
    signatureAlgorithm,
    signature,
    version,
    issuer,
    issuerKey,
    issuerText: nameToString(issuer),
    thisUpdate: decodeTime(der, thisUpdateEl),
    nextUpdate,
    crlNumber: facts.crlNumber,
    deltaBase: facts.deltaBase,
    issuingDistributionPoint: idp,
    authorityKeyId: facts.authorityKeyId,
    revoked: byIssuer.get(issuerKey) ?? NO_ENTRIES,
    entriesByIssuer: byIssuer,
    unusable: problems.length === 0 ? undefined : problems.map((p) => `RFC 5280 ${p}`).join('; '),
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
