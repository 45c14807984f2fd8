import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { SSO_UNIT_PATH, ssoUnit } from '../../../../scripts/package/sso-unit.js';

/**
 * The provider's systemd unit in the .deb: systemd itself checks it (`systemd-analyze verify`) and
 * rates its exposure (`systemd-analyze security --offline`, 0 = locked down … 10 = exposed).
 */

const run = promisify(execFile);
const hasSystemd = await run('systemd-analyze', ['--version']).then(
  () => true,
  () => false,
);

describe('hpki-login-sso.service', () => {
  const unit = ssoUnit('/usr/lib/hpki-login/node', '/usr/lib/hpki-login/bin/hpki-login.js');

  it('runs the provider as a dynamic user on a read-only system, its keys in its state directory', () => {
    expect(SSO_UNIT_PATH).toBe('/usr/lib/systemd/system/hpki-login-sso.service');
    for (const line of [
      'DynamicUser=yes',
      'ProtectSystem=strict',
      'NoNewPrivileges=yes',
      'PrivateDevices=yes',
      'CapabilityBoundingSet=',
      'StateDirectory=hpki-login-sso',
      'LoadCredential=clients.json:/etc/hpki-login/sso-clients.json',
    ])
      expect(unit.split('\n')).toContain(line);
    expect(unit).toMatch(/^ExecStart=\/usr\/lib\/hpki-login\/node \/usr\/lib\/hpki-login\/bin\/hpki-login\.js sso /m);
    expect(unit).toContain(`--keys ${'$'}{STATE_DIRECTORY}/keys.json`);
  });

  it.skipIf(!hasSystemd)('passes systemd-analyze verify, with an exposure of at most 2.0 ("OK")', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hpki-unit-'));
    try {
      const file = join(dir, 'hpki-login-sso.service');
      await writeFile(file, unit);
      const verify = await run('systemd-analyze', ['verify', file]).catch((err: { stderr?: string }) => err);
      // verify checks that ExecStart's binary exists: only that complaint is acceptable here.
      const complaints = String((verify as { stderr?: string }).stderr ?? '')
        .split('\n')
        .filter((l) => l.trim() !== '' && !l.includes('/usr/lib/hpki-login/node'));
      expect(complaints).toEqual([]);
      const { stdout } = await run('systemd-analyze', ['security', '--offline=true', '--no-pager', file]);
      const score = Number(/Overall exposure level for [^:]+: ([\d.]+)/.exec(stdout)?.[1]);
      expect(score).toBeLessThanOrEqual(2.0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
