import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { gatherManifestFacts } from '../../../../scripts/install/manifest-facts.js';
import { parseRegDefault } from '../../../../scripts/install/windows-registry.js';

describe('doctor on Windows: the manifest the registry names, and a launcher beside it', () => {
  const root = mkdtempSync(join(tmpdir(), 'doctor-win-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('reads the default value of reg query /ve output, in any display language', () => {
    const key = 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Google\\Chrome\\NativeMessagingHosts\\jp.hpkilogin.host';
    const value = 'C:\\Program Files\\HPKI Login\\jp.hpkilogin.host.chrome.json';
    expect(parseRegDefault(`\r\n${key}\r\n    (Default)    REG_SZ    ${value}\r\n\r\n`)).toBe(value);
    expect(parseRegDefault(`${key}\r\n    (既定)    REG_SZ    ${value}\r\n`)).toBe(value);
    expect(parseRegDefault(`${key}\r\n    (Default)    REG_EXPAND_SZ    %ProgramFiles%\\x.json\r\n`)).toBe(
      '%ProgramFiles%\\x.json',
    );
    expect(
      parseRegDefault('ERROR: The system was unable to find the specified registry key or value.'),
    ).toBeUndefined();
  });

  it('resolves a relative launcher path against the manifest folder, as the browsers do on Windows', async () => {
    const dir = join(root, 'C', 'Users', 'x', 'AppData', 'Local', 'hpki-login', 'chrome');
    mkdirSync(dir, { recursive: true });
    const manifest = { name: 'jp.hpkilogin.host', path: 'hpki-login-host.cmd', type: 'stdio', allowed_origins: [] };
    writeFileSync(join(dir, 'jp.hpkilogin.host.json'), JSON.stringify(manifest));
    const query = { os: 'win32' as const, home: 'C:\\Users\\x', root, browsers: ['chrome' as const] };
    const [missing] = await gatherManifestFacts(query);
    expect(missing?.launcher).toMatchObject({
      path: 'C:\\Users\\x\\AppData\\Local\\hpki-login\\chrome\\hpki-login-host.cmd',
      exists: false,
    });
    writeFileSync(join(dir, 'hpki-login-host.cmd'), '@echo off\r\n');
    const [present] = await gatherManifestFacts(query);
    expect(present?.launcher).toMatchObject({ exists: true, executable: true });
  });
});
