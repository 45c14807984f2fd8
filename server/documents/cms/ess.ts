import { createHash } from 'node:crypto';
import { hexToBytes } from '../../../protocol/base64.js';
import {
  contentsOf,
  DER_TAG,
  DerError,
  expectTag,
  integerKey,
  oidOf,
  readChildren,
  readSingle,
} from '../../../protocol/der.js';
import * as w from '../../../protocol/der-writer.js';
import { HpkiError } from '../../../protocol/errors.js';
import { decodeGeneralNames } from '../../../protocol/general-names.js';
import { nameKey } from '../../../protocol/x500-name.js';
import type { ParsedCertificate } from '../../cert/index.js';
import { DIGEST_OIDS, digest, sameBytes } from './algorithms.js';

/**
 * ESS signing-certificate attributes (RFC 2634 §5.4, RFC 5035): which certificate the signer meant,
 * bound into the signed attributes. Written by hand with the project's DER reader and writer: the
 * @peculiar ASN.1 modules have no ESS schema, and the two structures are a few fields each.
 */

const SHA256 = DIGEST_OIDS['SHA-256'];

/** SigningCertificateV2 { certs: [ESSCertIDv2 { certHash: SHA-256(cert), issuerSerial }] } as DER. */
export function encodeSigningCertificateV2(certificate: ParsedCertificate): Uint8Array {
  const decoded = certificate.decoded;
  const issuerSerial = w.sequence(
    w.sequence(w.explicit(4, decoded.issuerDer)),
    w.tlv(DER_TAG.INTEGER, hexToBytes(decoded.serialKey)),
  );
  // hashAlgorithm DEFAULT id-sha256 is left out, as DER wants.
  const certId = w.sequence(w.octetString(digest('SHA-256', decoded.der)), issuerSerial);
  return w.sequence(w.sequence(certId));
}

function refuse(message: string): HpkiError {
  return new HpkiError('ERR_SIGNED_ATTRIBUTE_INVALID', message);
}

/** IssuerSerial { issuer GeneralNames, serialNumber }: must name the certificate's issuer and serial. */
function checkIssuerSerial(
  bytes: Uint8Array,
  certificate: ParsedCertificate,
  children: ReturnType<typeof readChildren>,
) {
  const [names, serial, extra] = children;
  if (extra !== undefined) throw new DerError('IssuerSerial: too many fields');
  const general = decodeGeneralNames(bytes.subarray(expectTag(names, DER_TAG.SEQUENCE, 'issuer').start, names!.end));
  const directory = general.find((n) => n.kind === 'directoryName');
  const serialValue = contentsOf(bytes, expectTag(serial, DER_TAG.INTEGER, 'serialNumber'));
  if (directory?.kind !== 'directoryName' || nameKey(directory.name) !== certificate.issuerKey) {
    throw refuse('the signing-certificate attribute names another issuer');
  }
  if (integerKey(serialValue) !== certificate.decoded.serialKey) {
    throw refuse('the signing-certificate attribute names another serial number');
  }
}

/**
 * Checks that the first ESSCertID(v2) of a SigningCertificate(V2) value names `certificate`: its
 * hash (SHA-1 in v1; SHA-256, -384 or -512 in v2), and its IssuerSerial when present.
 */
export function checkSigningCertificate(value: Uint8Array, certificate: ParsedCertificate, v2: boolean): void {
  try {
    const top = readSingle(value, DER_TAG.SEQUENCE);
    const certs = expectTag(readChildren(value, top, 2)[0], DER_TAG.SEQUENCE, 'certs');
    const first = expectTag(readChildren(value, certs, 64)[0], DER_TAG.SEQUENCE, 'ESSCertID');
    const fields = readChildren(value, first, 3);
    let algorithm = v2 ? SHA256 : 'sha1';
    if (v2 && fields[0]?.tag === DER_TAG.SEQUENCE) {
      const alg = fields.shift()!;
      algorithm = oidOf(value, readChildren(value, alg, 2)[0], 'hashAlgorithm');
    }
    const certHash = contentsOf(value, expectTag(fields[0], DER_TAG.OCTET_STRING, 'certHash'));
    if (!sameBytes(certHash, certificateHash(certificate.decoded.der, algorithm))) {
      throw refuse('the signing-certificate attribute names another certificate');
    }
    const issuerSerial = fields[1];
    if (issuerSerial !== undefined) {
      checkIssuerSerial(
        value,
        certificate,
        readChildren(value, expectTag(issuerSerial, DER_TAG.SEQUENCE, 'IssuerSerial'), 3),
      );
    }
  } catch (err) {
    if (err instanceof DerError) throw refuse(`the signing-certificate attribute is malformed: ${err.message}`);
    throw err;
  }
}

function certificateHash(der: Uint8Array, algorithm: string): Uint8Array {
  if (algorithm === 'sha1') return new Uint8Array(createHash('sha1').update(der).digest());
  for (const [name, oid] of Object.entries(DIGEST_OIDS) as [keyof typeof DIGEST_OIDS, string][]) {
    if (oid === algorithm) return digest(name, der);
  }
  throw refuse(`the signing-certificate attribute uses hash ${algorithm}`);
}
