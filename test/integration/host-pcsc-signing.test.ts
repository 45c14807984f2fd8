import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NativeClient, startCliHost } from '../../scripts/dev/native-client.js';
import { type PcscdHandle, startPcscd, VPCD_READER } from '../../scripts/dev/pcscd.js';
import {
  createCardFile,
  type ServedCard,
  serveCard,
  waitForCardPresence,
} from '../../scripts/dev/virtual-card-process.js';
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
 * Issue 22, the host half of document signing over a real pcscd with the vpcd reader and the virtual
 * card (login PIN 1234, signing PIN 5678): the signing certificate, signatures over DigestInfo(hash)
 * for SHA-256/384/512, the two PIN counters kept apart, the two keys never crossing, and change-pin
 * for both applications. APDUs are counted on the card's own log (`mock-card serve --log-apdus`).
 */

const CHALLENGE = 'q1Yk3hV0b7mX9sQ2pL4nR8tW6zA5cE1dF0gH3jK7mN0';
const LOGIN_PIN = '1234';
const SIGN_PIN = '5678';

let pcscd: PcscdHandle;
let dir: string;
let card: ServedCard;
let cacheDir: string;
let host: NativeClient;

beforeAll(async () => {
  pcscd = await startPcscd();
  dir = mkdtempSync(join(tmpdir(), 'hpki-pcsc-signing-'));
  cacheDir = join(dir, 'cache');
  const file = join(dir, 'doctor.card');
  await createCardFile(file, join(dir, 'pki'), ['--pin', LOGIN_PIN, '--sign-pin', SIGN_PIN]);
  card = await serveCard(file, ['--log-apdus']);
  await waitForCardPresence(VPCD_READER, true);
  host = startCliHost(['--backend', 'pcsc', '--cache-dir', cacheDir]);
  await host.hello;
}, 300_000);

afterAll(async () => {
  await host?.close();
  await card?.stop();
  await pcscd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The card's log lines arrive on their own pipe: wait until no more come. */
async function settled(): Promise<string[]> {
  let lines = card.apdus();
  for (;;) {
    await sleep(100);
    const now = card.apdus();
    if (now.length === lines.length) return now;
    lines = now;
  }
}

/** Runs `action` and returns what it gave with the APDUs the card answered meanwhile. */
async function counted<T>(action: () => Promise<T>): Promise<{ value: T; apdus: string[] }> {
  const before = (await settled()).length;
  const value = await action();
  return { value, apdus: (await settled()).slice(before) };
}

async function login(pin: string, auth: Certificate): Promise<Record<string, unknown>> {
  return request(host, 'authenticate', {
    origin: SIGN_ORIGIN,
    challenge: CHALLENGE,
    pin,
    certificateSha256: auth.certificateSha256,
  });
}

describe('document signing over pcscd + vpcd', () => {
  let signing: Certificate;
  let auth: Certificate;

  it('get-signing-certificate gives the nonRepudiation certificate, in ≤ 4 APDUs with the CA cache warm', {
    timeout: 60_000,
  }, async () => {
    const cold = await counted(() => certificateOf(host, 'get-signing-certificate'));
    signing = cold.value;
    expect(keyUsageOf(signing.certificate)).toEqual({ nonRepudiation: true, digitalSignature: false });
    expect(signing.pinRetriesLeft).toBe(15);
    // A new host process, the CA certificates in the cache from the first.
    const second = startCliHost(['--backend', 'pcsc', '--cache-dir', cacheDir]);
    await second.hello;
    const warm = await counted(() => certificateOf(second, 'get-signing-certificate'));
    expect(await second.close()).toBe(0);
    expect(warm.value.certificateSha256).toBe(signing.certificateSha256);
    console.log(
      `get-signing-certificate over pcscd + vpcd: cold ${cold.apdus.length} APDUs, warm ${warm.apdus.length}`,
    );
    expect(warm.apdus.length).toBeLessThanOrEqual(4);
    expect(warm.apdus[0]).toMatch(/^apdu 00 A4 04 00 /);
    auth = await certificateOf(host, 'get-certificate');
    expect(keyUsageOf(auth.certificate).digitalSignature).toBe(true);
    expect(auth.certificateSha256).not.toBe(signing.certificateSha256);
  });

  it('sign verifies over DigestInfo(hash) for SHA-256, SHA-384 and SHA-512', { timeout: 60_000 }, async () => {
    await signAllHashes(host, signing, SIGN_PIN);
  });

  it('sign takes ≤ 5 APDUs: one VERIFY and one PSO', { timeout: 30_000 }, async () => {
    const { value, apdus } = await counted(() => request(host, 'sign', signParams(signing, SIGN_PIN)));
    expect(value.error).toBeUndefined();
    console.log(`sign over pcscd + vpcd: ${apdus.length} APDUs`);
    expect(apdus.length).toBeLessThanOrEqual(5);
    expect(apdus.filter((l) => /^apdu 00 20 00 88 \(\d+ B\)/.test(l) && !/\(4 B\)/.test(l))).toHaveLength(1);
    expect(apdus.filter((l) => /^apdu [01]0 2A 9E 9A/.test(l))).toHaveLength(1);
  });

  it('a wrong signing PIN decrements the signing counter only', { timeout: 30_000 }, async () => {
    const { value, apdus } = await counted(() => request(host, 'sign', signParams(signing, '0000')));
    expect(value.error).toMatchObject({ code: 'ERR_HPKI_PIN_INCORRECT', retriesLeft: 14 });
    expect(JSON.stringify(value)).not.toContain('0000');
    // Never retried, nothing signed.
    expect(apdus.filter((l) => l.startsWith('apdu 00 20 00 88') && !/\(4 B\)/.test(l))).toHaveLength(1);
    expect(apdus.some((l) => /^apdu [01]0 2A/.test(l))).toBe(false);
    expect((await certificateOf(host, 'get-signing-certificate')).pinRetriesLeft).toBe(14);
    expect((await certificateOf(host, 'get-certificate')).pinRetriesLeft).toBe(15);
  });

  it('sign with the authentication certificate → ERR_HPKI_CARD_CHANGED, with no PIN presented', {
    timeout: 30_000,
  }, async () => {
    const { value, apdus } = await counted(() =>
      request(host, 'sign', { ...signParams(signing, SIGN_PIN), certificateSha256: auth.certificateSha256 }),
    );
    expect(value.error).toMatchObject({ code: 'ERR_HPKI_CARD_CHANGED' });
    expect(apdus.some((l) => l.startsWith('apdu 00 20'))).toBe(false);
    // And a login never reaches the signing key: authenticate with the signing certificate fails alike.
    expect((await login(SIGN_PIN, signing)).error).toMatchObject({ code: 'ERR_HPKI_CARD_CHANGED' });
  });

  it('authenticate still works after signing', { timeout: 30_000 }, async () => {
    const answer = await login(LOGIN_PIN, auth);
    expect(answer.error).toBeUndefined();
    expect(answer.result).toMatchObject({ token: { format: 'hpki-login:1' } });
  });
});

describe('change-pin over pcscd + vpcd', () => {
  it.each([
    ['auth', LOGIN_PIN, '2468'],
    ['sign', SIGN_PIN, '8642'],
  ] as const)(
    '%s: wrong current PIN, a 3-character new PIN, then a change',
    {
      timeout: 60_000,
    },
    async (application, current, next) => {
      const wrong = await request(host, 'change-pin', { application, pin: '9999', newPin: next });
      expect(wrong.error).toMatchObject({ code: 'ERR_HPKI_PIN_INCORRECT', retriesLeft: expect.any(Number) });
      expect(JSON.stringify(wrong)).not.toMatch(/9999|2468|8642/);

      const short = await counted(() => request(host, 'change-pin', { application, pin: current, newPin: '123' }));
      expect(short.value.error).toMatchObject({ code: 'ERR_HPKI_INVALID_ARGUMENT' });
      expect(short.apdus).toEqual([]);

      const changed = await request(host, 'change-pin', { application, pin: current, newPin: next });
      expect(changed).toMatchObject({ result: {} });

      const command = application === 'auth' ? 'get-certificate' : 'get-signing-certificate';
      const certificate = await certificateOf(host, command);
      expect(certificate.pinRetriesLeft).toBe(15);
      const use = (pin: string) =>
        application === 'auth' ? login(pin, certificate) : request(host, 'sign', signParams(certificate, pin));
      expect((await use(current)).error).toMatchObject({ code: 'ERR_HPKI_PIN_INCORRECT' });
      expect((await use(next)).error).toBeUndefined();
    },
  );
});
