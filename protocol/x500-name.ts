import type { AttributeValue, Name } from '@peculiar/asn1-x509';
import { bytesToHex } from './base64.js';

/**
 * X.500 names as HPKI uses them: display strings, attribute lookup, and the comparison key of
 * RFC 5280 §7.1 (simplified: Unicode NFKC, case folded, insignificant spaces removed), so that a
 * CA re-encoding a name with another string type or case still chains.
 */

export const ATTR = {
  country: '2.5.4.6',
  organization: '2.5.4.10',
  organizationalUnit: '2.5.4.11',
  commonName: '2.5.4.3',
  serialNumber: '2.5.4.5',
  locality: '2.5.4.7',
  state: '2.5.4.8',
} as const;

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

/** The string of an attribute value; values that are not strings come back as `#hex`. */
export function attributeValueText(value: AttributeValue): string {
  const text =
    value.utf8String ?? value.printableString ?? value.ia5String ?? value.teletexString ?? value.bmpString ?? value.universalString;
  if (text !== undefined) return text;
  return value.anyValue !== undefined ? `#${bytesToHex(new Uint8Array(value.anyValue))}` : '';
}

/** Values of one attribute type, in name order. */
export function attributeValues(name: Name, type: string): string[] {
  const out: string[] = [];
  for (const rdn of name) for (const ava of rdn) if (ava.type === type) out.push(attributeValueText(ava.value));
  return out;
}

/** The last (most specific) value of an attribute type, if any. */
export function lastAttribute(name: Name, type: string): string | undefined {
  const values = attributeValues(name, type);
  return values[values.length - 1];
}

function escapeValue(text: string): string {
  return text.replace(/([,+"\\<>;=])/g, '\\$1');
}

/** `C=JP, O=…, CN=…` in the certificate's order (the form `openssl -nameopt oneline` prints). */
export function nameToString(name: Name): string {
  return name
    .map((rdn) => rdn.map((ava) => `${SHORT_NAMES[ava.type] ?? ava.type}=${escapeValue(attributeValueText(ava.value))}`).join(' + '))
    .join(', ');
}

function normalizeText(text: string): string {
  return text.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase();
}

/** Comparison key: equal keys mean the names match under RFC 5280 §7.1 rules as simplified above. */
export function nameKey(name: Name): string {
  const rdns = name.map((rdn) =>
    rdn
      .map((ava) => {
        const text = attributeValueText(ava.value);
        return [ava.type, ava.value.anyValue !== undefined ? text : normalizeText(text)];
      })
      .sort((a, b) => (a[0]! + '\u0000' + a[1]! < b[0]! + '\u0000' + b[1]! ? -1 : 1)),
  );
  return JSON.stringify(rdns);
}
