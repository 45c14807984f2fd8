import { concatBytes } from './bytes.js';

/**
 * The project's one DER writer: building blocks for the structures that no library encodes the way
 * real HPKI material does (hcRole inside subjectDirectoryAttributes, PKCS#15 directory files, the
 * mock PKI) and for the test PKI's deliberate deviations. Encoding only: everything built here is
 * parsed back by the independent reader in der.ts in the tests.
 */

/** Bytes backed by a plain ArrayBuffer, as WebCrypto and the X.509 classes take them. */
export type Bytes = Uint8Array<ArrayBuffer>;

export { concatBytes };

/** One encoder for the text of every string type (UTF-8; the printable, IA5 and time types are ASCII). */
const utf8 = new TextEncoder();

/** DER definite length octets (X.690 §8.1.3): short form below 128, else the minimal long form. */
export function derLength(length: number): Bytes {
  if (!Number.isSafeInteger(length) || length < 0) throw new RangeError('invalid DER length');
  if (length < 0x80) return Uint8Array.of(length);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

/** One TLV with a single-byte tag around the concatenated `content` (an array: no spread, any length). */
export function tlvOf(tag: number, content: readonly Uint8Array[]): Bytes {
  const value = concatBytes(content);
  return concatBytes([Uint8Array.of(tag), derLength(value.length), value]);
}

/** One TLV with a single-byte tag. */
export const tlv = (tag: number, ...content: Uint8Array[]): Bytes => tlvOf(tag, content);
export const sequence = (...content: Uint8Array[]): Bytes => tlvOf(0x30, content);
export const set = (...content: Uint8Array[]): Bytes => tlvOf(0x31, content);
export const octetString = (bytes: Uint8Array): Bytes => tlv(0x04, bytes);
export const utf8String = (text: string): Bytes => tlv(0x0c, utf8.encode(text));
export const booleanTrue = (): Bytes => Uint8Array.of(0x01, 0x01, 0xff);
/** [n] EXPLICIT (constructed context-specific tag). */
export const explicit = (n: number, ...content: Uint8Array[]): Bytes => tlvOf(0xa0 | n, content);
/** [n] IMPLICIT of a primitive value. */
export const implicit = (n: number, value: Uint8Array): Bytes => tlv(0x80 | n, value);
export const boolean = (value: boolean): Bytes => Uint8Array.of(0x01, 0x01, value ? 0xff : 0x00);
export const nullValue = (): Bytes => Uint8Array.of(0x05, 0x00);
export const printableString = (text: string): Bytes => tlv(0x13, utf8.encode(text));
export const ia5String = (text: string): Bytes => tlv(0x16, utf8.encode(text));
/** BIT STRING of whole bytes with `unused` bits declared unused in the last one. */
export const bitString = (bytes: Uint8Array, unused = 0): Bytes => tlv(0x03, Uint8Array.of(unused), bytes);

/**
 * INTEGER from a non-negative magnitude in hex (any length): a 00 is put in front when the first bit
 * is set; leading zero octets given are kept (a test may want a non-minimal encoding).
 */
export function integerFromHex(hex: string): Bytes {
  if (!/^[0-9a-fA-F]*$/.test(hex)) throw new RangeError('integer hex must be hex digits');
  const digits = hex.length % 2 === 1 ? `0${hex}` : hex;
  let bytes = Uint8Array.from(digits.match(/../g) ?? ['00'], (b) => Number.parseInt(b, 16));
  if ((bytes[0]! & 0x80) !== 0) bytes = concatBytes([Uint8Array.of(0), bytes]);
  return tlv(0x02, bytes);
}

/** UTCTime for 1950–2049, GeneralizedTime otherwise (RFC 5280 §4.1.2.5), whole seconds. */
export function time(date: Date): Bytes {
  const iso = date.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  const year = date.getUTCFullYear();
  return year >= 1950 && year < 2050 ? tlv(0x17, utf8.encode(`${iso.slice(2)}Z`)) : tlv(0x18, utf8.encode(`${iso}Z`));
}

/** INTEGER from a non-negative safe integer, minimal two's complement. */
export function integer(value: number): Bytes {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError('integer must be a non-negative safe integer');
  const bytes: number[] = [];
  for (let n = value; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
  if (bytes.length === 0 || (bytes[0]! & 0x80) !== 0) bytes.unshift(0);
  return tlv(0x02, Uint8Array.from(bytes));
}

/** OBJECT IDENTIFIER from dotted text (X.690 §8.19). */
export function objectIdentifier(dotted: string): Bytes {
  if (!/^[0-2](\.(0|[1-9][0-9]*))+$/.test(dotted)) throw new RangeError(`not an OID: ${dotted}`);
  const arcs = dotted.split('.').map(Number);
  if (arcs.some((a) => !Number.isSafeInteger(a))) throw new RangeError(`OID arc too large: ${dotted}`);
  const [first, second, ...rest] = arcs as [number, number, ...number[]];
  if (first < 2 && second > 39) throw new RangeError(`invalid second arc: ${dotted}`);
  const out: number[] = [];
  for (const arc of [first * 40 + second, ...rest]) {
    const base128: number[] = [arc % 128];
    for (let n = Math.floor(arc / 128); n > 0; n = Math.floor(n / 128)) base128.unshift(0x80 | (n % 128));
    out.push(...base128);
  }
  return tlv(0x06, Uint8Array.from(out));
}

/**
 * BIT STRING of named bits (bit 0 = most significant bit of the first byte), DER: trailing zero bits
 * removed and counted in the unused-bits octet (X.690 §11.2.2).
 */
export function namedBits(bits: readonly number[]): Bytes {
  if (bits.length === 0) return Uint8Array.of(0x03, 0x01, 0x00);
  const highest = Math.max(...bits);
  const bytes = new Uint8Array(Math.floor(highest / 8) + 1);
  for (const bit of bits) bytes[Math.floor(bit / 8)]! |= 0x80 >> (bit % 8);
  const unused = 7 - (highest % 8);
  return tlv(0x03, Uint8Array.of(unused), bytes);
}
