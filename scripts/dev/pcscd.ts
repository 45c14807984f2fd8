import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A real pcscd with the vsmartcard-vpcd driver, for integration tests. pcscd is a machine-wide
 * singleton (one socket, fixed vpcd ports), so users are serialised with a lock directory that holds
 * the owner's pid; a lock whose owner is gone is taken over.
 */

const LOCK_DIR = '/tmp/hpki-login-pcscd.lock';
const PCSCD_SOCKET = '/run/pcscd/pcscd.comm';
export const VPCD_PORT = 35963;
export const VPCD_READER = 'Virtual PCD 00 00';

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function acquireLock(timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(LOCK_DIR);
      writeFileSync(`${LOCK_DIR}/pid`, String(process.pid));
      return;
    } catch {
      let owner = Number.NaN;
      try {
        owner = Number(readFileSync(`${LOCK_DIR}/pid`, 'utf8'));
      } catch {
        // The owner is between mkdir and writing its pid; wait.
      }
      if (Number.isInteger(owner) && !processAlive(owner)) rmSync(LOCK_DIR, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error('timed out waiting for the pcscd test lock');
      await sleep(200);
    }
  }
}

function releaseLock(): void {
  try {
    if (Number(readFileSync(`${LOCK_DIR}/pid`, 'utf8')) === process.pid)
      rmSync(LOCK_DIR, { recursive: true, force: true });
  } catch {
    // Already gone.
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** True when some pcscd process is running. */
export function pcscdRunning(): boolean {
  try {
    execFileSync('pgrep', ['-x', 'pcscd'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export interface PcscdHandle {
  /** Stops the pcscd this handle started (none if it reused a running one) and releases the lock. */
  stop(): Promise<void>;
}

/** Kills any pcscd (tests that need "no pcscd"); the caller must hold the lock via startPcscd semantics. */
export async function killAllPcscd(): Promise<void> {
  try {
    execFileSync('pkill', ['-x', 'pcscd'], { stdio: 'ignore' });
  } catch {
    return;
  }
  for (let i = 0; i < 50 && pcscdRunning(); i++) await sleep(100);
}

/**
 * Takes the lock, then starts `pcscd --foreground` (restarting any pcscd already running, so the
 * test sees a fresh reader list) and waits until the vpcd driver listens for a virtual card.
 */
export async function startPcscd(options: { lockTimeoutMs?: number } = {}): Promise<PcscdHandle> {
  await acquireLock(options.lockTimeoutMs ?? 300_000);
  let child: ChildProcess | undefined;
  try {
    await killAllPcscd();
    child = spawn('pcscd', ['--foreground'], { stdio: 'ignore' });
    const deadline = Date.now() + 15_000;
    while (!(existsSync(PCSCD_SOCKET) && (await portOpen(VPCD_PORT)))) {
      if (child.exitCode !== null) throw new Error(`pcscd exited with code ${child.exitCode}`);
      if (Date.now() > deadline) throw new Error('pcscd did not start (is vsmartcard-vpcd installed?)');
      await sleep(100);
    }
  } catch (err) {
    child?.kill('SIGKILL');
    releaseLock();
    throw err;
  }
  const started = child;
  return {
    async stop() {
      if (started.exitCode === null) {
        const exited = new Promise<void>((resolve) => started.once('exit', () => resolve()));
        started.kill('SIGTERM');
        await Promise.race([exited, sleep(5_000).then(() => started.kill('SIGKILL'))]);
      }
      releaseLock();
    },
  };
}

/** Holds the pcscd lock without starting pcscd: for tests of "no pcscd". */
export async function withPcscdLock<T>(fn: () => Promise<T>): Promise<T> {
  await acquireLock(300_000);
  try {
    return await fn();
  } finally {
    releaseLock();
  }
}
