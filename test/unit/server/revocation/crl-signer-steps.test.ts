import { beforeAll, describe, expect, it } from 'vitest';
import type { TestPki } from '../../../../scripts/dev/test-pki.js';
import {
  createTestPki,
  ext,
  generateTestKey,
  makeCertificate,
  makeCrl,
  OID,
} from '../../../../scripts/dev/test-pki.js';
import type { ParsedCertificate } from '../../../../server/cert/parsed-certificate.js';
import { parseCertificate } from '../../../../server/cert/parsed-certificate.js';
import { createTrustStore } from '../../../../server/cert/trust-store.js';
import type { CrlSignatureCache } from '../../../../server/revocation/crl-issuer.js';
import { createCrlSignatureCache } from '../../../../server/revocation/crl-issuer.js';
import { createCrlStore } from '../../../../server/revocation/crl-store.js';
import type { CrlProvider, PathRevocation } from '../../../../server/revocation/revocation-check.js';
import { checkPathRevocation } from '../../../../server/revocation/revocation-check.js';

/**
 * The CRL signer search runs as steps (crl-issuer.ts findCrlSigner): a CRL signed by a separate
 * cRLSign certificate of the CA, outside the validated path, has that signer's own path checked for
 * revocation, and with every CRL in hand the whole answer still comes back at once, without a
 * promise. With CRLs that must be waited for, the same answer comes through a promise. And what a
 * CRL says of a certificate is read once, however many distribution points bring it in scope.
 */

const DAY = 86_400_000;
const SIGNER_SERIAL = 0x5151;
let pki: TestPki;
let path: ParsedCertificate[];
let signerDer: Uint8Array;
let caCrl: Uint8Array;

beforeAll(() => {
  pki = createTestPki();
  const crlKey = generateTestKey();
  signerDer = makeCertificate({
    serial: SIGNER_SERIAL,
    issuer: pki.root.name,
    subject: pki.authCa.name,
    notBefore: new Date(pki.now.getTime() - DAY),
    notAfter: new Date(pki.now.getTime() + DAY),
    subjectKey: crlKey,
    signingKey: pki.root.key,
    extensions: [
      ext.keyUsage([6]),
      ext.ski(crlKey.keyId),
      ext.aki(pki.root.key.keyId),
      ext.policies([OID.authCaPolicy]),
    ],
  });
  caCrl = makeCrl({
    issuer: pki.authCa.name,
    signingKey: crlKey,
    thisUpdate: new Date(pki.now.getTime() - DAY),
    nextUpdate: new Date(pki.now.getTime() + 3 * DAY),
    extensions: [ext.aki(crlKey.keyId)],
  });
  path = [pki.issueEe().certificate, pki.authCa.certificate, pki.root.certificate].map((d) => parseCertificate(d));
});

function rootCrl(revokeSigner: boolean): Uint8Array {
  return makeCrl({
    issuer: pki.root.name,
    signingKey: pki.root.key,
    thisUpdate: new Date(pki.now.getTime() - DAY),
    nextUpdate: new Date(pki.now.getTime() + 3 * DAY),
    revoked: revokeSigner ? [{ serial: SIGNER_SERIAL, date: pki.now, reason: 1 }] : [],
  });
}

function check(crls: Uint8Array[], wait: boolean): PathRevocation | Promise<PathRevocation> {
  const crlStore = createCrlStore(crls);
  const provider: CrlProvider = {
    crlsFor: (cert) => (wait ? Promise.resolve(crlStore.relevantTo(cert)) : crlStore.relevantTo(cert)),
  };
  const store = createTrustStore({
    anchors: [pki.root.certificate],
    intermediates: [pki.authCa.certificate, signerDer],
  });
  return checkPathRevocation(path, provider, pki.now, { store });
}

describe('a CRL signer outside the path, as steps', () => {
  it('is found and its own path checked without a promise when every CRL is in hand', () => {
    const result = check([caCrl, rootCrl(false)], false);
    expect(result).not.toBeInstanceOf(Promise);
    expect((result as PathRevocation).status).toBe('good');
    expect((result as PathRevocation).certificates[0]?.status).toBe('good');
  });

  it('makes the end entity unknown, still without a promise, when the signer itself is revoked', () => {
    const result = check([caCrl, rootCrl(true)], false);
    expect(result).not.toBeInstanceOf(Promise);
    expect((result as PathRevocation).status).toBe('unknown');
    expect((result as PathRevocation).certificates[0]?.detail).toMatch(/the CRL signer .* is revoked/);
  });

  it('gives the same answers through a promise when the CRLs must be waited for', async () => {
    const good = check([caCrl, rootCrl(false)], true);
    expect(good).toBeInstanceOf(Promise);
    expect((await good).status).toBe('good');
    const revoked = await check([caCrl, rootCrl(true)], true);
    expect(revoked.status).toBe('unknown');
    expect(revoked.certificates[0]?.detail).toMatch(/the CRL signer .* is revoked/);
  });
});

describe('a CRL in scope through several distribution points', () => {
  it('is read once: its signature asked about once for the end entity, not once per point', () => {
    const crl = makeCrl({
      issuer: pki.authCa.name,
      signingKey: pki.authCa.key,
      thisUpdate: new Date(pki.now.getTime() - DAY),
      nextUpdate: new Date(pki.now.getTime() + 3 * DAY),
    });
    const crlStore = createCrlStore([crl]);
    const inner = createCrlSignatureCache();
    let asked = 0;
    const signatures: CrlSignatureCache = {
      verify(...args) {
        asked++;
        return inner.verify(...args);
      },
    };
    const store = createTrustStore({ anchors: [pki.root.certificate], intermediates: [pki.authCa.certificate] });
    // Its own point (a URI) and its issuer's (for CRLs named in none) both bring the CRL in scope.
    const ee = parseCertificate(pki.issueEe({ crlUri: 'http://crl.example.jp/auth.crl' }).certificate);
    expect(ee.crlDistributionPoints.length).toBe(1);
    const withPoint = [ee, path[1]!, path[2]!];
    const result = checkPathRevocation(withPoint, { crlsFor: (cert) => crlStore.relevantTo(cert) }, pki.now, {
      store,
      signatures,
    });
    expect((result as PathRevocation).status).toBe('good');
    expect(asked).toBe(1);
  });
});
