import { X509Certificate } from 'node:crypto';
import {
  booleanTrue,
  concatBytes,
  explicit,
  integer,
  namedBits,
  octetString,
  sequence,
  tlv,
  utf8String,
} from '../../protocol/der-writer.js';

/**
 * The files of one HPKI application (HPKI-CARD.md §1): EF.OD at short EF 11 pointing to the PKCS#15
 * directory files (ISO/IEC 7816-15), the end-entity certificate at 0016, CA certificates after it, the
 * private key at 000C. Contents that no public source shows for the real card (the directory entries,
 * the public key EF 000D) are minimal, plausible PKCS#15.
 */

export const FID = {
  AODF: 0x0001,
  PRKDF: 0x0002,
  PUKDF: 0x0003,
  CDF: 0x0004,
  DODF: 0x0005,
  PRIVATE_KEY: 0x000c,
  PUBLIC_KEY: 0x000d,
  EF_OD: 0x0011,
  CERTIFICATE: 0x0016,
  FIRST_CA_CERTIFICATE: 0x0017,
} as const;

/** VERIFY P2 of each AP's PIN: a specific (local) reference 08. */
export const PIN_REFERENCE = 0x88;

export interface ElementaryFile {
  fid: number;
  data: Uint8Array;
  /** READ BINARY allowed without conditions; false for the private key. */
  readable: boolean;
}

export type Purpose = 'auth' | 'sign';

export interface ApplicationContent {
  purpose: Purpose;
  certificate: Uint8Array;
  /** Nearest first; the last may be the root. */
  caCertificates: readonly Uint8Array[];
}

/** Short EF identifier of an EF, when it has one: the FIDs 0001–001E double as SFIs. */
export function sfiOf(fid: number): number | undefined {
  return fid >= 1 && fid <= 0x1e ? fid : undefined;
}

function fidBytes(fid: number): Uint8Array {
  return Uint8Array.of((fid >> 8) & 0xff, fid & 0xff);
}

/** Path ::= SEQUENCE { path OCTET STRING } with a FID relative to the application DF. */
const path = (fid: number): Uint8Array => sequence(octetString(fidBytes(fid)));

/** Real EFs are allocated with a fixed size and zero-filled after their content. */
function padded(content: Uint8Array, minimum: number): Uint8Array {
  const size = Math.max(minimum, Math.ceil(content.length / 256) * 256);
  const out = new Uint8Array(size);
  out.set(content);
  return out;
}

function objectDirectory(): Uint8Array {
  return concatBytes([
    explicit(8, path(FID.AODF)),
    explicit(0, path(FID.PRKDF)),
    explicit(1, path(FID.PUKDF)),
    explicit(4, path(FID.CDF)),
    explicit(7, path(FID.DODF)),
  ]);
}

const KEY_ID = Uint8Array.of(0x01);
const PIN_AUTH_ID = Uint8Array.of(0x01);

function authObjectDirectory(): Uint8Array {
  const pinAttributes = sequence(
    namedBits([1, 4]), // local, initialized
    tlv(0x0a, Uint8Array.of(0x02)), // pinType utf8: 4–16 ASCII characters
    integer(4),
    integer(16),
    integer(16),
    tlv(0x80, Uint8Array.of(0x00, PIN_REFERENCE)),
  );
  return sequence(sequence(utf8String('PIN')), sequence(octetString(PIN_AUTH_ID)), explicit(1, pinAttributes));
}

function privateKeyDirectory(purpose: Purpose): Uint8Array {
  // KeyUsageFlags: sign(2), verify(6), nonRepudiation(9); accessFlags: sensitive, alwaysSensitive, neverExtractable, local.
  const usage = purpose === 'auth' ? namedBits([2]) : namedBits([2, 9]);
  return sequence(
    sequence(utf8String('Private key of HPKI'), namedBits([0]), octetString(PIN_AUTH_ID)),
    sequence(octetString(KEY_ID), usage, namedBits([0, 2, 3, 4])),
    explicit(1, sequence(path(FID.PRIVATE_KEY), integer(2048))),
  );
}

function publicKeyDirectory(): Uint8Array {
  return sequence(
    sequence(utf8String('Public key of HPKI')),
    sequence(octetString(KEY_ID), namedBits([6])),
    explicit(1, sequence(path(FID.PUBLIC_KEY), integer(2048))),
  );
}

function certificateEntry(label: string, id: number, fid: number, authority: boolean): Uint8Array {
  const common = authority
    ? sequence(octetString(Uint8Array.of(id)), booleanTrue())
    : sequence(octetString(Uint8Array.of(id)));
  return sequence(sequence(utf8String(label)), common, explicit(1, sequence(path(fid))));
}

function isSelfIssued(der: Uint8Array): boolean {
  const cert = new X509Certificate(der);
  return cert.subject === cert.issuer;
}

function certificateDirectory(content: ApplicationContent): Uint8Array {
  const entries = [certificateEntry('HPKI END ENTITY CERTIFICATE', 1, FID.CERTIFICATE, false)];
  content.caCertificates.forEach((ca, i) => {
    const label = isSelfIssued(ca) ? 'HPKI ROOT CA CERTIFICATE' : 'HPKI CA CERTIFICATE';
    entries.push(certificateEntry(label, 2 + i, FID.FIRST_CA_CERTIFICATE + i, true));
  });
  return concatBytes(entries);
}

/** RSAPublicKey (PKCS#1) of the end-entity certificate, what the PuKDF points to. */
function rsaPublicKey(certificate: Uint8Array): Uint8Array {
  return new Uint8Array(new X509Certificate(certificate).publicKey.export({ type: 'pkcs1', format: 'der' }));
}

export function buildApplicationFiles(content: ApplicationContent): Map<number, ElementaryFile> {
  const files = new Map<number, ElementaryFile>();
  const add = (fid: number, data: Uint8Array, readable = true): void => {
    files.set(fid, { fid, data, readable });
  };
  add(FID.EF_OD, objectDirectory());
  add(FID.AODF, padded(authObjectDirectory(), 256));
  add(FID.PRKDF, padded(privateKeyDirectory(content.purpose), 256));
  add(FID.PUKDF, padded(publicKeyDirectory(), 256));
  add(FID.CDF, padded(certificateDirectory(content), 256));
  add(FID.DODF, padded(new Uint8Array(0), 256));
  add(FID.PRIVATE_KEY, new Uint8Array(0), false);
  add(FID.PUBLIC_KEY, rsaPublicKey(content.certificate));
  add(FID.CERTIFICATE, padded(content.certificate, 2048));
  content.caCertificates.forEach((ca, i) => add(FID.FIRST_CA_CERTIFICATE + i, padded(ca, 2048)));
  return files;
}
