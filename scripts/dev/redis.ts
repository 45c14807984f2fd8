import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';

/** A real redis-server on a loopback port, without persistence, in its own temporary directory. */
export interface RedisServer {
  url: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
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

async function startOnce(dir: string): Promise<RedisServer | undefined> {
  const port = await freePort();
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--daemonize',
      'no',
    ],
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
        url: `redis://127.0.0.1:${port}`,
        port,
        pid: pid ?? 0,
        async stop() {
          if (pid !== undefined && child.exitCode === null) process.kill(pid, 'SIGTERM');
          await exited(child);
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
export async function startRedis(): Promise<RedisServer> {
  const dir = await mkdtemp(join(tmpdir(), 'hpki-redis-'));
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      const server = await startOnce(dir);
      if (server !== undefined) {
        return {
          ...server,
          async stop() {
            await server.stop();
            await rm(dir, { recursive: true, force: true });
          },
        };
      }
    }
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  await rm(dir, { recursive: true, force: true });
  throw new Error('redis-server exited at start three times');
}
