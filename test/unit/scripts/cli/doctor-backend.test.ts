import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { run as runDoctor } from '../../../../scripts/cli/doctor-command.js';
import { run as runInstall } from '../../../../scripts/cli/install-host-command.js';

/**
 * `hpki-login doctor` judges pcscd only for a setup that uses it: by default it checks the card path
 * the installed host uses, so a PKCS#11 installation gets no pcscd error. PCSCLITE_CSOCK_NAME points at
 * a socket where nothing listens, so "no pcscd" is what a pcsc setup sees here, whatever runs on the machine.
 */

let work: string;
let stdout: string;
const savedSocket = process.env.PCSCLITE_CSOCK_NAME;
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'doctor-backend-'));
  process.env.PCSCLITE_CSOCK_NAME = join(work, 'nothing-listens.comm');
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
});
afterEach(() => {
  if (savedSocket === undefined) delete process.env.PCSCLITE_CSOCK_NAME;
  else process.env.PCSCLITE_CSOCK_NAME = savedSocket;
  rmSync(work, { recursive: true, force: true });
  vi.restoreAllMocks();
});

async function pcscdFindings(args: string[]): Promise<string[]> {
  stdout = '';
  await runDoctor(['--json', ...args]);
  const report = JSON.parse(stdout) as { findings: { id: string; severity: string }[] };
  return report.findings.filter((f) => f.id.startsWith('pcscd.')).map((f) => `${f.severity}:${f.id}`);
}

describe('doctor and pcscd', () => {
  const where = (): string[] => ['--root', join(work, 'root'), '--home', '/home/doctor', '--os', 'linux'];
  beforeEach(() => mkdirSync(join(work, 'root')));

  it('a PKCS#11 installation: no pcscd finding at all', async () => {
    const module = ['--backend', 'pkcs11', '--module', '/opt/vendor/lib/libhpki-pkcs11.so'];
    expect(await runInstall(['--browser', 'chromium', ...module, ...where()])).toBe(0);
    expect(await pcscdFindings(where())).toEqual([]);
  });

  it('a PC/SC installation, or none yet: pcscd is judged', async () => {
    expect(await pcscdFindings(where())).toEqual(['error:pcscd.not-running']);
    expect(await runInstall(['--browser', 'chromium', ...where()])).toBe(0);
    expect(await pcscdFindings(where())).toEqual(['error:pcscd.not-running']);
  });

  it('--backend says which, whatever is installed', async () => {
    expect(await pcscdFindings([...where(), '--backend', 'pcsc'])).toEqual(['error:pcscd.not-running']);
    expect(await pcscdFindings([...where(), '--backend', 'none'])).toEqual([]);
  });
});
