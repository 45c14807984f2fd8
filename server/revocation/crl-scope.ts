import { nameKey } from '../../protocol/x500-name.js';
import type { ParsedCertificate } from '../cert/parsed-certificate.js';
import type { ParsedCrl } from './crl.js';

/**
 * Whether a CRL speaks about a certificate (RFC 5280 §6.3.3 b): same issuer, and when the CRL has
 * an IssuingDistributionPoint, a distribution point name shared with the certificate's CRLDP and
 * the right kind of certificate. This is what lets the MHLW ARLs (critical IDP with dirName
 * `…,CN=SARL` or `…,CN=RARL`, onlyContainsCACerts) apply to exactly the CA certificates whose
 * CRLDP names them.
 */
export function crlCoversCertificate(crl: ParsedCrl, cert: ParsedCertificate): boolean {
  if (crl.issuerKey !== cert.issuerKey) return false;
  const idp = crl.issuingDistributionPoint;
  if (idp === undefined) return true;
  const isCa = cert.basicConstraints?.ca === true;
  if (idp.onlyContainsCACerts && !isCa) return false;
  if (idp.onlyContainsUserCerts && isCa) return false;
  if (!idp.hasName) return true;
  const idpDirNames = new Set(idp.dirNames.map(nameKey));
  const idpUris = new Set(idp.uris);
  return cert.crlDistributionPoints.some(
    (dp) => !dp.partial && (dp.dirNames.some((n) => idpDirNames.has(nameKey(n))) || dp.uris.some((u) => idpUris.has(u))),
  );
}
