import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { runAuthenticate } from '../../native-host/commands/authenticate.js';
import { runGetCertificate } from '../../native-host/commands/get-certificate.js';
import { loadOrCreateMockPki } from '../../native-host/mock-pki/index.js';
import { createMemoryBackend } from '../../native-host/transport/memory-backend.js';
import type { MemoryTransport } from '../../native-host/transport/memory-transport.js';
import { createCardFile } from '../../native-host/virtual-card/index.js';
import { bytesToHex } from '../../protocol/base64.js';
import { sha256Bytes } from '../../protocol/signed-data.js';
import { startNativeHost } from '../dev/native-client.js';
import { startPcscd, VPCD_READER } from '../dev/pcscd.js';
import { serveCard, waitForCardPresence } from '../dev/virtual-card-process.js';
import { median, ms } from './stats.js';

/**
 * `npm run bench:host`: how fast the host starts and how many APDUs a login costs.
 *   1. host start → hello, beside a bare `node -e 0`, in the same run (aim: ≤ 1.5×);
 *   2. APDUs and bytes of get-certificate and authenticate, counted at the in-process transport;
 *   3. a full get-certificate + authenticate, in-process and over pcscd + vpcd (medians).
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

async function apduFigures(cardFile: string): Promise<void> {
  let last: MemoryTransport | undefined;
  const backend = createMemoryBackend({ cardPath: cardFile, onTransport: (t) => (last = t) });
  const got = await runGetCertificate(backend, {});
  const g = last!.stats;
  const certificateSha256 = bytesToHex(sha256Bytes(Buffer.from(got.certificate, 'base64')));
  await runAuthenticate(backend, { origin: ORIGIN, challenge: CHALLENGE, pin: '1234', certificateSha256 });
  const a = last!.stats;
  console.log(
    `get-certificate: ${g.apdus} APDUs, ${g.bytesSent} bytes sent, ${g.bytesReceived} bytes received (certificate ${Buffer.from(got.certificate, 'base64').length} B, ${got.intermediates.length} CA certificate(s))`,
  );
  console.log(`authenticate:    ${a.apdus} APDUs, ${a.bytesSent} bytes sent, ${a.bytesReceived} bytes received`);
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
    await apduFigures(cardFile);
    await flowFigures('in-process virtual card', ['--backend', 'mock', '--card', cardFile]);
    if (process.argv.includes('--no-pcsc')) return;
    const pcscd = await startPcscd();
    const card = await serveCard(cardFile);
    try {
      await waitForCardPresence(VPCD_READER, true);
      await flowFigures('pcscd + vpcd', ['--backend', 'pcsc']);
    } finally {
      await card.stop();
      await pcscd.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
