import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { CLI } from './native-client.js';

/** `hpki-login sso` (the built CLI) as a real process. */
export interface SsoProcess {
  /** Where this process listens (it may differ from the issuer's port). */
  url: string;
  process: ChildProcess;
  stdout: () => string;
  stderr: () => string;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

export async function startSso(args: string[]): Promise<SsoProcess> {
  const child = spawn(process.execPath, [CLI, 'sso', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, HPKI_LOGIN_REDIS_URL: '' },
  });
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`sso did not start: ${stderr}`));
    }, 30_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`sso exited with ${code}: ${stderr}`));
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      const listening = /listening on (http:\/\/[^/\s]+)\//.exec(stdout);
      if (listening?.[1] !== undefined && stdout.includes('Press Ctrl+C')) {
        clearTimeout(timer);
        resolve({ url: listening[1], process: child, stdout: () => stdout, stderr: () => stderr });
      }
    });
  });
}

/** Stops the process as Ctrl+C would and resolves with its exit code. */
export async function stopSso(sso: SsoProcess): Promise<number | null> {
  const child = sso.process;
  if (child.pid === undefined || child.exitCode !== null) return child.exitCode;
  child.removeAllListeners('exit');
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code, signal) => {
      if (code === null) process.stderr.write(`sso ended by ${signal}: ${sso.stderr()}\n`);
      resolve(code);
    }),
  );
  process.kill(child.pid, 'SIGTERM');
  return exited;
}
