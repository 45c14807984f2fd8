import { createPublicKey, sign, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createTestPki, generateTestKey, withPublicExponent } from '../../../../scripts/dev/test-pki.js';
import { parseCertificate } from '../../../../server/cert/parsed-certificate.js';

/**
 * The subject key is built from the modulus and exponent the DER reader found (a JWK) rather than
 * by OpenSSL's SPKI decoder: it must be exactly the key the SPKI holds.
 */
describe('the subject key of a parsed certificate', () => {
  const pki = createTestPki();

  it('equals the key OpenSSL decodes from the SPKI, for 2048- and 4096-bit keys', () => {
    for (const key of [pki.eeKey, generateTestKey(4096)]) {
      const cert = parseCertificate(pki.issueEe({ key }).certificate);
      const fromSpki = createPublicKey({
        key: Buffer.from(cert.decoded.subjectPublicKeyInfo),
        format: 'der',
        type: 'spki',
      });
      expect(cert.publicKey?.equals(fromSpki)).toBe(true);
      expect(cert.verificationKey()).toBe(cert.publicKey);
      const data = Buffer.from('signed content');
      expect(verify('sha256', data, cert.verificationKey()!, sign('sha256', data, key.privateKey))).toBe(true);
      expect(
        verify('sha256', Buffer.from('other content'), cert.verificationKey()!, sign('sha256', data, key.privateKey)),
      ).toBe(false);
    }
  });

  it('keeps an unusual exponent exactly (3 and 2^64 + 1)', () => {
    for (const e of [3n, (1n << 64n) + 1n]) {
      const cert = parseCertificate(pki.issueEe({ key: withPublicExponent(pki.eeKey, e) }).certificate);
      expect(cert.publicKey?.asymmetricKeyDetails?.publicExponent).toBe(e);
      expect(cert.publicKey?.asymmetricKeyDetails?.modulusLength).toBe(2048);
    }
  });
});
