import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryBackend } from '../../../../native-host/backends/memory-backend.js';
import { createCaCertificateCache } from '../../../../native-host/cache/ca-certificate-cache.js';
import { createSeenCertificates } from '../../../../native-host/commands/seen-certificates.js';
import { dispatch } from '../../../../native-host/host/dispatcher.js';
import { loadOrCreateMockPki } from '../../../../native-host/mock-pki/index.js';
import type { MemoryTransport } from '../../../../native-host/transport/memory-transport.js';
import { createCardFile } from '../../../../native-host/virtual-card/index.js';

/**
 * Issue 13, fewer APDUs, counted at the in-process transport (the same driver and APDUs as over
 * PC/SC; test/integration/host-pcsc-apdus.test.ts counts them at the card behind pcscd + vpcd). A
 * "process" here is a new backend, cache object and seen-certificate memory over the same cache dir.
 */

const ORIGIN = 'https://harenet.example.jp';
const CHALLENGE = 'q1Yk3hV0b7mX9sQ2pL4nR8tW6zA5cE1dF0gH3jK7mN0';

let dir: string;
let cardPath: string;
let otherPath: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hpki-apdu-budget-'));
  const pki = await loadOrCreateMockPki(join(dir, 'pki'));
  cardPath = join(dir, 'reader.card');
  otherPath = join(dir, 'other.card');
  await createCardFile(cardPath, { pki, name: 'Nichii Taro', role: 'Medical Doctor', pin: '1234' });
  await createCardFile(otherPath, { pki, name: 'Nichii Hanako', role: 'Medical Doctor', pin: '1234' });
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** One host process: its backend, its cache object over `cacheDir`, its memory of shown certificates. */
function hostProcess(cacheDir: string) {
  const transports: MemoryTransport[] = [];
  const backend = createMemoryBackend({
    cardPath,
    caCache: createCaCertificateCache({ dir: cacheDir }),
    onTransport: (t) => transports.push(t),
  });
  const seen = createSeenCertificates();
  const request = (message: unknown) => dispatch(message, async () => backend, { seen });
  return {
    apdus: () => transports.reduce((n, t) => n + t.stats.apdus, 0),
    bytesReceived: () => transports.reduce((n, t) => n + t.stats.bytesReceived, 0),
    async getCertificate(): Promise<string> {
      const answer = await request({ id: 1, command: 'get-certificate' });
      if (!('result' in answer)) throw new Error(JSON.stringify(answer));
      return (answer.result as { certificateSha256: string }).certificateSha256;
    },
    authenticate: (certificateSha256: string) =>
      request({
        id: 2,
        command: 'authenticate',
        params: { origin: ORIGIN, challenge: CHALLENGE, pin: '1234', certificateSha256 },
      }),
  };
}

describe('APDUs per login, in-process', () => {
  it('cold ≤ 12, warm (a new process, cache filled) ≤ 8, authenticate alone ≤ 5', async () => {
    const cacheDir = join(dir, 'cache-budget');
    const cold = hostProcess(cacheDir);
    const sha = await cold.getCertificate();
    const coldGet = cold.apdus();
    expect('result' in (await cold.authenticate(sha))).toBe(true);
    const coldAuth = cold.apdus() - coldGet;
    expect(cold.apdus()).toBeLessThanOrEqual(12);
    expect(coldAuth).toBeLessThanOrEqual(5);

    const warm = hostProcess(cacheDir);
    await warm.getCertificate();
    const warmGet = warm.apdus();
    const warmGetBytes = warm.bytesReceived();
    expect('result' in (await warm.authenticate(sha))).toBe(true);
    // The swapped-card check read the issuer and serial number, not the 2 kB certificate EF again.
    expect(warm.bytesReceived() - warmGetBytes).toBeLessThan(1024);
    expect(warm.apdus()).toBeLessThanOrEqual(8);
    expect(warm.apdus() - warmGet).toBeLessThanOrEqual(5);

    // authenticate in a process that showed nothing: the certificate is read whole, the CAs come from the cache.
    const alone = hostProcess(cacheDir);
    expect('result' in (await alone.authenticate(sha))).toBe(true);
    expect(alone.apdus()).toBeLessThanOrEqual(5);
    expect([coldGet, coldAuth, warmGet, warm.apdus() - warmGet, alone.apdus()]).toEqual([6, 5, 3, 5, 5]);
  });

  it('a card swapped between get-certificate and authenticate is ERR_HPKI_CARD_CHANGED, before any PIN', async () => {
    const host = hostProcess(join(dir, 'cache-swap'));
    const sha = await host.getCertificate();
    const original = join(dir, 'original.card');
    copyFileSync(cardPath, original);
    copyFileSync(otherPath, cardPath);
    try {
      const before = host.apdus();
      const answer = await host.authenticate(sha);
      expect(answer).toMatchObject({ error: { code: 'ERR_HPKI_CARD_CHANGED' } });
      // SELECT AP and the short read of the issuer and serial number: no VERIFY was sent.
      expect(host.apdus() - before).toBe(2);
    } finally {
      copyFileSync(original, cardPath);
    }
  });
});
