import { bytesToHex, encodeBase64 } from '../../protocol/base64.js';
import { decodeCertificate } from '../../protocol/certificate-der.js';
import { describeCertificate } from '../../protocol/hpki-certificate.js';
import { issuerOrganization } from '../../protocol/issuer-organization.js';
import type { GetCertificateResult, Holder, PinApplication } from '../../protocol/messages.js';
import { sha256Bytes } from '../../protocol/signed-data.js';
import { ATTR, lastAttribute, nameToString } from '../../protocol/x500-name.js';
import type { CardBackend } from '../card/index.js';
import type { SeenCertificates } from './seen-certificates.js';
import { withCardToken } from './with-token.js';

/**
 * What the PIN window and the popup show about the card's certificate. The host reads it so the
 * extension parses no certificate (PROTOCOL.md §2).
 */
export function describeCardCertificate(
  der: Uint8Array,
): Pick<GetCertificateResult, 'holder' | 'certificateSha256' | 'issuer' | 'issuerOrganization' | 'notAfter'> {
  const cert = decodeCertificate(der);
  const info = describeCertificate(cert);
  const holder: Holder = { name: info.subjectName, role: info.hcRole ?? '' };
  if (info.nameJa !== undefined) holder.nameJa = info.nameJa;
  return {
    holder,
    certificateSha256: bytesToHex(sha256Bytes(der)),
    issuer: lastAttribute(cert.issuer, ATTR.commonName) ?? nameToString(cert.issuer),
    issuerOrganization: issuerOrganization(cert.issuer),
    notAfter: info.notAfter.toISOString(),
  };
}

/**
 * `get-certificate`: the authentication certificate, its holder and the PIN counter; with
 * `application: 'sign'`, `get-signing-certificate`: the same for the signing AP (PROTOCOL.md §11).
 * Needs no PIN.
 */
export async function runGetCertificate(
  backend: CardBackend,
  params: { reader?: string | undefined },
  seen?: SeenCertificates,
  application: PinApplication = 'auth',
): Promise<GetCertificateResult> {
  return withCardToken(
    backend,
    params.reader,
    async (token, reader) => {
      const certificates = await token.readCertificate();
      const { certificate, intermediates } = certificates;
      seen?.remember(certificates);
      const pin = await token.pinStatus();
      return {
        reader,
        cardType: token.cardType,
        certificate: encodeBase64(certificate),
        ...describeCardCertificate(certificate),
        intermediates: intermediates.map(encodeBase64),
        pinRetriesLeft: pin.retriesLeft,
        pinMaxRetries: pin.maxRetries,
      };
    },
    application,
  );
}
