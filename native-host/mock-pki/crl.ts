import { integer } from '../../protocol/der-writer.js';
import type { Issuer } from './certificates.js';
import { RSA_SHA256 } from './keys.js';
import { OID } from './profile.js';
import {
  AuthorityKeyIdentifierExtension,
  Extension,
  SubjectKeyIdentifierExtension,
  X509CrlGenerator,
  X509CrlReason,
} from './x509.js';

/**
 * A CRL shaped like the real HPKI ones (HPKI-CARD.md §7): v2, AKI and CRL number, every entry with
 * reason keyCompromise. The CRL number follows thisUpdate (seconds), so later lists get larger
 * numbers without any shared counter.
 */
export async function createCrl(
  issuer: Issuer,
  thisUpdate: Date,
  nextUpdate: Date,
  revoked: readonly { serialNumberHex: string; date: Date }[],
): Promise<Uint8Array> {
  if (nextUpdate.getTime() <= thisUpdate.getTime()) throw new RangeError('nextUpdate must come after thisUpdate');
  const ski = issuer.certificate.getExtension(SubjectKeyIdentifierExtension);
  if (ski === null) throw new Error('CA certificate has no subject key identifier');
  const crl = await X509CrlGenerator.create({
    issuer: issuer.certificate.subjectName,
    thisUpdate,
    nextUpdate,
    signingAlgorithm: RSA_SHA256,
    signingKey: issuer.signingKey,
    extensions: [
      new AuthorityKeyIdentifierExtension(ski.keyId),
      new Extension(OID.crlNumber, false, integer(Math.floor(thisUpdate.getTime() / 1000))),
    ],
    entries: revoked.map((r) => ({
      serialNumber: r.serialNumberHex,
      revocationDate: r.date,
      reason: X509CrlReason.keyCompromise,
    })),
  });
  return new Uint8Array(crl.rawData);
}
