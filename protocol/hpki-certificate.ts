import type { DecodedCertificate } from './certificate-der.js';
import { decodeCertificate } from './certificate-der.js';
import type { KeyUsageBits } from './certificate-extensions.js';
import {
  decodeBasicConstraints,
  decodeCertificatePolicies,
  decodeKeyUsage,
  decodeSubjectAltDirectoryNames,
  EXT,
} from './certificate-extensions.js';
import type { DerElement } from './der.js';
import { contentsOf, DER_TAG, DerError, expectTag, memoizedDecoder, oidOf, readChildren, readSingle } from './der.js';
import { HpkiError } from './errors.js';
import { ATTR, lastAttribute } from './x500-name.js';

/**
 * What an HPKI certificate says about its holder (HPKI-CARD.md §6): names, holder id, hcRole,
 * issuer, validity, key usage and policies. Pure DER parsing, shared by the native host (PIN window
 * text), the extension and the verifier. No trust decision is made here.
 */

export interface HpkiCertificateInfo {
  /** CN of the subject (romaji). */
  subjectName: string;
  /** CN inside a subjectAltName directory name, when present (e.g. "神楽坂　三十四"). */
  nameJa?: string;
  /** The subject's serialNumber attribute: the holder's id. */
  holderId?: string;
  /** Decoded from subjectDirectoryAttributes 2.5.29.9, attribute 1.0.17090.0.1. */
  hcRole?: string;
  /** Issuer CN, or the last OU when there is no CN (the MHLW root). */
  issuerName: string;
  /** Lowercase hex of the serial number's octets. */
  serialNumberHex: string;
  notBefore: Date;
  notAfter: Date;
  keyUsage: KeyUsageBits | undefined;
  policies: string[];
  isCa: boolean;
}

/** hcRole attribute type (ISO 17090). */
export const HC_ROLE_ATTRIBUTE_OID = '1.0.17090.0.1';
/** The coding scheme of the MHLW HPKI role names. */
export const HPKI_ROLE_SCHEME_OID = '1.2.392.100495.1.6.1.1';

const utf8 = new TextDecoder('utf-8', { fatal: true });

function contextChild(bytes: Uint8Array, parent: DerElement, tag: number): DerElement | undefined {
  return readChildren(bytes, parent, 16).find((el) => el.tag === tag);
}

/** codedData ::= SET { [0] EXPLICIT OID scheme, [2] EXPLICIT UTF8String value, … } */
function roleFromActor(bytes: Uint8Array, actor: DerElement): string | undefined {
  const codedData = contextChild(bytes, expectTag(actor, DER_TAG.SEQUENCE, 'HCActor'), 0xa0);
  if (codedData === undefined) return undefined;
  const [set, extra] = readChildren(bytes, codedData, 2);
  if (extra !== undefined) throw new DerError('codedData: trailing data');
  const fields = expectTag(set, DER_TAG.SET, 'codedData');
  const schemeWrap = contextChild(bytes, fields, 0xa0);
  const valueWrap = contextChild(bytes, fields, 0xa2);
  if (schemeWrap === undefined || valueWrap === undefined) return undefined;
  const [scheme] = readChildren(bytes, schemeWrap, 1);
  if (oidOf(bytes, scheme, 'coding scheme') !== HPKI_ROLE_SCHEME_OID) return undefined;
  const [text] = readChildren(bytes, valueWrap, 1);
  const role = utf8.decode(contentsOf(bytes, expectTag(text, DER_TAG.UTF8_STRING, 'role')));
  return role.length > 0 && role.length <= 128 ? role : undefined;
}

/**
 * The hcRole in a subjectDirectoryAttributes extension value (HPKI-CARD.md §6):
 * `SEQUENCE OF Attribute { 1.0.17090.0.1, SET { SET OF HCActor } }`. Returns undefined when there is
 * no hcRole, when it is malformed, or when the certificate names more than one distinct role (the
 * profile allows one; an ambiguous role must not pass a role check).
 */
export const decodeHcRole: (extnValue: Uint8Array) => string | undefined = memoizedDecoder(readHcRole);

function readHcRole(extnValue: Uint8Array): string | undefined {
  try {
    const roles = new Set<string>();
    const seq = readSingle(extnValue, DER_TAG.SEQUENCE);
    for (const attr of readChildren(extnValue, seq, 32)) {
      const [type, values] = readChildren(extnValue, expectTag(attr, DER_TAG.SEQUENCE, 'Attribute'), 3);
      if (oidOf(extnValue, type, 'attribute type') !== HC_ROLE_ATTRIBUTE_OID) continue;
      for (const actors of readChildren(extnValue, expectTag(values, DER_TAG.SET, 'attribute values'), 8)) {
        for (const actor of readChildren(extnValue, expectTag(actors, DER_TAG.SET, 'HCActorData'), 8)) {
          const role = roleFromActor(extnValue, actor);
          if (role !== undefined) roles.add(role);
        }
      }
    }
    return roles.size === 1 ? [...roles][0] : undefined;
  } catch {
    return undefined;
  }
}

function malformed(what: string, cause: unknown): HpkiError {
  return new HpkiError('ERR_TOKEN_MALFORMED', `certificate ${what} extension is malformed`, { cause });
}

/** Reads the holder information from an already decoded certificate. */
export function describeCertificate(cert: DecodedCertificate): HpkiCertificateInfo {
  const ext = (oid: string): Uint8Array | undefined => cert.extensions.get(oid)?.value;
  const decodeWith = <T>(oid: string, what: string, decode: (v: Uint8Array) => T): T | undefined => {
    const value = ext(oid);
    if (value === undefined) return undefined;
    try {
      return decode(value);
    } catch (err) {
      throw malformed(what, err);
    }
  };
  const keyUsage = decodeWith(EXT.keyUsage, 'keyUsage', decodeKeyUsage);
  const policies = decodeWith(EXT.certificatePolicies, 'certificatePolicies', decodeCertificatePolicies) ?? [];
  const basic = decodeWith(EXT.basicConstraints, 'basicConstraints', decodeBasicConstraints);
  const altNames = decodeWith(EXT.subjectAltName, 'subjectAltName', decodeSubjectAltDirectoryNames) ?? [];
  const sda = ext(EXT.subjectDirectoryAttributes);

  const info: HpkiCertificateInfo = {
    subjectName: lastAttribute(cert.subject, ATTR.commonName) ?? '',
    issuerName:
      lastAttribute(cert.issuer, ATTR.commonName) ?? lastAttribute(cert.issuer, ATTR.organizationalUnit) ?? '',
    serialNumberHex: cert.serialNumberHex,
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    keyUsage,
    policies,
    isCa: basic?.ca ?? false,
  };
  const nameJa = altNames.map((n) => lastAttribute(n, ATTR.commonName)).find((cn) => cn !== undefined);
  if (nameJa !== undefined) info.nameJa = nameJa;
  const holderId = lastAttribute(cert.subject, ATTR.serialNumber);
  if (holderId !== undefined) info.holderId = holderId;
  const hcRole = sda === undefined ? undefined : decodeHcRole(sda);
  if (hcRole !== undefined) info.hcRole = hcRole;
  return info;
}

/** Parses a DER certificate (≤ 16 KiB); bad DER → HpkiError('ERR_TOKEN_MALFORMED'). */
export function parseHpkiCertificate(der: Uint8Array): HpkiCertificateInfo {
  return describeCertificate(decodeCertificate(der));
}
