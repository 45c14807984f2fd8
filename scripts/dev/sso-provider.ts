import type { ChildProcess } from 'node:child_process';
import { startCliService, stopCliService } from './cli-service.js';

/** `hpki-login sso` (the built CLI) as a real process. */
export interface SsoProcess {
  /** Where this process listens (it may differ from the issuer's port). */
  url: string;
  process: ChildProcess;
  stdout: () => string;
  stderr: () => string;
}

/** `nodeOptions` go to Node before the CLI (the bench's profiler and its `--jitless` run). */
export async function startSso(args: string[], nodeOptions: readonly string[] = []): Promise<SsoProcess> {
  const ready = (stdout: string): string | undefined => {
    const listening = /listening on (http:\/\/[^/\s]+)\//.exec(stdout)?.[1];
    return listening !== undefined && stdout.includes('Press Ctrl+C') ? listening : undefined;
  };
  const started = await startCliService(['sso', ...args], ready, 'sso', nodeOptions);
  return { url: started.ready, process: started.process, stdout: started.stdout, stderr: started.stderr };
}

/** Stops the process as Ctrl+C would and resolves with its exit code. */
export function stopSso(sso: SsoProcess): Promise<number | null> {
  return stopCliService(sso.process, (signal) => process.stderr.write(`sso ended by ${signal}: ${sso.stderr()}\n`));
}
