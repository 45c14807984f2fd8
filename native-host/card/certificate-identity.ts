import { DerError, readElement } from '../../protocol/der.js';

/**
 * How many leading bytes of a certificate's DER hold its issuer and serial number (RFC 5280 §4.1.2.2:
 * the pair names one certificate): the outer and TBS headers, the version, the serial number, the
 * signature algorithm and the issuer Name. Comparing these bytes on the card with the certificate the
 * user was shown tells a swapped card in one short READ BINARY (the server's signature check catches
 * anything subtler). Undefined when the DER does not have that shape.
 */
export function issuerAndSerialLength(der: Uint8Array): number | undefined {
  try {
    const certificate = readElement(der, 0);
    const tbs = readElement(der, certificate.valueStart, certificate.end);
    let field = readElement(der, tbs.valueStart, tbs.end);
    if (field.tag === 0xa0) field = readElement(der, field.end, tbs.end); // [0] version
    if (field.tag !== 0x02) return undefined; // serialNumber
    const algorithm = readElement(der, field.end, tbs.end);
    const issuer = readElement(der, algorithm.end, tbs.end);
    if (certificate.tag !== 0x30 || tbs.tag !== 0x30 || algorithm.tag !== 0x30 || issuer.tag !== 0x30) return undefined;
    return issuer.end;
  } catch (err) {
    if (err instanceof DerError) return undefined;
    throw err;
  }
}
