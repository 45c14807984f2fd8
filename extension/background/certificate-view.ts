import { bytesToHex, decodeBase64Strict } from '../../protocol/base64.js';
import { HpkiError } from '../../protocol/errors.js';
import { parseHpkiCertificate } from '../../protocol/hpki-certificate.js';
import { sha256Bytes } from '../../protocol/signed-data.js';

/** What the PIN window and the popup show about the card's certificate, beside the host's `holder`. */
export interface CertificateView {
  /** Lowercase hex SHA-256 of the DER: sent back with `authenticate` so the host can tell a swapped card. */
  sha256: string;
  issuerName: string | null;
  notAfter: string | null;
}

export function viewCertificate(base64Der: string): CertificateView {
  const der = decodeBase64Strict(base64Der);
  if (der === undefined) throw new HpkiError('ERR_HPKI_INTERNAL', 'the native host sent a certificate that is not base64');
  const sha256 = bytesToHex(sha256Bytes(der));
  try {
    const info = parseHpkiCertificate(der);
    return { sha256, issuerName: info.issuerName, notAfter: info.notAfter.toISOString() };
  } catch {
    // Display only: the site's verifier is what judges the certificate.
    return { sha256, issuerName: null, notAfter: null };
  }
}
