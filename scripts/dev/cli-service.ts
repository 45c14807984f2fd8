import { type ChildProcess, spawn } from 'node:child_process';
import { CLI } from './native-client.js';

/** A long-running `hpki-login` command (`demo`, `sso`) as a real process, started until it says it is ready. */
export interface CliService<T> {
  /** What `ready` read from the banner. */
  ready: T;
  process: ChildProcess;
  stdout: () => string;
  stderr: () => string;
}

/**
 * Spawns `hpki-login <args>` (the built CLI; Redis only where the args say so), with `nodeOptions`
 * given to Node before the script, and resolves once `ready` finds what it needs in stdout; rejects
 * when the process exits first or after 30 s.
 */
export function startCliService<T>(
  args: string[],
  ready: (stdout: string) => T | undefined,
  name = args[0] ?? 'hpki-login',
  nodeOptions: readonly string[] = [],
): Promise<CliService<T>> {
  const child = spawn(process.execPath, [...nodeOptions, CLI, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, HPKI_LOGIN_REDIS_URL: '' },
  });
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} did not start: ${stderr}`));
    }, 30_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code}: ${stderr}`));
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      const value = ready(stdout);
      if (value !== undefined) {
        clearTimeout(timer);
        resolve({ ready: value, process: child, stdout: () => stdout, stderr: () => stderr });
      }
    });
  });
}

/** Stops the process as Ctrl+C would and resolves with its exit code (null when a signal ended it). */
export async function stopCliService(
  child: ChildProcess,
  onSignal?: (signal: NodeJS.Signals | null) => void,
): Promise<number | null> {
  if (child.pid === undefined || child.exitCode !== null) return child.exitCode;
  child.removeAllListeners('exit');
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code, signal) => {
      if (code === null) onSignal?.(signal);
      resolve(code);
    }),
  );
  process.kill(child.pid, 'SIGTERM');
  return exited;
}
