import { execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The built `hpki-login` CLI as an operator runs it: exit code, stdout's JSON line, stderr; a PIN fed on stdin. */

export const BIN = fileURLToPath(new URL('../../bin/hpki-login.js', import.meta.url));

export interface CliRun {
  code: number;
  json: Record<string, unknown> | undefined;
  stdout: string;
  stderr: string;
}

export function cli(args: readonly string[], stdin?: string): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString('utf8');
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString('utf8');
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      const line = stdout.trim().split('\n').at(-1) ?? '';
      let json: Record<string, unknown> | undefined;
      try {
        json = line === '' ? undefined : (JSON.parse(line) as Record<string, unknown>);
      } catch {
        json = undefined;
      }
      resolve({ code: code ?? -1, json, stdout, stderr });
    });
    child.stdin.end(stdin ?? '');
  });
}

/** `openssl cms -verify -cades` of a detached CMS over `content`, trusting `caFile`: whether it accepts. */
export function opensslCmsVerifies(cms: string, content: string, caFile: string): Promise<boolean> {
  return new Promise((resolve) => {
    // biome-ignore format: the openssl command line reads best on one line
    execFile('openssl', ['cms', '-verify', '-cades', '-binary', '-inform', 'DER', '-in', cms, '-content', content, '-CAfile', caFile, '-purpose', 'any', '-out', '/dev/null'], (err) => resolve(err === null));
  });
}
