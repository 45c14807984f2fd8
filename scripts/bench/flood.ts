import { createPrivateKey, sign } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueHolderCertificates, loadOrCreateMockPki } from '../../native-host/mock-pki/index.js';
import { buildSignedContent } from '../../protocol/signed-data.js';
import { encodeToken } from '../../protocol/token.js';
import { challengeFrom, type Portal, startPortal, stopPortal } from '../dev/demo-portal.js';
import { startRedis } from '../dev/redis.js';

/**
 * The anonymous flood of issue 12 against real `hpki-login demo` processes: 10 050 cookie-less
 * `GET /hpki/challenge` from one address, 32 at a time, then the login that was pending when it
 * began. Prints, per setting, how fast the flood went, what it was answered, and the pending login's
 * outcome. Figures, not a pass/fail test (test/integration/portal-flood.test.ts is the test).
 */

const FLOOD = 10_050;
const PARALLEL = 32;

async function flood(targets: Portal[]): Promise<{ seconds: number; statuses: Record<number, number> }> {
  const statuses: Record<number, number> = {};
  let next = 0;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    while (next < FLOOD) {
      const target = targets[next % targets.length]!;
      next++;
      const res = await fetch(`${target.url}/hpki/challenge`);
      await res.arrayBuffer();
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  return { seconds: (performance.now() - started) / 1000, statuses };
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'hpki-bench-flood-'));
  const redis = await startRedis();
  const portals: Portal[] = [];
  try {
    const pkiDir = join(dir, 'pki');
    const pki = await loadOrCreateMockPki(pkiDir);
    const doctor = (await issueHolderCertificates(pki, { name: 'Nichii Taro', role: 'Medical Doctor' })).auth;
    const key = createPrivateKey({ key: Buffer.from(doctor.privateKeyPkcs8), format: 'der', type: 'pkcs8' });
    const token = (origin: string, challenge: string) =>
      encodeToken({
        certificate: doctor.certificate,
        intermediates: [pki.authCa.certificate],
        signature: sign('sha256', buildSignedContent({ origin, challenge, certificate: doctor.certificate }), key),
      });
    const start = async (args: string[]): Promise<Portal> => {
      const portal = await startPortal(['--pki', pkiDir, '--no-sso', ...args]);
      portals.push(portal);
      return portal;
    };

    const settings: Array<{ name: string; make: () => Promise<Portal[]> }> = [
      { name: 'memory, default limits', make: async () => [await start([])] },
      { name: 'memory, no rate limit', make: async () => [await start(['--challenge-rate', '0'])] },
      {
        name: 'Redis, two processes, no rate limit',
        make: async () => {
          const first = await start(['--challenge-rate', '0', '--redis', redis.url, '--max-pending', '10000']);
          const second = await start(['--challenge-rate', '0', '--redis', redis.url, '--origin', first.origin]);
          return [first, second];
        },
      },
    ];
    process.stdout.write(`${FLOOD} cookie-less GET /hpki/challenge, ${PARALLEL} at a time, then the pending login\n`);
    for (const setting of settings) {
      const targets = await setting.make();
      const first = targets[0]!;
      const pending = await challengeFrom(first);
      const { seconds, statuses } = await flood(targets);
      const login = await fetch(`${targets.at(-1)!.url}/hpki/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-hpki-login': '1', cookie: pending.cookie },
        body: JSON.stringify({ token: token(first.origin, pending.challenge) }),
      });
      const answer = (await login.json()) as { error?: { code: string } };
      const answered = Object.entries(statuses)
        .map(([status, count]) => `${count}× ${status}`)
        .join(', ');
      process.stdout.write(
        `  ${setting.name}: ${seconds.toFixed(2)} s (${Math.round(FLOOD / seconds)} requests/s); ${answered}; ` +
          `pending login → ${login.status}${answer.error === undefined ? '' : ` ${answer.error.code}`}\n`,
      );
    }
  } finally {
    await Promise.all(portals.map(stopPortal));
    await redis.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
