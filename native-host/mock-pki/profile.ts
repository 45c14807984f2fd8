import { type Bytes, explicit, objectIdentifier, sequence, set, tlv, utf8String } from '../../protocol/der-writer.js';
import type { JsonNameParams } from './x509.js';

/**
 * The HPKI certificate profile as the mock PKI follows it (HPKI-CARD.md §6): names shaped like the
 * real MHLW root and issuing CAs, the policy OIDs, and the hcRole encoding byte for byte.
 */

export const OID = {
  countryName: '2.5.4.6',
  organizationName: '2.5.4.10',
  organizationalUnitName: '2.5.4.11',
  commonName: '2.5.4.3',
  serialNumber: '2.5.4.5',
  subjectDirectoryAttributes: '2.5.29.9',
  subjectAltName: '2.5.29.17',
  crlNumber: '2.5.29.20',
  /** ISO 17090 hcRole attribute (1.0.17090.0.1). */
  hcRole: '1.0.17090.0.1',
  /** The HPKI role table that codes the hcRole value. */
  hpkiRoleTable: '1.2.392.100495.1.6.1.1',
} as const;

export const POLICY = {
  signCa: '1.2.392.100495.1.5.1.1.3.1',
  authCa: '1.2.392.100495.1.5.1.2.3.1',
  signEndEntity: '1.2.392.100495.1.5.1.1.0.1',
  authEndEntity: '1.2.392.100495.1.5.1.2.0.1',
} as const;

/** Real HPKI CRLs are issued daily and valid for four days (HPKI-CARD.md §7). */
export const CRL_VALIDITY_MS = 4 * 24 * 60 * 60 * 1000;

/** Where a dir's CRLs claim to be published, unless the caller names a real place. */
export const DEFAULT_CRL_BASE_URL = 'http://crl.mock-hpki.invalid';

type NameEntry = JsonNameParams[number];

const printable = (oid: string, value: string): NameEntry => ({ [oid]: [{ printableString: value }] });
const utf8 = (oid: string, value: string): NameEntry => ({ [oid]: [{ utf8String: value }] });

/** Like the real `OU=MHLW HPKI Root CA V2`: no CN, C as PrintableString, the rest UTF8String. */
export const ROOT_NAME: JsonNameParams = [
  printable(OID.countryName, 'JP'),
  utf8(OID.organizationName, 'Mock Ministry of Health, Labour and Welfare'),
  utf8(OID.organizationalUnitName, 'Mock Director-General for Policy Planning and Evaluation'),
  utf8(OID.organizationalUnitName, 'Mock HPKI Root CA V2'),
];

function issuingCaName(commonName: string): JsonNameParams {
  return [
    printable(OID.countryName, 'JP'),
    utf8(OID.organizationName, 'Mock Medical Association'),
    utf8(OID.organizationalUnitName, 'Mock Certificate Center'),
    utf8(OID.commonName, commonName),
  ];
}

export const AUTH_CA_NAME = issuingCaName('HPKI-01-MockAuthCA-forAuthentication-forIndividual');
export const SIGN_CA_NAME = issuingCaName('HPKI-01-MockSignCA-forNonRepudiation');

/** `C=JP, CN=<romaji>, serialNumber=<id>`, encoded like the MEDIS end-entity certificates. */
export function endEntityName(name: string, id: string): JsonNameParams {
  return [printable(OID.countryName, 'JP'), utf8(OID.commonName, name), printable(OID.serialNumber, id)];
}

/**
 * The extension value of subjectDirectoryAttributes carrying one hcRole:
 * `SEQUENCE OF Attribute { hcRole, SET { SET OF HCActor } }` with
 * `HCActor ::= SEQUENCE { codedData [0] EXPLICIT SET { [0] EXPLICIT OID, [2] EXPLICIT UTF8String } }`.
 */
export function hcRoleExtensionValue(role: string): Bytes {
  const actor = sequence(
    explicit(0, set(explicit(0, objectIdentifier(OID.hpkiRoleTable)), explicit(2, utf8String(role)))),
  );
  return sequence(sequence(objectIdentifier(OID.hcRole), set(set(actor))));
}

/**
 * SAN with one dirName holding the Japanese name, like `medis-test-ee-sign-kagurazaka.pem`
 * (`C=JP, [O=…], CN=<漢字氏名>, serialNumber=<id>`, CN as UTF8String).
 */
export function japaneseNameAltName(nameJa: string, id: string): Bytes {
  const attribute = (oid: string, value: Uint8Array): Bytes => set(sequence(objectIdentifier(oid), value));
  const ascii = (text: string): Bytes => tlv(0x13, new TextEncoder().encode(text));
  const name = sequence(
    attribute(OID.countryName, ascii('JP')),
    attribute(OID.commonName, utf8String(nameJa)),
    attribute(OID.serialNumber, ascii(id)),
  );
  // GeneralNames ::= SEQUENCE OF GeneralName; directoryName [4] is EXPLICIT because Name is a CHOICE.
  return sequence(explicit(4, name));
}

/** PrintableString's alphabet (X.680 §41.4): what the serialNumber attribute may hold. */
export const PRINTABLE_STRING = /^[A-Za-z0-9 '()+,\-./:=?]+$/;
