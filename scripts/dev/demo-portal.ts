import { type ChildProcess, spawn } from 'node:child_process';
import { CLI } from './native-client.js';

/** The demo portal (`hpki-login demo`, the built CLI) as a real process, driven over HTTP. */

export interface Portal {
  /** Where to connect. */
  url: string;
  /** What tokens are signed for. */
  origin: string;
  process: ChildProcess;
  stderr: () => string;
  /** Everything printed at start (the SSO provider's and the second service's addresses). */
  stdout: () => string;
}

export async function startPortal(args: string[]): Promise<Portal> {
  const child = spawn(process.execPath, [CLI, 'demo', '--port', '0', '--no-browser', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, HPKI_LOGIN_REDIS_URL: '' },
  });
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`portal did not start: ${stderr}`));
    }, 30_000);
    child.once('exit', (code) => reject(new Error(`portal exited with ${code}: ${stderr}`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      const listening = /listening on (http:\/\/127\.0\.0\.1:\d+)\//.exec(stdout);
      const origin = /: (http:\/\/localhost:\d+)\/\n/.exec(stdout);
      if (listening?.[1] !== undefined && origin?.[1] !== undefined && stdout.includes('Press Ctrl+C')) {
        clearTimeout(timer);
        resolve({ url: listening[1], origin: origin[1], process: child, stderr: () => stderr, stdout: () => stdout });
      }
    });
  });
}

/** Stops the portal as Ctrl+C would and resolves with its exit code. */
export async function stopPortal(portal: Portal): Promise<number | null> {
  const child = portal.process;
  if (child.pid === undefined || child.exitCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  process.kill(child.pid, 'SIGTERM');
  return exited;
}

export function sessionCookieOf(res: Response): string | undefined {
  return res.headers
    .getSetCookie()
    .find((c) => c.startsWith('hpki-session='))
    ?.split(';')[0];
}

export async function challengeFrom(portal: Portal, cookie?: string): Promise<{ challenge: string; cookie: string }> {
  const res = await fetch(`${portal.url}/hpki/challenge`, { headers: cookie === undefined ? {} : { cookie } });
  if (res.status !== 200) throw new Error(`GET /hpki/challenge answered ${res.status}`);
  const { challenge } = (await res.json()) as { challenge: string };
  return { challenge, cookie: sessionCookieOf(res) ?? cookie ?? '' };
}
