import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { startCliHost } from '../../scripts/dev/native-client.js';
import { startPcscd, VPCD_READER, withoutPcscd, withPcscdLock } from '../../scripts/dev/pcscd.js';
import { createCardFile, serveCard, waitForCardPresence } from '../../scripts/dev/virtual-card-process.js';
import { systemToolsPresent } from '../helpers/system-tools.js';

/**
 * The machine's own pcscd (the one a developer's card reader needs) is the same process after the
 * tests' pcscd work: a test pcscd started and stopped with a card served into it, and "no pcscd" as
 * the host sees it. When none runs, this test starts one on the system socket as the machine would
 * (and stops only that one, by its own handle).
 */

const SYSTEM_SOCKET = '/run/pcscd/pcscd.comm';
const SYSTEM_PID_FILE = '/run/pcscd/pcscd.pid';
const hasPcscd = systemToolsPresent('pcscd-left-alone.test.ts', ['/usr/sbin/pcscd', '/usr/bin/unshare']);
const dir = mkdtempSync(join(tmpdir(), 'hpki-pcscd-left-alone-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function systemPcscdPid(): number | undefined {
  if (!existsSync(SYSTEM_SOCKET)) return undefined;
  try {
    const pid = Number.parseInt(readFileSync(SYSTEM_PID_FILE, 'utf8'), 10); // pcscd ends the file with a NUL
    return Number.isInteger(pid) && alive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** The machine's pcscd: the running one, or one started here as `systemctl start pcscd` would. */
async function machinePcscd(): Promise<{ pid: number; started?: ChildProcess }> {
  const running = systemPcscdPid();
  if (running !== undefined) return { pid: running };
  const started = spawn('pcscd', ['--foreground'], { stdio: 'ignore' });
  for (let i = 0; i < 150; i++) {
    const pid = systemPcscdPid();
    if (pid !== undefined) return { pid, started };
    await sleep(100);
  }
  started.kill('SIGTERM');
  throw new Error('the machine-like pcscd did not start');
}

describe.skipIf(!hasPcscd)("the tests' pcscd work leaves the machine's pcscd as it was", () => {
  it('same pid and socket after a test pcscd with a card, and after "no pcscd"', { timeout: 330_000 }, async () => {
    await withPcscdLock(async () => {
      const machine = await machinePcscd();
      try {
        const pcscd = await startPcscd();
        try {
          expect(pcscd.socket).not.toBe(SYSTEM_SOCKET);
          expect(pcscd.pid).not.toBe(machine.pid);
          const file = join(dir, 'doctor.card');
          await createCardFile(file, join(dir, 'pki'), ['--pin', '1234']);
          const card = await serveCard(file);
          await waitForCardPresence(VPCD_READER, true);
          await card.stop();
        } finally {
          await pcscd.stop();
        }
        await withoutPcscd(async () => {
          const host = startCliHost(['--backend', 'pcsc']);
          const answer = await host.request({ id: 'status', command: 'status' });
          expect(answer).toMatchObject({ error: { code: 'ERR_HPKI_NO_READER' } });
          await host.close();
        });
        expect(alive(machine.pid)).toBe(true);
        expect(systemPcscdPid()).toBe(machine.pid);
      } finally {
        if (machine.started !== undefined) {
          const exited = new Promise((resolve) => machine.started?.once('exit', resolve));
          machine.started.kill('SIGTERM');
          await exited;
        }
      }
    });
  });
});
