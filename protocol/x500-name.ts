import { bytesToHex } from './base64.js';
import type { DerElement } from './der.js';
import {
  contentsOf,
  DER_TAG,
  DerError,
  decodeAscii,
  expectTag,
  hashBytes,
  oidOf,
  readChildren,
  readSingle,
  sameOctets,
  wholeOf,
} from './der.js';

/**
 * X.500 names as HPKI uses them: decoding, display strings, attribute lookup, and the comparison
 * key of RFC 5280 §7.1 (simplified: Unicode NFKC, case folded, insignificant spaces removed), so
 * that a CA re-encoding a name with another string type or case still chains.
 *
 * Decoded by hand with the strict DER reader rather than with @peculiar/asn1-x509: names are most
 * of the work of reading a certificate the verifier has not seen, and the schema-driven decoder made
 * that path about twenty times slower than the RSA verification it guards.
 */

export const ATTR = {
  country: '2.5.4.6',
  organization: '2.5.4.10',
  organizationalUnit: '2.5.4.11',
  commonName: '2.5.4.3',
  serialNumber: '2.5.4.5',
  locality: '2.5.4.7',
  state: '2.5.4.8',
  emailAddress: '1.2.840.113549.1.9.1',
  domainComponent: '0.9.2342.19200300.100.1.25',
} as const;

/** One AttributeTypeAndValue. */
export interface NameAttribute {
  readonly type: string;
  /** The value's DER tag (PrintableString, UTF8String, …). */
  readonly tag: number;
  /** The value as text for the string types; undefined for any other value. */
  readonly text: string | undefined;
  /** DER of the whole value element, for binary comparison and `#hex` display. */
  readonly der: Uint8Array;
}

export type RelativeDistinguishedName = readonly NameAttribute[];
/** RDNSequence: the most significant RDN (usually C) first. */
export type DistinguishedName = readonly RelativeDistinguishedName[];

const SHORT_NAMES: Readonly<Record<string, string>> = {
  '2.5.4.6': 'C',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.3': 'CN',
  '2.5.4.5': 'serialNumber',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '1.2.840.113549.1.9.1': 'emailAddress',
  '0.9.2342.19200300.100.1.25': 'DC',
};

const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf16be = new TextDecoder('utf-16be', { fatal: true });
const latin1 = new TextDecoder('latin1');

function decodeUniversal(value: Uint8Array): string {
  if (value.length % 4 !== 0) throw new DerError('bad UniversalString');
  let out = '';
  for (let i = 0; i < value.length; i += 4) {
    const cp = ((value[i]! << 24) | (value[i + 1]! << 16) | (value[i + 2]! << 8) | value[i + 3]!) >>> 0;
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) throw new DerError('bad UniversalString');
    out += String.fromCodePoint(cp);
  }
  return out;
}

/** Text of a string-typed value, or undefined for other types (which compare as bytes). */
function stringValue(tag: number, value: Uint8Array): string | undefined {
  switch (tag) {
    case DER_TAG.UTF8_STRING:
      return utf8.decode(value);
    case DER_TAG.PRINTABLE_STRING:
    case DER_TAG.IA5_STRING:
    case 0x12: // NumericString
    case 0x1a: // VisibleString
      return decodeAscii(value, 'name attribute');
    case DER_TAG.TELETEX_STRING:
      // T.61 in practice carries Latin-1 (RFC 5280 §8 notes the ambiguity).
      return latin1.decode(value);
    case DER_TAG.BMP_STRING:
      if (value.length % 2 !== 0) throw new DerError('bad BMPString');
      return utf16be.decode(value);
    case DER_TAG.UNIVERSAL_STRING:
      return decodeUniversal(value);
    default:
      return undefined;
  }
}

function readAttribute(bytes: Uint8Array, el: DerElement): NameAttribute {
  const [typeEl, valueEl, extra] = readChildren(bytes, expectTag(el, DER_TAG.SEQUENCE, 'AttributeTypeAndValue'), 3);
  if (valueEl === undefined || extra !== undefined) throw new DerError('bad AttributeTypeAndValue');
  const type = oidOf(bytes, typeEl, 'attribute type');
  return {
    type,
    tag: valueEl.tag,
    text: stringValue(valueEl.tag, contentsOf(bytes, valueEl)),
    der: wholeOf(bytes, valueEl),
  };
}

/** The attributes of an RDN element: a SET, or an IMPLICIT tag of one (nameRelativeToCRLIssuer). */
export function readRdn(bytes: Uint8Array, el: DerElement): RelativeDistinguishedName {
  const rdn = readChildren(bytes, el, 16).map((a) => readAttribute(bytes, a));
  if (rdn.length === 0) throw new DerError('empty RelativeDistinguishedName');
  return rdn;
}

/** Reads the Name (RDNSequence) element `el` of `bytes`. */
export function readName(bytes: Uint8Array, el: DerElement): DistinguishedName {
  return readChildren(bytes, expectTag(el, DER_TAG.SEQUENCE, 'Name'), 64).map((rdn) =>
    readRdn(bytes, expectTag(rdn, DER_TAG.SET, 'RelativeDistinguishedName')),
  );
}

// Issuer names repeat across every certificate of a CA: each distinct DER is decoded once. Bounded,
// so a stream of odd names cannot grow it.
const sharedNames = new Map<number, { der: Uint8Array; name: DistinguishedName }>();
const MAX_SHARED_NAMES = 512;

/** readName for names many certificates share (issuers): the same frozen object for the same DER. */
export function readSharedName(bytes: Uint8Array, el: DerElement): DistinguishedName {
  const key = hashBytes(bytes, el.start, el.end);
  const known = sharedNames.get(key);
  if (known !== undefined && sameOctets(known.der, bytes, el.start, el.end)) return known.name;
  const name = Object.freeze(readName(bytes, el));
  if (sharedNames.size >= MAX_SHARED_NAMES) sharedNames.clear();
  sharedNames.set(key, { der: bytes.slice(el.start, el.end), name });
  return name;
}

/** Decodes a Name from its DER. */
export function decodeName(der: Uint8Array): DistinguishedName {
  return readName(der, readSingle(der, DER_TAG.SEQUENCE));
}

/** The string of an attribute value; values that are not strings come back as `#hex` of their DER. */
export function attributeValueText(attribute: NameAttribute): string {
  return attribute.text ?? `#${bytesToHex(attribute.der)}`;
}

/** Values of one attribute type, in name order. */
export function attributeValues(name: DistinguishedName, type: string): string[] {
  const out: string[] = [];
  for (const rdn of name) for (const ava of rdn) if (ava.type === type) out.push(attributeValueText(ava));
  return out;
}

/** The last (most specific) value of an attribute type, if any. */
export function lastAttribute(name: DistinguishedName, type: string): string | undefined {
  const values = attributeValues(name, type);
  return values[values.length - 1];
}

function escapeValue(text: string): string {
  return text.replace(/([,+"\\<>;=])/g, '\\$1');
}

/** `C=JP, O=…, CN=…` in the certificate's order (the form `openssl -nameopt oneline` prints). */
export function nameToString(name: DistinguishedName): string {
  return name
    .map((rdn) =>
      rdn.map((ava) => `${SHORT_NAMES[ava.type] ?? ava.type}=${escapeValue(attributeValueText(ava))}`).join(' + '),
    )
    .join(', ');
}

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** RFC 5280 §7.1 matching form of a string value: NFKC, trimmed, inner spaces collapsed, lowercased. */
export function normalizeText(text: string): string {
  // NFKC leaves printable ASCII as it is; skipping it keeps the common case cheap.
  const folded = PRINTABLE_ASCII.test(text) ? text : text.normalize('NFKC');
  return folded.trim().replace(/\s+/g, ' ').toLowerCase();
}

function attributeKey(ava: NameAttribute): string {
  return ava.text === undefined ? `${ava.type}#${bytesToHex(ava.der)}` : `${ava.type}=${normalizeText(ava.text)}`;
}

/** Comparison key of one RDN: its attributes in a canonical order, so that SET order does not matter. */
export function rdnKey(rdn: RelativeDistinguishedName): string {
  const keys = rdn.map(attributeKey);
  if (keys.length > 1) keys.sort();
  return JSON.stringify(keys);
}

const nameKeys = new WeakMap<DistinguishedName, string>();

/** Comparison key: equal keys mean the names match under RFC 5280 §7.1 rules as simplified above. */
export function nameKey(name: DistinguishedName): string {
  let key = nameKeys.get(name);
  if (key === undefined) {
    key = `[${name.map(rdnKey).join(',')}]`;
    nameKeys.set(name, key);
  }
  return key;
}

/** RFC 5280 §7.1: `name` is within the subtree `base` when base's RDNs are its leading RDNs. */
export function nameWithinSubtree(name: DistinguishedName, base: DistinguishedName): boolean {
  if (name.length < base.length) return false;
  for (let i = 0; i < base.length; i++) if (rdnKey(name[i]!) !== rdnKey(base[i]!)) return false;
  return true;
}
