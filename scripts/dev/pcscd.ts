import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './free-port.js';

/**
 * A pcscd of the tests' own, with the vsmartcard-vpcd driver, that leaves the machine's pcscd alone.
 *
 * pcscd 1.9 binds the socket compiled into it (/run/pcscd/pcscd.comm) and cleans /run/pcscd when it
 * exits, whatever PCSCLITE_CSOCK_NAME says. So the test pcscd runs in a mount namespace of its own
 * (`unshare`, with a user namespace when not root) where a private directory stands in for /run and
 * USB devices are hidden: its socket is a file of that directory, its two vpcd readers listen on free
 * ports, and a real reader stays with the machine's pcscd. Clients find it through
 * PCSCLITE_CSOCK_NAME, which libpcsclite honours and which this module sets for this process and so
 * for every host and browser it starts. Where namespaces are not allowed, a running pcscd that already
 * has the vpcd readers (/etc/reader.conf.d/vpcd) is reused as it is. Nothing is ever killed by name.
 *
 * The lock directory serialises the test files that use a pcscd, as before; it is re-entrant within
 * one process.
 */

const LOCK_DIR = '/tmp/hpki-login-pcscd.lock';
const SYSTEM_SOCKET = '/run/pcscd/pcscd.comm';
const SYSTEM_VPCD_PORT = 35963;
export const VPCD_READER = 'Virtual PCD 00 00';
export const SECOND_VPCD_READER = 'Virtual PCD 00 01';

let lockDepth = 0;

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function acquireLock(timeoutMs: number): Promise<void> {
  if (lockDepth > 0) {
    lockDepth++;
    return;
  }
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(LOCK_DIR);
      writeFileSync(`${LOCK_DIR}/pid`, String(process.pid));
      lockDepth = 1;
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
  if (lockDepth > 1) {
    lockDepth--;
    return;
  }
  lockDepth = 0;
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

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '0.0.0.0', () => probe.close(() => resolve(true)));
  });
}

/** Two consecutive free ports: vpcd opens one reader on its port and the second on the next. */
async function freePortPair(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = await freePort();
    if (port < 65535 && (await portFree(port)) && (await portFree(port + 1))) return port;
  }
  throw new Error('no two consecutive free ports for the vpcd readers');
}

/**
 * This process's private run directory. libpcsclite reads PCSCLITE_CSOCK_NAME once per process, so
 * every test pcscd of one process uses the same socket path; between two of them nothing listens there
 * (the directory is removed when a test pcscd stops, and made again by the next one).
 */
let privateRun: string | undefined;
function privateRunPath(): string {
  if (privateRun === undefined) {
    const dir = join(tmpdir(), `hpki-login-pcscd-${process.pid}-${randomBytes(6).toString('hex')}`);
    privateRun = dir;
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return privateRun;
}

function privateRunDir(): string {
  const dir = privateRunPath();
  mkdirSync(join(dir, 'run'), { recursive: true, mode: 0o700 });
  return dir;
}

function removePrivateRunDir(): void {
  if (privateRun !== undefined) rmSync(privateRun, { recursive: true, force: true });
}

/** The socket the test pcscd of this process listens on (nothing listens there between two of them). */
export function privateSocket(): string {
  return join(privateRunPath(), 'run', 'pcscd', 'pcscd.comm');
}

function useSocket(socket: string): () => void {
  const before = process.env.PCSCLITE_CSOCK_NAME;
  process.env.PCSCLITE_CSOCK_NAME = socket;
  return () => {
    if (before === undefined) delete process.env.PCSCLITE_CSOCK_NAME;
    else process.env.PCSCLITE_CSOCK_NAME = before;
  };
}

function readerConf(dir: string, vpcdPort: number | undefined): string {
  const conf = mkdtempSync(join(dir, 'reader.conf.d-'));
  if (vpcdPort !== undefined) {
    const lines = [
      'FRIENDLYNAME "Virtual PCD"',
      `DEVICENAME   /dev/null:${vpcdPort}`,
      'LIBPATH      /usr/lib/pcsc/drivers/serial/libifdvpcd.so',
      `CHANNELID    ${vpcdPort}`,
    ];
    writeFileSync(join(conf, 'vpcd'), `${lines.join('\n')}\n`);
  }
  return conf;
}

/** `pcscd --foreground` in its own mount namespace, with `run` as /run and no USB devices. */
function spawnPrivatePcscd(run: string, conf: string): ChildProcess {
  const namespaces =
    process.getuid?.() === 0
      ? ['--mount', '--propagation', 'private']
      : ['--user', '--map-root-user', '--mount', '--propagation', 'private'];
  const script =
    'mount --bind "$1" /run && { [ ! -d /dev/bus/usb ] || mount -t tmpfs tmpfs /dev/bus/usb; } && ' +
    'exec pcscd --foreground --config "$2"';
  return spawn('unshare', [...namespaces, '--', 'sh', '-c', script, 'sh', run, conf], { stdio: 'ignore' });
}

async function waitReady(child: ChildProcess, socket: string, vpcdPort: number | undefined): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(existsSync(socket) && (vpcdPort === undefined || (await portOpen(vpcdPort))))) {
    if (child.exitCode !== null) throw new Error(`the test pcscd exited with code ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error('the test pcscd did not start (is vsmartcard-vpcd installed?)');
    await sleep(100);
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(5_000).then(() => child.kill('SIGKILL'))]);
}

export interface PcscdHandle {
  /** The socket clients reach this pcscd on; PCSCLITE_CSOCK_NAME names it until stop(). */
  socket: string;
  /** The port of the first vpcd reader (VPCD_READER); the second listens on the next port. */
  vpcdPort: number;
  /** The pid of the pcscd this handle started; undefined when it reuses the machine's. */
  pid: number | undefined;
  /** Stops the pcscd this handle started (never the machine's) and releases the lock. */
  stop(): Promise<void>;
}

let currentVpcdPort: number | undefined;

/** The vpcd port of the test pcscd running in this process, for virtual card launchers. */
export function vpcdPort(): number {
  if (currentVpcdPort === undefined) throw new Error('no test pcscd is running in this process (startPcscd first)');
  return currentVpcdPort;
}

async function startPrivate(vpcd: boolean): Promise<PcscdHandle> {
  const dir = privateRunDir();
  const socket = privateSocket();
  const port = vpcd ? await freePortPair() : undefined;
  const child = spawnPrivatePcscd(join(dir, 'run'), readerConf(dir, port));
  const spawned = new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  try {
    await spawned;
    await waitReady(child, socket, port);
  } catch (err) {
    await stopChild(child);
    removePrivateRunDir();
    throw err;
  }
  const restore = useSocket(socket);
  currentVpcdPort = port;
  return {
    socket,
    vpcdPort: port ?? 0,
    pid: child.pid,
    async stop() {
      await stopChild(child);
      removePrivateRunDir();
      restore();
      currentVpcdPort = undefined;
    },
  };
}

/** The machine's pcscd, when it already has the vpcd readers: used as it is, never stopped. */
async function reuseRunning(): Promise<PcscdHandle | undefined> {
  if (!(existsSync(SYSTEM_SOCKET) && (await portOpen(SYSTEM_VPCD_PORT)))) return undefined;
  const restore = useSocket(SYSTEM_SOCKET);
  currentVpcdPort = SYSTEM_VPCD_PORT;
  return {
    socket: SYSTEM_SOCKET,
    vpcdPort: SYSTEM_VPCD_PORT,
    pid: undefined,
    async stop() {
      restore();
      currentVpcdPort = undefined;
    },
  };
}

/**
 * Takes the lock, then starts a pcscd of the tests' own with two vpcd readers on free ports (or, with
 * `vpcd: false`, with no reader at all) and waits until it answers. Without namespaces, reuses a running
 * pcscd that has the vpcd readers.
 */
export async function startPcscd(options: { lockTimeoutMs?: number; vpcd?: boolean } = {}): Promise<PcscdHandle> {
  await acquireLock(options.lockTimeoutMs ?? 300_000);
  try {
    const handle = await startPrivate(options.vpcd ?? true).catch(async (err: unknown) => {
      const reused = options.vpcd === false ? undefined : await reuseRunning();
      if (reused === undefined) throw err;
      return reused;
    });
    return {
      ...handle,
      async stop() {
        await handle.stop();
        releaseLock();
      },
    };
  } catch (err) {
    releaseLock();
    throw err;
  }
}

/**
 * Runs fn with PCSCLITE_CSOCK_NAME on a socket where nothing listens: "no pcscd" as hosts and
 * libpcsclite see it, while the machine's pcscd runs on untouched.
 */
export async function withoutPcscd<T>(fn: () => Promise<T>): Promise<T> {
  await acquireLock(300_000);
  const restore = useSocket(privateSocket());
  try {
    return await fn();
  } finally {
    restore();
    releaseLock();
  }
}

/** Holds the pcscd test lock (re-entrant in one process) while fn runs. */
export async function withPcscdLock<T>(fn: () => Promise<T>): Promise<T> {
  await acquireLock(300_000);
  try {
    return await fn();
  } finally {
    releaseLock();
  }
}
