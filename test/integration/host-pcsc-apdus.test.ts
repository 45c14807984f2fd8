import { verify, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pageStatus } from '../../extension/background/status.js';
import { bytesToHex, decodeBase64Strict } from '../../protocol/base64.js';
import { buildSignedContent, sha256Bytes } from '../../protocol/signed-data.js';
import { decodeToken } from '../../protocol/token.js';
import { type NativeClient, startCliHost } from '../../scripts/dev/native-client.js';
import { type PcscdHandle, startPcscd, VPCD_READER } from '../../scripts/dev/pcscd.js';
import {
  createCardFile,
  type ServedCard,
  serveCard,
  waitForCardPresence,
} from '../../scripts/dev/virtual-card-process.js';
import { processConnector } from '../helpers/process-connector.js';

/**
 * Issue 13, fewer APDUs, over a real pcscd with the vpcd reader: the virtual card logs every command
 * it answers (`mock-card serve --log-apdus`), and the budgets are asserted on that count: a cold
 * get-certificate + authenticate ≤ 12, warm (a new host process, the CA cache filled) ≤ 8,
 * authenticate alone ≤ 5. Counts are deterministic; nothing here is timed.
 */

const ORIGIN = 'https://harenet.example.jp';
const CHALLENGE = 'q1Yk3hV0b7mX9sQ2pL4nR8tW6zA5cE1dF0gH3jK7mN0';

let pcscd: PcscdHandle;
let dir: string;
let pki: string;

beforeAll(async () => {
  pcscd = await startPcscd();
  dir = mkdtempSync(join(tmpdir(), 'hpki-pcsc-apdus-'));
  pki = join(dir, 'pki');
}, 120_000);

afterAll(async () => {
  await pcscd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function withCard<T>(name: string, serveOptions: string[], use: (card: ServedCard) => Promise<T>): Promise<T> {
  const file = join(dir, `${name}.card`);
  await createCardFile(file, pki, ['--pin', '1234']);
  const card = await serveCard(file, ['--log-apdus', ...serveOptions]);
  try {
    await waitForCardPresence(VPCD_READER, true);
    return await use(card);
  } finally {
    await card.stop();
    await waitForCardPresence(VPCD_READER, false);
  }
}

/** The card's log lines arrive on their own pipe: wait until no more come. */
async function settled(card: ServedCard): Promise<string[]> {
  let lines = card.apdus();
  for (;;) {
    await sleep(100);
    const now = card.apdus();
    if (now.length === lines.length) return now;
    lines = now;
  }
}

interface Login {
  getCertificate: string[];
  authenticate: string[];
}

async function getCertificate(host: NativeClient): Promise<string> {
  const got = await host.request({ id: 'g', command: 'get-certificate' });
  const certificate = (got.result as { certificate?: string } | undefined)?.certificate;
  if (certificate === undefined) throw new Error(`get-certificate failed: ${JSON.stringify(got)}`);
  return certificate;
}

async function authenticate(host: NativeClient, certificate: string): Promise<void> {
  const der = decodeBase64Strict(certificate)!;
  const answer = await host.request({
    id: 'a',
    command: 'authenticate',
    params: { origin: ORIGIN, challenge: CHALLENGE, pin: '1234', certificateSha256: bytesToHex(sha256Bytes(der)) },
  });
  const token = decodeToken((answer.result as { token?: unknown } | undefined)?.token);
  const content = buildSignedContent({ origin: ORIGIN, challenge: CHALLENGE, certificate: token.certificate });
  expect(verify('sha256', content, new X509Certificate(token.certificate).publicKey, token.signature)).toBe(true);
  expect(token.intermediates.length).toBe(2);
}

/** A login in a new host process: get-certificate, then authenticate; the card's lines of each. */
async function login(card: ServedCard, cacheDir: string): Promise<Login> {
  const host = startCliHost(['--backend', 'pcsc', '--cache-dir', cacheDir]);
  await host.hello;
  const start = (await settled(card)).length;
  const certificate = await getCertificate(host);
  const middle = (await settled(card)).length;
  await authenticate(host, certificate);
  const lines = await settled(card);
  expect(await host.close()).toBe(0);
  return { getCertificate: lines.slice(start, middle), authenticate: lines.slice(middle) };
}

const extendedReads = (lines: string[]): string[] => lines.filter((l) => /^apdu 00 B0 .*\(7 B\)/.test(l));

describe('APDU budgets over pcscd + vpcd', () => {
  it('cold ≤ 12, warm ≤ 8, authenticate alone ≤ 5', { timeout: 60_000 }, async () => {
    await withCard('budget', [], async (card) => {
      const cacheDir = join(dir, 'cache-budget');
      const cold = await login(card, cacheDir);
      const warm = await login(card, cacheDir);
      const coldTotal = cold.getCertificate.length + cold.authenticate.length;
      const warmTotal = warm.getCertificate.length + warm.authenticate.length;
      console.log(
        `APDUs over pcscd + vpcd: cold ${cold.getCertificate.length} + ${cold.authenticate.length} = ${coldTotal}; warm ${warm.getCertificate.length} + ${warm.authenticate.length} = ${warmTotal}`,
      );
      expect(coldTotal).toBeLessThanOrEqual(12);
      expect(warmTotal).toBeLessThanOrEqual(8);
      expect(cold.authenticate.length).toBeLessThanOrEqual(5);
      expect(warm.authenticate.length).toBeLessThanOrEqual(5);
      // Every READ BINARY of the warm login is by short EF identifier, and no file is read twice.
      expect(warm.getCertificate.filter((l) => l.startsWith('apdu 00 A4 02'))).toEqual([]);
      expect(cold.authenticate.some((l) => /^apdu 00 B0 96 00 \(5 B\) -> 90 00/.test(l))).toBe(true);
    });
  });

  it('a card without extended length: short reads after one 6700 per host process, and the login works', {
    timeout: 60_000,
  }, async () => {
    await withCard('short-only', ['--no-extended-length'], async (card) => {
      const cacheDir = join(dir, 'cache-short');
      const cold = await login(card, cacheDir);
      const warm = await login(card, cacheDir);
      for (const run of [cold, warm]) {
        const lines = [...run.getCertificate, ...run.authenticate];
        const refused = lines.filter((l) => /\(\d+ B\) -> 67 00/.test(l));
        expect(refused).toHaveLength(1);
        expect(extendedReads(lines)).toEqual(refused);
      }
      console.log(
        `APDUs over pcscd + vpcd, card without extended length: cold ${cold.getCertificate.length + cold.authenticate.length}; warm ${warm.getCertificate.length + warm.authenticate.length}`,
      );
    });
  });

  // A host process per call, as the browser starts one: a few seconds each on a loaded machine.
  it("20 page status calls send no APDU to the card (the readers' states alone)", { timeout: 300_000 }, async () => {
    await withCard('status', [], async (card) => {
      const connector = processConnector(['--backend', 'pcsc']);
      const before = await settled(card);
      const started = Date.now();
      for (let i = 0; i < 20; i++) {
        // The extension's own page status, over a real host process per call as the browser starts one.
        const status = await pageStatus({ connector, extensionVersion: '0.1.0' });
        expect(status).toEqual({
          extension: '0.1.0',
          host: expect.any(String),
          readers: expect.arrayContaining([{ cardPresent: true }]),
          cardPresent: true,
        });
      }
      expect(connector.started()).toBe(20);
      const afterStatus = await settled(card);
      expect(afterStatus.slice(before.length)).toEqual([]);
      // The count is live: one get-certificate does reach the card.
      const host = startCliHost(['--backend', 'pcsc']);
      await getCertificate(host);
      await host.close();
      expect((await settled(card)).length).toBeGreaterThan(afterStatus.length);
      console.log(
        `APDUs for 20 page status calls: ${afterStatus.length - before.length} (${Date.now() - started} ms with a host each)`,
      );
    });
  });
});
