import type { ChildProcess } from 'node:child_process';
import { startCliService, stopCliService } from './cli-service.js';

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
  const started = await startCliService(
    ['demo', '--port', '0', '--no-browser', ...args],
    (stdout) => {
      const listening = /listening on (http:\/\/127\.0\.0\.1:\d+)\//.exec(stdout)?.[1];
      const origin = /: (http:\/\/localhost:\d+)\/\n/.exec(stdout)?.[1];
      return listening !== undefined && origin !== undefined && stdout.includes('Press Ctrl+C')
        ? { url: listening, origin }
        : undefined;
    },
    'portal',
  );
  return { ...started.ready, process: started.process, stderr: started.stderr, stdout: started.stdout };
}

/** Stops the portal as Ctrl+C would and resolves with its exit code. */
export function stopPortal(portal: Portal): Promise<number | null> {
  return stopCliService(portal.process);
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
