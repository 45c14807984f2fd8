import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ManifestFacts } from '../../../../scripts/install/install-checks.js';
import {
  checkUserHostsPolicy,
  gatherUserHostsPolicy,
  jsonDisablesUserHosts,
  parseRegDword,
} from '../../../../scripts/install/user-hosts-policy.js';

function manifest(browser: string, scope: ManifestFacts['scope']): ManifestFacts {
  return { browser, scope, path: `/x/${browser}-${scope}.json`, flavor: 'chrome', state: 'present' };
}

describe('doctor: the NativeMessagingUserLevelHosts policy', () => {
  const root = mkdtempSync(join(tmpdir(), 'policy-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('reads the DWORD of reg query output, and nothing from other output', () => {
    const key = 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Google\\Chrome';
    expect(parseRegDword(`\r\n${key}\r\n    NativeMessagingUserLevelHosts    REG_DWORD    0x0\r\n\r\n`)).toBe(0);
    expect(parseRegDword(`${key}\r\n    NativeMessagingUserLevelHosts    REG_DWORD    0x1\r\n`)).toBe(1);
    expect(parseRegDword('ERROR: The system was unable to find the specified registry key or value.')).toBeUndefined();
    expect(parseRegDword(`${key}\r\n    NativeMessagingUserLevelHosts    REG_SZ    0x0\r\n`)).toBeUndefined();
  });

  it('a Linux managed policy file with false turns per-user hosts off; true, other keys or bad JSON do not', async () => {
    expect(jsonDisablesUserHosts('{"NativeMessagingUserLevelHosts": false}')).toBe(true);
    expect(jsonDisablesUserHosts('{"NativeMessagingUserLevelHosts": true}')).toBe(false);
    expect(jsonDisablesUserHosts('{"NativeMessagingUserLevelHosts": 0}')).toBe(false);
    expect(jsonDisablesUserHosts('{"NativeMessagingUserLevelHosts": fal')).toBe(false);
    const chrome = join(root, 'etc/opt/chrome/policies/managed');
    const chromium = join(root, 'etc/chromium/policies/managed');
    mkdirSync(chrome, { recursive: true });
    mkdirSync(chromium, { recursive: true });
    writeFileSync(join(chrome, 'hospital.json'), '{"NativeMessagingUserLevelHosts": false}');
    writeFileSync(join(chromium, 'other.json'), '{"NativeMessagingUserLevelHosts": true}');
    expect(await gatherUserHostsPolicy('linux', root)).toEqual([
      { browser: 'chrome', source: join(chrome, 'hospital.json') },
    ]);
  });

  it('an error when the browser has only a per-user manifest, a warning when a per-machine one is there', () => {
    const policy = [{ browser: 'edge' as const, source: 'HKLM\\SOFTWARE\\Policies\\Microsoft\\Edge' }];
    const blocked = checkUserHostsPolicy(policy, [manifest('edge', 'user'), manifest('chrome', 'system')]);
    expect(blocked.map((f) => [f.id, f.severity])).toEqual([['policy.user-hosts-blocked', 'error']]);
    expect(blocked[0]?.message.en).toContain('HKLM\\SOFTWARE\\Policies\\Microsoft\\Edge');
    expect(blocked[0]?.fix?.en).toContain('MSI');
    const fine = checkUserHostsPolicy(policy, [manifest('edge', 'user'), manifest('edge', 'system')]);
    expect(fine.map((f) => [f.id, f.severity])).toEqual([['policy.user-hosts-disabled', 'warning']]);
    expect(checkUserHostsPolicy([], [manifest('edge', 'user')])).toEqual([]);
  });
});
