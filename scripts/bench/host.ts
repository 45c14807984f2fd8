import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createMemoryBackend } from '../../native-host/backends/memory-backend.js';
import { createCaCertificateCache } from '../../native-host/cache/ca-certificate-cache.js';
import { runAuthenticate } from '../../native-host/commands/authenticate.js';
import { runGetCertificate } from '../../native-host/commands/get-certificate.js';
import { createSeenCertificates } from '../../native-host/commands/seen-certificates.js';
import { loadOrCreateMockPki } from '../../native-host/mock-pki/index.js';
import type { MemoryTransport } from '../../native-host/transport/memory-transport.js';
import { createCardFile } from '../../native-host/virtual-card/index.js';
import { bytesToHex } from '../../protocol/base64.js';
import { sha256Bytes } from '../../protocol/signed-data.js';
import { startNativeHost } from '../dev/native-client.js';
import { startPcscd, VPCD_READER } from '../dev/pcscd.js';
import { type ServedCard, serveCard, waitForCardPresence } from '../dev/virtual-card-process.js';
import { median, ms } from './stats.js';

/**
 * `npm run bench:host`: how fast the host starts and how many APDUs a login costs.
 *   1. host start → hello, beside a bare `node -e 0`, in the same run (aim: ≤ 1.5×);
 *   2. APDUs and bytes of get-certificate and authenticate, counted at the in-process transport, cold
 *      (empty CA cache) and warm (a new backend over the filled cache: a new host process);
 *   3. the same counts over pcscd + vpcd, counted at the card (`mock-card serve --log-apdus`), with a
 *      new host process for each login (budget: cold ≤ 12, warm ≤ 8, authenticate ≤ 5);
 *   4. a full get-certificate + authenticate, in-process and over pcscd + vpcd (medians).
 */

const CLI = fileURLToPath(new URL('../../bin/hpki-login.js', import.meta.url));
const STARTS = 15;
const FLOWS = 10;
const ORIGIN = 'https://harenet.example.jp';
const CHALLENGE = 'q1Yk3hV0b7mX9sQ2pL4nR8tW6zA5cE1dF0gH3jK7mN0';

function timeToExit(args: string[]): Promise<number> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    spawn(process.execPath, args, { stdio: 'ignore' }).once('exit', () => resolve(performance.now() - t0));
  });
}

function timeToHello(args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child: ChildProcess = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'ignore'] });
    child.stdout!.once('data', () => {
      const elapsed = performance.now() - t0;
      child.stdin!.end();
      child.once('exit', () => resolve(elapsed));
    });
    child.once('error', reject);
  });
}

async function startupFigures(cardFile: string): Promise<void> {
  const bare: number[] = [];
  const host: number[] = [];
  for (let i = 0; i < STARTS; i++) {
    bare.push(await timeToExit(['-e', '0']));
    host.push(await timeToHello([CLI, 'host', '--backend', 'mock', '--card', cardFile]));
  }
  const b = median(bare);
  const h = median(host);
  console.log(
    `startup (median of ${STARTS}): bare node -e 0 ${ms(b)}; host start → hello ${ms(h)}; ratio ${(h / b).toFixed(2)}× (aim ≤ 1.5×)`,
  );
}

interface Counted {
  apdus: number;
  bytesSent: number;
  bytesReceived: number;
}

function sum(transports: MemoryTransport[]): Counted {
  return transports.reduce(
    (n, t) => ({
      apdus: n.apdus + t.stats.apdus,
      bytesSent: n.bytesSent + t.stats.bytesSent,
      bytesReceived: n.bytesReceived + t.stats.bytesReceived,
    }),
    { apdus: 0, bytesSent: 0, bytesReceived: 0 },
  );
}

const describeCount = (c: Counted): string =>
  `${c.apdus} APDUs, ${c.bytesSent} bytes sent, ${c.bytesReceived} bytes received`;

/** One login in a new "process": a new backend, CA cache object and certificate memory over `cacheDir`. */
async function inProcessLogin(cardFile: string, cacheDir: string, label: string): Promise<void> {
  const transports: MemoryTransport[] = [];
  const backend = createMemoryBackend({
    cardPath: cardFile,
    caCache: createCaCertificateCache({ dir: cacheDir }),
    onTransport: (t) => transports.push(t),
  });
  const seen = createSeenCertificates();
  const got = await runGetCertificate(backend, {}, seen);
  const g = sum(transports);
  const certificateSha256 = bytesToHex(sha256Bytes(Buffer.from(got.certificate, 'base64')));
  await runAuthenticate(backend, { origin: ORIGIN, challenge: CHALLENGE, pin: '1234', certificateSha256 }, seen);
  const all = sum(transports);
  const a = {
    apdus: all.apdus - g.apdus,
    bytesSent: all.bytesSent - g.bytesSent,
    bytesReceived: all.bytesReceived - g.bytesReceived,
  };
  console.log(
    `APDUs in-process, ${label}: get-certificate ${describeCount(g)} (certificate ${Buffer.from(got.certificate, 'base64').length} B, ${got.intermediates.length} CA certificate(s)); authenticate ${describeCount(a)}; total ${all.apdus}`,
  );
}

async function apduFigures(cardFile: string, cacheDir: string): Promise<void> {
  await inProcessLogin(cardFile, cacheDir, 'cold');
  await inProcessLogin(cardFile, cacheDir, 'warm');
}

/** The card's `--log-apdus` lines come on their own pipe: wait until no more arrive. */
async function settledApdus(card: ServedCard): Promise<number> {
  let count = card.apdus().length;
  for (;;) {
    await sleep(100);
    const now = card.apdus().length;
    if (now === count) return now;
    count = now;
  }
}

/** One login in a new host process over pcscd + vpcd, counted at the card. */
async function pcscLogin(card: ServedCard, cacheDir: string, label: string): Promise<void> {
  const host = startNativeHost(process.execPath, [CLI, 'host', '--backend', 'pcsc', '--cache-dir', cacheDir]);
  await host.hello;
  const start = await settledApdus(card);
  const got = await host.request({ id: 'g', command: 'get-certificate' });
  const cert = (got.result as { certificate: string }).certificate;
  const middle = await settledApdus(card);
  const certificateSha256 = bytesToHex(sha256Bytes(Buffer.from(cert, 'base64')));
  const auth = await host.request({
    id: 'a',
    command: 'authenticate',
    params: { origin: ORIGIN, challenge: CHALLENGE, pin: '1234', certificateSha256 },
  });
  if (!('result' in auth)) throw new Error(`authenticate failed: ${JSON.stringify(auth)}`);
  const end = await settledApdus(card);
  await host.close();
  console.log(
    `APDUs over pcscd + vpcd, ${label} (new host process): get-certificate ${middle - start} + authenticate ${end - middle} = ${end - start}`,
  );
}

async function flowFigures(label: string, args: string[]): Promise<void> {
  const host = startNativeHost(process.execPath, [CLI, 'host', ...args]);
  await host.hello;
  const times: number[] = [];
  for (let i = 0; i < FLOWS; i++) {
    const t0 = performance.now();
    const got = await host.request({ id: `g${i}`, command: 'get-certificate' });
    const cert = (got.result as { certificate: string }).certificate;
    const certificateSha256 = bytesToHex(sha256Bytes(Buffer.from(cert, 'base64')));
    const auth = await host.request({
      id: `a${i}`,
      command: 'authenticate',
      params: { origin: ORIGIN, challenge: CHALLENGE, pin: '1234', certificateSha256 },
    });
    if (!('result' in auth)) throw new Error(`authenticate failed: ${JSON.stringify(auth)}`);
    times.push(performance.now() - t0);
  }
  await host.close();
  console.log(`get-certificate + authenticate, ${label} (median of ${FLOWS}): ${ms(median(times))}`);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'hpki-bench-host-'));
  try {
    const pki = await loadOrCreateMockPki(join(dir, 'pki'));
    const cardFile = join(dir, 'bench.card');
    await createCardFile(cardFile, {
      pki,
      name: 'Nichii Taro',
      nameJa: '日医　太郎',
      role: 'Medical Doctor',
      pin: '1234',
    });
    await startupFigures(cardFile);
    await apduFigures(cardFile, join(dir, 'cache-in-process'));
    const flowCache = join(dir, 'cache-flows');
    await flowFigures('in-process virtual card', ['--backend', 'mock', '--card', cardFile, '--cache-dir', flowCache]);
    if (process.argv.includes('--no-pcsc')) return;
    const pcscd = await startPcscd();
    const card = await serveCard(cardFile, ['--log-apdus']);
    try {
      await waitForCardPresence(VPCD_READER, true);
      const pcscCache = join(dir, 'cache-pcsc');
      await pcscLogin(card, pcscCache, 'cold');
      await pcscLogin(card, pcscCache, 'warm');
      await flowFigures('pcscd + vpcd', ['--backend', 'pcsc', '--cache-dir', pcscCache]);
    } finally {
      await card.stop();
      await pcscd.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
