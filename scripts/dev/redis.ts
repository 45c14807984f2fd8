import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';

/**
 * A real redis-server on a loopback port in its own temporary directory: without persistence, or
 * with the append-only file (`appendonly yes`, `appendfsync everysec`) that docs/sso.md advises.
 */
export interface RedisServer {
  url: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
  /** Ends the server with `signal` (a crash: SIGKILL) and keeps its directory and port for `restart`. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port and directory (with AOF, what was written comes back). */
  restart(): Promise<void>;
}

export interface RedisOptions {
  appendOnly?: boolean;
}

async function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

interface Running {
  pid: number;
  /** Resolves once the process has exited. */
  exited(): Promise<void>;
  signal(signal: NodeJS.Signals): void;
}

async function startOnce(
  dir: string,
  options: RedisOptions,
  fixedPort?: number,
): Promise<(Running & { port: number }) | undefined> {
  const port = fixedPort ?? (await freePort());
  const persistence =
    options.appendOnly === true ? ['--appendonly', 'yes', '--appendfsync', 'everysec'] : ['--appendonly', 'no'];
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence, '--dir', dir, '--daemonize', 'no'],
    { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const spawnFailure = new Promise<Error>((resolve) => child.once('error', resolve));
  const pid = child.pid;
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) return undefined; // most likely the port was taken meanwhile
    if (await answersPing(port)) {
      return {
        port,
        pid: pid ?? 0,
        exited: () => exited(child),
        signal(signal) {
          if (pid !== undefined && child.exitCode === null && child.signalCode === null) process.kill(pid, signal);
        },
      };
    }
    const failed = await Promise.race([spawnFailure, new Promise<undefined>((r) => setTimeout(r, 50))]);
    if (failed !== undefined) throw new Error(`redis-server could not start: ${failed.message}`);
  }
  if (pid !== undefined) process.kill(pid, 'SIGKILL');
  await exited(child);
  throw new Error(`redis-server did not answer on port ${port}: ${stderr.slice(0, 500)}`);
}

/** Starts redis-server (the Debian package) and resolves once it answers PING. */
export async function startRedis(options: RedisOptions = {}): Promise<RedisServer> {
  const dir = await mkdtemp(join(tmpdir(), 'hpki-redis-'));
  let running: (Running & { port: number }) | undefined;
  try {
    for (let attempt = 0; attempt < 3 && running === undefined; attempt++) running = await startOnce(dir, options);
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  if (running === undefined) {
    await rm(dir, { recursive: true, force: true });
    throw new Error('redis-server exited at start three times');
  }
  const { port } = running;
  let current: Running | undefined = running;
  const end = async (signal: NodeJS.Signals): Promise<void> => {
    current?.signal(signal);
    await current?.exited();
    current = undefined;
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    get pid() {
      return current?.pid ?? 0;
    },
    async stop() {
      await end('SIGTERM');
      await rm(dir, { recursive: true, force: true });
    },
    kill: (signal = 'SIGKILL') => end(signal),
    async restart() {
      if (current !== undefined) throw new Error('redis-server is running');
      current = await startOnce(dir, options, port);
      if (current === undefined) throw new Error(`redis-server did not start again on port ${port}`);
    },
  };
}
