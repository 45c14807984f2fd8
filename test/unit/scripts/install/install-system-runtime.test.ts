import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { run as runInstall } from '../../../../scripts/cli/install-host-command.js';
import { run as runUninstall } from '../../../../scripts/cli/uninstall-host-command.js';
import { systemRuntimeProblems } from '../../../../scripts/install/system-runtime.js';

/**
 * `install-host --system` makes every user's browser run the launcher, so it refuses a runtime or
 * CLI that one user could change: each file and every directory above it (links followed) must be
 * root's and writable by no group or other user. Below `--root DIR`, DIR's owner stands for root.
 */

const NODE = '/usr/lib/hpki-login/node';
const CLI = '/usr/lib/hpki-login/bin/hpki-login.js';
const isRoot = process.getuid?.() === 0;

let work: string;
let stderr: string;
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'install-system-'));
  stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    return true;
  });
});
afterEach(() => {
  rmSync(work, { recursive: true, force: true });
  vi.restoreAllMocks();
});

/** A file below the test root with every directory on the way 0755. */
function stage(file: string, mode = 0o755): void {
  mkdirSync(join(work, dirname(file)), { recursive: true });
  writeFileSync(join(work, file), '');
  chmodSync(join(work, file), mode);
  for (let d = dirname(file); d !== '/'; d = dirname(d)) chmodSync(join(work, d), 0o755);
}

function installSystem(extra: string[] = []): Promise<number> {
  return runInstall([
    '--system',
    '--browser',
    'chromium',
    '--os',
    'linux',
    '--root',
    work,
    '--home',
    '/root',
    '--node',
    NODE,
    '--cli',
    CLI,
    ...extra,
  ]);
}

const manifest = (): string => join(work, 'etc/chromium/native-messaging-hosts/jp.hpkilogin.host.json');

describe('install-host --system', () => {
  it('installs with the .deb layout (owned by the root, 0755 all the way)', async () => {
    stage(NODE);
    stage(CLI, 0o644);
    expect(await installSystem()).toBe(0);
    expect(existsSync(manifest())).toBe(true);
  });

  it('refuses a world-writable directory above the runtime, names it, and writes nothing', async () => {
    stage(NODE);
    stage(CLI, 0o644);
    chmodSync(join(work, 'usr/lib/hpki-login'), 0o777);
    expect(await installSystem()).toBe(1);
    expect(stderr).toContain('ERR_INSTALL_UNSAFE_RUNTIME');
    expect(stderr).toContain('/usr/lib/hpki-login: writable by every user (mode 0777)');
    expect(stderr).toMatch(/root の所有/);
    expect(existsSync(manifest())).toBe(false);
    expect(existsSync(join(work, 'usr/local/lib/hpki-login'))).toBe(false);
  });

  it('refuses a group-writable CLI', async () => {
    stage(NODE);
    stage(CLI, 0o664);
    expect(await installSystem()).toBe(1);
    expect(stderr).toContain(`${CLI}: writable by its group (mode 0664)`);
  });

  it('follows a link to the runtime and refuses the user-writable directory it lands in (nvm)', async () => {
    stage(CLI, 0o644);
    stage('/home/u/.nvm/versions/node/v24/bin/node');
    chmodSync(join(work, 'home/u/.nvm'), 0o777);
    mkdirSync(join(work, 'usr/bin'), { recursive: true });
    symlinkSync('/home/u/.nvm/versions/node/v24/bin/node', join(work, 'usr/bin/node'));
    expect(await installSystem(['--node', '/usr/bin/node'])).toBe(1);
    expect(stderr).toContain('/home/u/.nvm: writable by every user');
    expect(existsSync(manifest())).toBe(false);
  });

  it('accepts a relative link into a root-owned tree', async () => {
    stage(NODE);
    stage(CLI, 0o644);
    mkdirSync(join(work, 'usr/bin'), { recursive: true });
    chmodSync(join(work, 'usr/bin'), 0o755);
    symlinkSync('../lib/hpki-login/node', join(work, 'usr/bin/node'));
    expect(await systemRuntimeProblems(['/usr/bin/node', CLI], work)).toEqual([]);
  });

  it('refuses a PKCS#11 module (code the host loads) in a directory its group can write', async () => {
    stage(NODE);
    stage(CLI, 0o644);
    stage('/opt/vendor/lib/hpki.so', 0o644);
    chmodSync(join(work, 'opt/vendor'), 0o775);
    expect(await installSystem(['--backend', 'pkcs11', '--module', '/opt/vendor/lib/hpki.so'])).toBe(1);
    expect(stderr).toContain('/opt/vendor: writable by its group (mode 0775)');
  });

  it('refuses a runtime that does not exist', async () => {
    stage(CLI, 0o644);
    expect(await systemRuntimeProblems([NODE, CLI], work)).toEqual([{ path: NODE, reason: 'missing' }]);
  });

  it.skipIf(!isRoot)('refuses a directory owned by another user (as root)', async () => {
    stage(NODE);
    stage(CLI, 0o644);
    chownSync(join(work, 'usr/lib/hpki-login/bin'), 1234, 1234);
    expect(await installSystem()).toBe(1);
    expect(stderr).toContain('/usr/lib/hpki-login/bin: owned by uid 1234, not root');
    expect(existsSync(manifest())).toBe(false);
  });

  it('on the real filesystem (no --root): refuses a runtime in a world-writable directory', async () => {
    const runtime = join(work, 'runtime');
    mkdirSync(runtime);
    chmodSync(runtime, 0o777);
    symlinkSync(process.execPath, join(runtime, 'node'));
    writeFileSync(join(runtime, 'hpki-login.js'), '');
    const system = '/etc/chromium/native-messaging-hosts/jp.hpkilogin.host.json';
    const before = existsSync(system);
    const args = [
      '--system',
      '--browser',
      'chromium',
      '--node',
      join(runtime, 'node'),
      '--cli',
      join(runtime, 'hpki-login.js'),
    ];
    const code = await runInstall(args);
    // Should the check ever be lost, this test must fail without leaving the system install behind.
    if (code === 0) await runUninstall(args);
    expect(code).toBe(1);
    expect(stderr).toContain(`${runtime}: writable by every user (mode 0777)`);
    expect(existsSync(system)).toBe(before);
  });
});
