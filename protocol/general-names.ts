import { bytesToHex } from './base64.js';
import type { DerElement } from './der.js';
import {
  contentsOf,
  DER_TAG,
  DerError,
  decodeAscii,
  decodeOid,
  oidOf,
  readChildren,
  readSingle,
  wholeOf,
} from './der.js';
import type { DistinguishedName } from './x500-name.js';
import { nameKey, readName } from './x500-name.js';

/**
 * GeneralName and GeneralNames (RFC 5280 §4.2.1.6), decoded by hand for the same reason as names
 * (x500-name.ts): they sit in SAN, CRLDP, IDP, AKI and name constraints of every certificate read.
 * Every CHOICE arm is kept, so that name constraints can refuse a form they cannot process instead
 * of overlooking it.
 */

export type GeneralName =
  | { kind: 'otherName'; typeId: string; der: Uint8Array }
  | { kind: 'rfc822Name'; value: string }
  | { kind: 'dNSName'; value: string }
  | { kind: 'x400Address'; der: Uint8Array }
  | { kind: 'directoryName'; name: DistinguishedName }
  | { kind: 'ediPartyName'; der: Uint8Array }
  | { kind: 'uniformResourceIdentifier'; value: string }
  | { kind: 'iPAddress'; bytes: Uint8Array }
  | { kind: 'registeredID'; oid: string };

export type GeneralNameKind = GeneralName['kind'];

/** Reads one GeneralName element. */
export function readGeneralName(bytes: Uint8Array, el: DerElement): GeneralName {
  const value = contentsOf(bytes, el);
  switch (el.tag) {
    case 0xa0: {
      const [typeId, wrapped, extra] = readChildren(bytes, el, 3);
      if (wrapped?.tag !== 0xa0 || extra !== undefined) throw new DerError('bad otherName');
      return {
        kind: 'otherName',
        typeId: oidOf(bytes, typeId, 'otherName type-id'),
        der: wholeOf(bytes, el),
      };
    }
    case 0x81:
      return { kind: 'rfc822Name', value: decodeAscii(value, 'rfc822Name') };
    case 0x82:
      return { kind: 'dNSName', value: decodeAscii(value, 'dNSName') };
    case 0xa3:
      return { kind: 'x400Address', der: wholeOf(bytes, el) };
    case 0xa4: {
      const [name, extra] = readChildren(bytes, el, 2);
      if (name === undefined || extra !== undefined) throw new DerError('bad directoryName');
      return { kind: 'directoryName', name: readName(bytes, name) };
    }
    case 0xa5:
      return { kind: 'ediPartyName', der: wholeOf(bytes, el) };
    case 0x86:
      return { kind: 'uniformResourceIdentifier', value: decodeAscii(value, 'uniformResourceIdentifier') };
    case 0x87:
      return { kind: 'iPAddress', bytes: value };
    case 0x88:
      return { kind: 'registeredID', oid: decodeOid(value) };
    default:
      throw new DerError(`unknown GeneralName tag 0x${el.tag.toString(16)}`);
  }
}

/** The names inside a GeneralNames-shaped element (a SEQUENCE, or an IMPLICIT tag of one). */
export function readGeneralNames(bytes: Uint8Array, el: DerElement, what = 'GeneralNames'): GeneralName[] {
  const names = readChildren(bytes, el, 256).map((n) => readGeneralName(bytes, n));
  if (names.length === 0) throw new DerError(`${what} is empty`);
  return names;
}

// The SAN is read by the holder description and by the path; once per value is enough.
const decodedNames = new WeakMap<Uint8Array, GeneralName[]>();

/** Decodes a GeneralNames value (SAN, IAN, certificateIssuer). The result is shared: do not modify it. */
export function decodeGeneralNames(der: Uint8Array, what = 'GeneralNames'): GeneralName[] {
  let names = decodedNames.get(der);
  if (names === undefined) {
    names = readGeneralNames(der, readSingle(der, DER_TAG.SEQUENCE), what);
    decodedNames.set(der, names);
  }
  return names;
}

/**
 * A comparison key: equal keys mean the same name. Directory names compare as in §7.1, DNS names
 * and the host of mail addresses case-insensitively (§7.2, §7.5), URIs exactly, others as bytes.
 */
export function generalNameKey(name: GeneralName): string {
  switch (name.kind) {
    case 'directoryName':
      return `dn:${nameKey(name.name)}`;
    case 'dNSName':
      return `dns:${name.value.toLowerCase()}`;
    case 'rfc822Name': {
      const at = name.value.lastIndexOf('@');
      return `email:${at < 0 ? name.value.toLowerCase() : name.value.slice(0, at + 1) + name.value.slice(at + 1).toLowerCase()}`;
    }
    case 'uniformResourceIdentifier':
      return `uri:${name.value}`;
    case 'iPAddress':
      return `ip:${bytesToHex(name.bytes)}`;
    case 'registeredID':
      return `oid:${name.oid}`;
    default:
      return `${name.kind}:${bytesToHex(name.der)}`;
  }
}

/** True when the two lists share at least one name. */
export function shareAName(a: readonly GeneralName[], b: readonly GeneralName[]): boolean {
  if (a.length === 0 || b.length === 0) return false;
  const keys = new Set(a.map(generalNameKey));
  return b.some((n) => keys.has(generalNameKey(n)));
}
