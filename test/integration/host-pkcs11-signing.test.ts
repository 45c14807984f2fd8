import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateMockPki } from '../../native-host/mock-pki/index.js';
import { createCardFile, loadCardFile, readKeyPair } from '../../native-host/virtual-card/index.js';
import { CLI, type NativeClient, startNativeHost } from '../../scripts/dev/native-client.js';
import { exportToPkcs11Token, SOFTHSM2_MODULE } from '../../scripts/dev/softhsm-export.js';
import {
  type Certificate,
  certificateOf,
  keyUsageOf,
  request,
  SIGN_ORIGIN,
  signAllHashes,
  signParams,
} from '../helpers/signing-checks.js';

/**
 * Issue 22 on PKCS#11: a virtual card's two applications exported into two SoftHSM2 tokens (the
 * vendor ships one module per application; one module with two tokens is the same to the host), with
 * the JAHIS labels on both and a PIN each. The host finds the signing token by its certificate's
 * signing policy and the authentication token by the other.
 */

const CHALLENGE = 'Zm9yLXRoZS1wa2NzMTEtc2lnbmluZy10ZXN0LW9ubHktMDEyMzQ1Njc4OQ';
const LOGIN_PIN = '1111';
const SIGN_PIN = '2222';
let dir: string;
let host: NativeClient;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hpki-pkcs11-signing-'));
  const pki = await loadOrCreateMockPki(join(dir, 'pki'));
  const cardFile = join(dir, 'doctor.card');
  await createCardFile(cardFile, { pki, name: 'Nichii Taro', role: 'Medical Doctor', pin: '1234' });
  const file = loadCardFile(cardFile);
  const softhsm = join(dir, 'softhsm');
  const exported = await exportToPkcs11Token(readKeyPair(file, 'auth'), { dir: softhsm, pin: LOGIN_PIN });
  await exportToPkcs11Token(readKeyPair(file, 'sign'), { dir: softhsm, pin: SIGN_PIN, label: 'HPKI Sign Application' });
  host = startNativeHost(process.execPath, [CLI, 'host', '--backend', 'pkcs11', '--module', SOFTHSM2_MODULE], {
    ...process.env,
    SOFTHSM2_CONF: exported.conf,
  });
  await host.hello;
}, 60_000);

afterAll(async () => {
  await host?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('document signing through PKCS#11 (SoftHSM2)', () => {
  let signing: Certificate;
  let auth: Certificate;

  it('get-signing-certificate gives the nonRepudiation certificate of the signing token', async () => {
    signing = await certificateOf(host, 'get-signing-certificate');
    auth = await certificateOf(host, 'get-certificate');
    expect(keyUsageOf(signing.certificate)).toEqual({ nonRepudiation: true, digitalSignature: false });
    expect(keyUsageOf(auth.certificate).digitalSignature).toBe(true);
    expect(signing.pinRetriesLeft).toBe(15);
    // Both tokens are HPKI cards to `status`.
    const { readers } = (await request(host, 'status')).result as { readers: { cardType: string | null }[] };
    expect(readers.filter((r) => r.cardType === 'hpki')).toHaveLength(2);
  });

  it('sign verifies over DigestInfo(hash) for SHA-256, SHA-384 and SHA-512', async () => {
    await signAllHashes(host, signing, SIGN_PIN);
  });

  it('a wrong signing PIN is refused, and the login PIN does not sign', async () => {
    const wrong = await request(host, 'sign', signParams(signing, LOGIN_PIN));
    expect(wrong.error).toMatchObject({ code: 'ERR_HPKI_PIN_INCORRECT', retriesLeft: expect.any(Number) });
    expect(JSON.stringify(wrong)).not.toContain(LOGIN_PIN);
    expect((await certificateOf(host, 'get-certificate')).pinRetriesLeft).toBe(15);
  });

  it('the keys never cross: sign with the authentication certificate, or a login with the signing one', async () => {
    const crossSign = await request(host, 'sign', {
      ...signParams(signing, SIGN_PIN),
      certificateSha256: auth.certificateSha256,
    });
    expect(crossSign.error).toMatchObject({ code: 'ERR_HPKI_CARD_CHANGED' });
    const crossLogin = await request(host, 'authenticate', {
      origin: SIGN_ORIGIN,
      challenge: CHALLENGE,
      pin: SIGN_PIN,
      certificateSha256: signing.certificateSha256,
    });
    expect(crossLogin.error).toMatchObject({ code: 'ERR_HPKI_CARD_CHANGED' });
  });

  it('authenticate still works after signing', async () => {
    const login = await request(host, 'authenticate', {
      origin: SIGN_ORIGIN,
      challenge: CHALLENGE,
      pin: LOGIN_PIN,
      certificateSha256: auth.certificateSha256,
    });
    expect(login.error).toBeUndefined();
  });

  it.each([
    ['auth', LOGIN_PIN, '3333'],
    ['sign', SIGN_PIN, '4444'],
  ] as const)(
    'change-pin %s: wrong current PIN, a 3-character new PIN, then a change',
    async (application, current, next) => {
      const wrong = await request(host, 'change-pin', { application, pin: '9999', newPin: next });
      expect(wrong.error).toMatchObject({ code: 'ERR_HPKI_PIN_INCORRECT', retriesLeft: expect.any(Number) });
      const short = await request(host, 'change-pin', { application, pin: current, newPin: '123' });
      expect(short.error).toMatchObject({ code: 'ERR_HPKI_INVALID_ARGUMENT' });
      expect(await request(host, 'change-pin', { application, pin: current, newPin: next })).toMatchObject({
        result: {},
      });
      const certificate = application === 'auth' ? auth : signing;
      const use = (pin: string) =>
        application === 'auth'
          ? request(host, 'authenticate', {
              origin: SIGN_ORIGIN,
              challenge: CHALLENGE,
              pin,
              certificateSha256: certificate.certificateSha256,
            })
          : request(host, 'sign', signParams(certificate, pin));
      expect((await use(current)).error).toMatchObject({ code: 'ERR_HPKI_PIN_INCORRECT' });
      expect((await use(next)).error).toBeUndefined();
    },
  );
});
