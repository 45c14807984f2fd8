/**
 * A minimal strict DER reader: enough to slice X.509 structures (the exact bytes a signature covers,
 * names for exact comparison) and to walk small values such as the hcRole attribute, without
 * building an object tree. Only definite, minimally encoded lengths and low tag numbers are
 * accepted; every read is bounded by its parent, so hostile input fails fast with a DerError.
 */

import { hashBytes, sameOctets } from './der-memo.js';

export { hashBytes, memoizedDecoder, sameOctets } from './der-memo.js';

export class DerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DerError';
  }
}

export const DER_TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  TELETEX_STRING: 0x14,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  UNIVERSAL_STRING: 0x1c,
  BMP_STRING: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** One TLV: `bytes.subarray(start, end)` is the whole element, `valueStart..end` its contents. */
export interface DerElement {
  /** The identifier octet (class, constructed bit and tag number < 31). */
  tag: number;
  start: number;
  valueStart: number;
  end: number;
}

/** Reads the element at `offset`, which must end at or before `limit`. */
export function readElement(bytes: Uint8Array, offset: number, limit: number = bytes.length): DerElement {
  if (offset + 2 > limit) throw new DerError('truncated element');
  const tag = bytes[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError('high tag numbers are not supported');
  let length = bytes[offset + 1]!;
  let valueStart = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0) throw new DerError('indefinite length is not DER');
    if (count > 4) throw new DerError('length too large');
    if (valueStart + count > limit) throw new DerError('truncated length');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + bytes[valueStart + i]!;
    if (bytes[valueStart] === 0 || length < 0x80) throw new DerError('length not minimally encoded');
    valueStart += count;
  }
  const end = valueStart + length;
  if (end > limit) throw new DerError('element longer than its container');
  return { tag, start: offset, valueStart, end };
}

/** Reads `bytes` as exactly one element with the given tag: no trailing bytes. */
export function readSingle(bytes: Uint8Array, tag: number): DerElement {
  const el = readElement(bytes, 0);
  if (el.tag !== tag) throw new DerError(`expected tag 0x${tag.toString(16)}, got 0x${el.tag.toString(16)}`);
  if (el.end !== bytes.length) throw new DerError('trailing bytes after the element');
  return el;
}

/** The elements inside a constructed element, in order. */
export function readChildren(bytes: Uint8Array, parent: DerElement, maxChildren = 100_000): DerElement[] {
  if ((parent.tag & 0x20) === 0) throw new DerError('not a constructed element');
  const out: DerElement[] = [];
  let offset = parent.valueStart;
  while (offset < parent.end) {
    if (out.length >= maxChildren) throw new DerError('too many elements');
    const child = readElement(bytes, offset, parent.end);
    out.push(child);
    offset = child.end;
  }
  return out;
}

export function expectTag(el: DerElement | undefined, tag: number, what: string): DerElement {
  if (el === undefined) throw new DerError(`missing ${what}`);
  if (el.tag !== tag) throw new DerError(`${what}: unexpected tag 0x${el.tag.toString(16)}`);
  return el;
}

/** The contents octets of `el` (X.690 §8.1.1: what follows the identifier and length). */
export function contentsOf(bytes: Uint8Array, el: DerElement): Uint8Array {
  return bytes.subarray(el.valueStart, el.end);
}

export function wholeOf(bytes: Uint8Array, el: DerElement): Uint8Array {
  return bytes.subarray(el.start, el.end);
}

const utf8 = new TextDecoder('utf-8');

/** Lowercase two-digit hex of every octet value. */
const HEX: readonly string[] = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

/** Lowercase hex of `bytes`. */
export function hexOf(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i]!]!;
  return out;
}

function decodeOidUncached(value: Uint8Array): string {
  const arcs: number[] = [];
  let acc = 0;
  for (let i = 0; i < value.length; i++) {
    const b = value[i]!;
    if (acc === 0 && b === 0x80) throw new DerError('OID arc not minimally encoded');
    acc = acc * 128 + (b & 0x7f);
    if (acc > Number.MAX_SAFE_INTEGER / 128) throw new DerError('OID arc too large');
    if ((b & 0x80) === 0) {
      arcs.push(acc);
      acc = 0;
    } else if (i === value.length - 1) {
      throw new DerError('truncated OID');
    }
  }
  const first = arcs[0]!;
  const head = first < 40 ? [0, first] : first < 80 ? [1, first - 40] : [2, first - 80];
  return [...head, ...arcs.slice(1)].join('.');
}

// The same few dozen OIDs (attribute types, extensions, algorithms) fill every certificate: decode
// each once. Bounded, so odd OIDs from hostile input cannot grow it.
const oidCache = new Map<number, { octets: Uint8Array; oid: string }>();
const MAX_CACHED_OIDS = 2048;

/** Dotted form of an OBJECT IDENTIFIER's contents. */
export function decodeOid(value: Uint8Array): string {
  return oidIn(value, 0, value.length);
}

/** Dotted form of the OID whose contents are `bytes[start, end)`: no copy when it is a known one. */
function oidIn(bytes: Uint8Array, start: number, end: number): string {
  if (end === start || end - start > 64) throw new DerError('bad OID length');
  const key = hashBytes(bytes, start, end);
  const known = oidCache.get(key);
  if (known !== undefined && sameOctets(known.octets, bytes, start, end)) return known.oid;
  const octets = bytes.slice(start, end);
  const oid = decodeOidUncached(octets);
  if (oidCache.size >= MAX_CACHED_OIDS) oidCache.clear();
  oidCache.set(key, { octets, oid });
  return oid;
}

/** The OBJECT IDENTIFIER element `el` (tag checked) of `bytes`, read in place. */
export function oidOf(bytes: Uint8Array, el: DerElement | undefined, what: string): string {
  const oid = expectTag(el, DER_TAG.OID, what);
  return oidIn(bytes, oid.valueStart, oid.end);
}

/** Contents of a BIT STRING with no unused bits (signatures, keys). */
export function bitStringBytes(value: Uint8Array): Uint8Array {
  if (value.length === 0 || value[0] !== 0) throw new DerError('BIT STRING with unused bits');
  return value.subarray(1);
}

/** A BIT STRING's contents: its octets and how many bits of the last one are unused (DER: zero). */
export function decodeBitString(value: Uint8Array): { bytes: Uint8Array; unusedBits: number } {
  const unusedBits = value[0];
  if (unusedBits === undefined || unusedBits > 7) throw new DerError('bad BIT STRING');
  if (value.length === 1 && unusedBits !== 0) throw new DerError('empty BIT STRING with unused bits');
  const last = value[value.length - 1]!;
  if (value.length > 1 && (last & ((1 << unusedBits) - 1)) !== 0) throw new DerError('BIT STRING unused bits not zero');
  return { bytes: value.subarray(1), unusedBits };
}

/**
 * A named bit list (KeyUsage, ReasonFlags) as a mask: bit n of the ASN.1 list is `1 << n`. Bits
 * set beyond `maxBits` are refused, so a value can never carry a meaning this code does not know.
 */
export function decodeNamedBits(value: Uint8Array, maxBits: number): number {
  const { bytes, unusedBits } = decodeBitString(value);
  if (bytes.length > 8) throw new DerError('named bit list too long');
  let mask = 0;
  for (let n = 0; n < bytes.length * 8 - unusedBits; n++) {
    if ((bytes[n >> 3]! & (0x80 >> (n & 7))) === 0) continue;
    if (n >= maxBits) throw new DerError('named bit list sets an undefined bit');
    mask |= 1 << n;
  }
  return mask;
}

/** DER BOOLEAN contents: one octet, 0x00 or 0xFF (X.690 §11.1). */
export function decodeBoolean(value: Uint8Array): boolean {
  if (value.length !== 1 || (value[0] !== 0 && value[0] !== 0xff)) throw new DerError('bad BOOLEAN');
  return value[0] === 0xff;
}

/**
 * An INTEGER's contents as lowercase hex of its two's complement octets, after checking that they
 * are minimal (DER). Equal values have equal keys and different values different ones, sign
 * included: `00 ff` (+255) and `ff` (−1) never meet.
 */
export function integerKey(value: Uint8Array): string {
  checkMinimalInteger(value);
  return hexOf(value);
}

/** Throws unless INTEGER contents are non-empty and minimally encoded (DER, X.690 §8.3.2). */
export function checkMinimalInteger(value: Uint8Array): void {
  if (value.length === 0) throw new DerError('empty INTEGER');
  if (value.length > 1 && ((value[0] === 0 && value[1]! < 0x80) || (value[0] === 0xff && value[1]! >= 0x80))) {
    throw new DerError('INTEGER not minimally encoded');
  }
}

/** An INTEGER's value (minimal encoding checked). */
export function decodeBigInteger(value: Uint8Array): bigint {
  const hex = integerKey(value);
  const unsigned = BigInt(`0x${hex}`);
  return (value[0]! & 0x80) === 0 ? unsigned : unsigned - (1n << BigInt(value.length * 8));
}

/** A non-negative INTEGER that fits a JavaScript number (path lengths, skip counts). */
export function decodeSmallCount(value: Uint8Array, what: string): number {
  const n = decodeBigInteger(value);
  if (n < 0n || n > 1_000_000n) throw new DerError(`${what} out of range`);
  return Number(n);
}

/**
 * Lowercase hex of an INTEGER's magnitude, without the sign octet (how certificate serial numbers
 * are shown); a negative value gets a leading `-`. For display only: compare with integerKey.
 */
export function integerHex(value: Uint8Array): string {
  if (value.length === 0) throw new DerError('empty INTEGER');
  if ((value[0]! & 0x80) !== 0) {
    const magnitude = (-decodeBigInteger(value)).toString(16);
    return `-${magnitude.length % 2 ? '0' : ''}${magnitude}`;
  }
  let i = 0;
  while (i < value.length - 1 && value[i] === 0) i++;
  let out = '';
  for (; i < value.length; i++) out += value[i]!.toString(16).padStart(2, '0');
  return out;
}

/** IA5String (and other ASCII-only string types) contents. */
export function decodeAscii(value: Uint8Array, what: string): string {
  for (let i = 0; i < value.length; i++) if (value[i]! > 0x7f) throw new DerError(`${what}: not ASCII`);
  // ASCII is UTF-8, and the UTF-8 decoder is the native fast one.
  return utf8.decode(value);
}

/** UTCTime or GeneralizedTime in the RFC 5280 §4.1.2.5 form (seconds, `Z`, no fractions). */
export function decodeTime(bytes: Uint8Array, el: DerElement): Date {
  const length = el.end - el.valueStart;
  let at = el.valueStart;
  // Read digit pairs straight from the octets: no string, no regular expression.
  const digits = (n: number): number => {
    let v = 0;
    for (let i = 0; i < n; i++) {
      const d = bytes[at++]! - 0x30;
      if (d < 0 || d > 9) throw new DerError('bad time digit');
      v = v * 10 + d;
    }
    return v;
  };
  let year: number;
  if (el.tag === DER_TAG.UTC_TIME) {
    if (length !== 13) throw new DerError('bad UTCTime');
    const yy = digits(2);
    year = yy >= 50 ? 1900 + yy : 2000 + yy;
  } else if (el.tag === DER_TAG.GENERALIZED_TIME) {
    if (length !== 15) throw new DerError('bad GeneralizedTime');
    year = digits(4);
  } else {
    throw new DerError('expected a time');
  }
  const month = digits(2);
  const day = digits(2);
  const hour = digits(2);
  const minute = digits(2);
  const second = digits(2);
  if (bytes[at] !== 0x5a) throw new DerError('time not in Zulu');
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  // Date.UTC rolls over (Feb 30 → Mar 2); a real time round-trips. Years below 100 are not mapped to 19xx.
  if (year < 100) date.setUTCFullYear(year);
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) {
    throw new DerError('time out of range');
  }
  return date;
}
