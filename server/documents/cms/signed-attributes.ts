import { Attribute } from '@peculiar/asn1-cms';
import { AsnConvert } from '@peculiar/asn1-schema';
import * as w from '../../../protocol/der-writer.js';
import type { HashAlgorithm } from '../../../protocol/digest-info.js';
import type { ParsedCertificate } from '../../cert/index.js';
import { encodeSigningCertificateV2 } from './ess.js';
import { CMS_OID } from './oids.js';

/**
 * The signed attributes of a CAdES-BES signature (ETSI EN 319 122-1 §5.1–5.2.2): contentType,
 * messageDigest, signingCertificateV2 and, unless the caller leaves it out (PAdES B-B wants the
 * time in the PDF instead), signingTime; encoded as the DER SET OF the signature covers, its
 * elements sorted (X.690 §11.6).
 */

export interface SignedAttributeChoice {
  contentType: string;
  hashAlgorithm: HashAlgorithm;
  messageDigest: Uint8Array;
  certificate: ParsedCertificate;
  /** The claimed signing time; null leaves the attribute out. */
  signingTime: Date | null;
}

function attribute(type: string, value: Uint8Array): Uint8Array {
  const copy = value.slice();
  return new Uint8Array(AsnConvert.serialize(new Attribute({ attrType: type, attrValues: [copy.buffer] })));
}

/** X.690 §11.6: SET OF components in ascending order of their encodings, a shorter one padded with zeros. */
export function compareDer(a: Uint8Array, b: Uint8Array): number {
  const length = Math.max(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** The DER SET OF Attribute (tag 0x31): the bytes the signature covers. */
export function encodeSignedAttributes(choice: SignedAttributeChoice): Uint8Array {
  const attributes = [
    attribute(CMS_OID.contentType, w.objectIdentifier(choice.contentType)),
    attribute(CMS_OID.messageDigest, w.octetString(choice.messageDigest)),
    attribute(CMS_OID.signingCertificateV2, encodeSigningCertificateV2(choice.certificate)),
    ...(choice.signingTime === null ? [] : [attribute(CMS_OID.signingTime, w.time(choice.signingTime))]),
  ];
  return w.set(...attributes.sort(compareDer));
}
