import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateMockPki, type MockPki, writeCurrentCrls } from '../../native-host/mock-pki/index.js';
import { createCardFile, loadCardFile, readAuthKeyPair } from '../../native-host/virtual-card/index.js';
import { bytesToHex, decodeBase64Strict } from '../../protocol/base64.js';
import { sha256Bytes } from '../../protocol/signed-data.js';
import { CLI, type NativeClient, startNativeHost } from '../../scripts/dev/native-client.js';
import { exportToPkcs11Token, SOFTHSM2_MODULE } from '../../scripts/dev/softhsm-export.js';
import { createTokenVerifier } from '../../server/verify/index.js';

/**
 * `hpki-login host --backend pkcs11` over a real SoftHSM2 token that holds a virtual card's
 * authentication key and certificate (with the JAHIS labels of the vendor module), end to end: the
 * token it returns is accepted by the relying-party verifier.
 */

const ORIGIN = 'https://harenet.example.jp';
const CHALLENGE = 'Zm9yLXRoZS1wa2NzMTEtaG9zdC10ZXN0LW9ubHktMDEyMzQ1Njc4OQ';
let dir: string;
let pki: MockPki;
let host: NativeClient;
let certificateSha256: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hpki-host-pkcs11-'));
  pki = await loadOrCreateMockPki(join(dir, 'pki'));
  const cardFile = join(dir, 'doctor.card');
  await createCardFile(cardFile, {
    pki,
    name: 'Nichii Taro',
    nameJa: '日医　太郎',
    role: 'Medical Doctor',
    pin: '1234',
  });
  const exported = await exportToPkcs11Token(readAuthKeyPair(loadCardFile(cardFile)), {
    dir: join(dir, 'softhsm'),
    pin: '5678',
  });
  host = startNativeHost(process.execPath, [CLI, 'host', '--backend', 'pkcs11', '--module', SOFTHSM2_MODULE], {
    ...process.env,
    SOFTHSM2_CONF: exported.conf,
  });
}, 60_000);

afterAll(async () => {
  await host?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('hpki-login host --backend pkcs11 with SoftHSM2', () => {
  it('says hello as the pkcs11 backend', async () => {
    expect(await host.hello).toEqual({ hello: { protocol: 1, version: expect.any(String), backend: 'pkcs11' } });
  });

  it('reads the certificate and holder without a PIN', async () => {
    const answer = await host.request({ id: 1, command: 'get-certificate' });
    const result = answer.result as { certificate: string; holder: unknown; pinRetriesLeft: number };
    expect(result.holder).toEqual({ name: 'Nichii Taro', nameJa: '日医　太郎', role: 'Medical Doctor' });
    expect(result.pinRetriesLeft).toBe(15);
    certificateSha256 = bytesToHex(sha256Bytes(decodeBase64Strict(result.certificate)!));
  });

  it('refuses a wrong PIN and says it, without echoing it', async () => {
    const answer = await host.request({
      id: 2,
      command: 'authenticate',
      params: { origin: ORIGIN, challenge: CHALLENGE, pin: '0000', certificateSha256 },
    });
    expect(answer.error).toMatchObject({ code: 'ERR_HPKI_PIN_INCORRECT' });
    expect(JSON.stringify(answer)).not.toContain('0000');
  });

  it('signs with the right PIN, and the verifier accepts the token', async () => {
    const answer = await host.request({
      id: 3,
      command: 'authenticate',
      params: { origin: ORIGIN, challenge: CHALLENGE, pin: '5678', certificateSha256 },
    });
    const { token } = answer.result as { token: unknown };
    const crls = await writeCurrentCrls(pki);
    const verifier = createTokenVerifier({
      anchors: [pki.root.certificate],
      intermediates: [pki.authCa.certificate],
      crls: [crls.authCaCrl],
    });
    const login = await verifier.verify(token, {
      origin: ORIGIN,
      takeChallenge: async () => ({ status: 'ok', challenge: CHALLENGE }),
    });
    expect(login).toMatchObject({ hcRole: 'Medical Doctor', holder: { name: 'Nichii Taro', nameJa: '日医　太郎' } });
    await expect(
      verifier.verify(token, {
        origin: 'https://elsewhere.example.jp',
        takeChallenge: async () => ({ status: 'ok', challenge: CHALLENGE }),
      }),
    ).rejects.toMatchObject({ code: 'ERR_SIGNATURE_INVALID' });
  });
});
