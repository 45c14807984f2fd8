import { verify, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesToHex, decodeBase64Strict } from '../../protocol/base64.js';
import { buildSignedContent, sha256Bytes } from '../../protocol/signed-data.js';
import { decodeToken } from '../../protocol/token.js';
import { startCliHost } from '../../scripts/dev/native-client.js';
import { type PcscdHandle, startPcscd, VPCD_READER } from '../../scripts/dev/pcscd.js';
import {
  createCardFile,
  type ServedCard,
  serveCard,
  waitForCardPresence,
} from '../../scripts/dev/virtual-card-process.js';

/**
 * The native host over a real pcscd with the vpcd reader and the virtual card served as a vpcd
 * client, exactly as `hpki-login host --backend pcsc` runs under a browser.
 */

const ORIGIN = 'https://harenet.example.jp';
const CHALLENGE = 'q1Yk3hV0b7mX9sQ2pL4nR8tW6zA5cE1dF0gH3jK7mN0';

let pcscd: PcscdHandle;
let dir: string;
let pki: string;

beforeAll(async () => {
  pcscd = await startPcscd();
  dir = mkdtempSync(join(tmpdir(), 'hpki-host-pcsc-'));
  pki = join(dir, 'pki');
}, 120_000);

afterAll(async () => {
  await pcscd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function withCard<T>(
  name: string,
  serveOptions: string[],
  use: (card: ServedCard, file: string) => Promise<T>,
): Promise<T> {
  const file = join(dir, `${name}.card`);
  await createCardFile(file, pki, ['--pin', '1234']);
  const card = await serveCard(file, serveOptions);
  try {
    await waitForCardPresence(VPCD_READER, true);
    return await use(card, file);
  } finally {
    await card.stop();
    await waitForCardPresence(VPCD_READER, false);
  }
}

interface CertificateAnswer {
  certificate: string;
  intermediates: string[];
  pinRetriesLeft: number;
  pinMaxRetries: number;
  holder: { name: string; nameJa?: string; role: string };
  reader: string;
  cardType: string;
}

function authenticateParams(cert: CertificateAnswer, pin: string) {
  return {
    origin: ORIGIN,
    challenge: CHALLENGE,
    pin,
    certificateSha256: bytesToHex(sha256Bytes(decodeBase64Strict(cert.certificate)!)),
  };
}

describe('hpki-login host --backend pcsc, through pcscd + vpcd', () => {
  it('status → get-certificate → wrong PIN (14 left) → right PIN → a token that verifies', async () => {
    await withCard('doctor', [], async () => {
      const host = startCliHost(['--backend', 'pcsc']);
      expect(await host.hello).toEqual({ hello: { protocol: 1, version: expect.any(String), backend: 'pcsc' } });

      const status = await host.request({ id: 1, command: 'status' });
      expect(status.result).toEqual({
        readers: expect.arrayContaining([{ name: VPCD_READER, cardPresent: true, cardType: null }]),
      });

      const got = await host.request({ id: 2, command: 'get-certificate' });
      const cert = got.result as CertificateAnswer;
      expect(cert).toMatchObject({ reader: VPCD_READER, cardType: 'hpki', pinRetriesLeft: 15, pinMaxRetries: 15 });
      expect(cert.holder).toEqual({ name: 'Nichii Taro', nameJa: '日医　太郎', role: 'Medical Doctor' });
      expect(cert.intermediates.length).toBeGreaterThanOrEqual(1);

      const wrong = await host.request({ id: 3, command: 'authenticate', params: authenticateParams(cert, '9999') });
      expect(wrong).toEqual({
        id: 3,
        error: { code: 'ERR_HPKI_PIN_INCORRECT', message: expect.any(String), retriesLeft: 14 },
      });
      expect(JSON.stringify(wrong)).not.toContain('9999');

      const again = await host.request({ id: 4, command: 'get-certificate' });
      expect((again.result as CertificateAnswer).pinRetriesLeft).toBe(14);

      const ok = await host.request({ id: 5, command: 'authenticate', params: authenticateParams(cert, '1234') });
      const token = decodeToken((ok.result as { token: unknown }).token);
      expect(bytesToHex(token.certificate)).toBe(bytesToHex(decodeBase64Strict(cert.certificate)!));
      const content = buildSignedContent({ origin: ORIGIN, challenge: CHALLENGE, certificate: token.certificate });
      expect(verify('sha256', content, new X509Certificate(token.certificate).publicKey, token.signature)).toBe(true);
      const forOther = buildSignedContent({
        origin: 'https://other.example.jp',
        challenge: CHALLENGE,
        certificate: token.certificate,
      });
      expect(verify('sha256', forOther, new X509Certificate(token.certificate).publicKey, token.signature)).toBe(false);

      const after = await host.request({ id: 6, command: 'get-certificate' });
      expect((after.result as CertificateAnswer).pinRetriesLeft).toBe(15);
      expect(host.stderr()).not.toContain('1234');
      expect(await host.close()).toBe(0);
    });
  });

  it('15 wrong PINs block the card, and it stays blocked when served again', { timeout: 120_000 }, async () => {
    const file = join(dir, 'blocked.card');
    await createCardFile(file, pki, ['--pin', '1234']);
    let card = await serveCard(file);
    await waitForCardPresence(VPCD_READER, true);
    const host = startCliHost(['--backend', 'pcsc']);
    const cert = (await host.request({ id: 'c', command: 'get-certificate' })).result as CertificateAnswer;
    for (let i = 1; i <= 15; i++) {
      const answer = await host.request({ id: i, command: 'authenticate', params: authenticateParams(cert, '0000') });
      const error = answer.error as { code: string; retriesLeft?: number };
      if (i < 15) expect(error).toMatchObject({ code: 'ERR_HPKI_PIN_INCORRECT', retriesLeft: 15 - i });
      else expect(error).toMatchObject({ code: 'ERR_HPKI_PIN_BLOCKED' });
    }
    const right = await host.request({ id: 'r', command: 'authenticate', params: authenticateParams(cert, '1234') });
    expect(right.error).toMatchObject({ code: 'ERR_HPKI_PIN_BLOCKED' });
    await host.close();

    await card.stop();
    await waitForCardPresence(VPCD_READER, false);
    card = await serveCard(file);
    await waitForCardPresence(VPCD_READER, true);
    const again = startCliHost(['--backend', 'pcsc']);
    expect(
      ((await again.request({ id: 1, command: 'get-certificate' })).result as CertificateAnswer).pinRetriesLeft,
    ).toBe(0);
    const still = await again.request({ id: 2, command: 'authenticate', params: authenticateParams(cert, '1234') });
    expect(still.error).toMatchObject({ code: 'ERR_HPKI_PIN_BLOCKED' });
    await again.close();
    await card.stop();
    await waitForCardPresence(VPCD_READER, false);
  });

  it('a card pulled in the middle of authenticate gives ERR_HPKI_CARD_REMOVED', async () => {
    const file = join(dir, 'pulled.card');
    await createCardFile(file, pki, ['--pin', '1234']);
    const card = await serveCard(file, ['--sign-delay-ms', '3000']);
    await waitForCardPresence(VPCD_READER, true);
    const host = startCliHost(['--backend', 'pcsc']);
    const cert = (await host.request({ id: 1, command: 'get-certificate' })).result as CertificateAnswer;
    const pending = host.request({ id: 2, command: 'authenticate', params: authenticateParams(cert, '1234') });
    await new Promise((r) => setTimeout(r, 1_200));
    await card.kill();
    expect((await pending).error).toMatchObject({ code: 'ERR_HPKI_CARD_REMOVED' });
    expect(await host.close()).toBe(0);
    await waitForCardPresence(VPCD_READER, false);
  });

  it('two hosts asking at once never interleave: both tokens are correct', async () => {
    await withCard('shared', ['--sign-delay-ms', '800'], async () => {
      const a = startCliHost(['--backend', 'pcsc']);
      const b = startCliHost(['--backend', 'pcsc']);
      const cert = (await a.request({ id: 0, command: 'get-certificate' })).result as CertificateAnswer;
      const [ra, rb] = await Promise.all([
        a.request({ id: 'a', command: 'authenticate', params: authenticateParams(cert, '1234') }),
        b.request({ id: 'b', command: 'authenticate', params: authenticateParams(cert, '1234') }),
      ]);
      for (const answer of [ra, rb]) {
        if ('error' in answer) {
          expect(answer.error).toMatchObject({ code: 'ERR_HPKI_BUSY' });
          continue;
        }
        const token = decodeToken((answer.result as { token: unknown }).token);
        const content = buildSignedContent({ origin: ORIGIN, challenge: CHALLENGE, certificate: token.certificate });
        expect(verify('sha256', content, new X509Certificate(token.certificate).publicKey, token.signature)).toBe(true);
      }
      expect([ra, rb].filter((r) => 'result' in r).length).toBeGreaterThanOrEqual(1);
      await Promise.all([a.close(), b.close()]);
    });
  });
});
