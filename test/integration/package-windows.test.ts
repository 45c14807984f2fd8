import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, win32 } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundledExtensionIds, chromeAllowedOrigins, parseHostManifest } from '../../scripts/install/host-manifest.js';
import { installHost } from '../../scripts/install/install-host.js';
import { parseInstallOptions } from '../../scripts/install/options.js';
import { signFile } from '../../scripts/package/code-signing.js';
import { MSI_REGISTRY_KEYS } from '../../scripts/package/msi-wxs.js';
import { systemToolsPresent } from '../helpers/system-tools.js';
import { WinePrefix } from '../helpers/wine.js';

/**
 * `npm run package:windows`: the MSI's tables as `msiinfo` reads them, then the MSI installed under
 * Wine into a fresh prefix: the HKLM keys through `wine reg query`, each naming an installed manifest
 * with the release ids only whose launcher runs the installed PE32+ x86-64 node.exe, and uninstall
 * leaving nothing. Wine 8 cannot start Node 24 (it crashes in node.exe's start-up), so the installed
 * host itself is not run here; its Windows start is for the first real machine (docs/install.md).
 */

const PROJECT = new URL('../../', import.meta.url).pathname.replace(/\/$/, '');
const ready = systemToolsPresent('package-windows.test.ts', [
  '/usr/bin/wixl',
  '/usr/bin/wixl-heat',
  '/usr/bin/msiinfo',
  '/usr/bin/wine',
  '/usr/bin/file',
  '/usr/bin/osslsigncode',
  '/usr/bin/openssl',
]);
const version = (JSON.parse(readFileSync(join(PROJECT, 'package.json'), 'utf8')) as { version: string }).version;
const MSI = join(PROJECT, 'dist/release', `hpki-login-${version}-windows-x64.msi`);
const INSTALLED = 'C:\\Program Files\\HPKI Login';
const ids = bundledExtensionIds();

/** Rows of one MSI table, each a list of columns (the three header lines dropped). */
function table(name: string): string[][] {
  const text = execFileSync('msiinfo', ['export', MSI, name], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return text
    .split(/\r?\n/)
    .slice(3)
    .filter((l) => l !== '')
    .map((l) => l.split('\t'));
}

function fileType(path: string): string {
  return execFileSync('file', ['-b', path], { encoding: 'utf8' }).trim();
}

/** The words of the launcher's command line, `%~dp0` made the launcher's own folder. */
function launcherCommand(wine: WinePrefix, path: string): string[] {
  const lines = readFileSync(wine.unixPath(path), 'utf8').split('\r\n');
  const command = lines.find((l) => l.startsWith('"'));
  if (command === undefined) throw new Error(`${path} runs nothing`);
  const folder = `${win32.dirname(path)}\\`;
  return [...command.matchAll(/"([^"]*)"/g)].map((m) => (m[1] ?? '').replace('%~dp0', folder));
}

/** Our HKLM keys and every key on the way to them below SOFTWARE. */
function keysAndAncestors(): string[] {
  const all = new Set<string>();
  for (const { key } of MSI_REGISTRY_KEYS) {
    const parts = key.split('\\');
    for (let n = 2; n <= parts.length; n++) all.add(parts.slice(0, n).join('\\'));
  }
  return [...all].sort();
}

let wine: WinePrefix;
let driveBefore: string[];
/** Our keys and every key on the way to them, as `wine reg query` found them before the install. */
let keysBefore: Map<string, string | undefined>;
let installed: Map<string, string | undefined>;

// One package build and one fresh Wine prefix for every describe below.
beforeAll(() => {
  if (!ready) return;
  execFileSync('npm', ['run', 'package:windows'], { cwd: PROJECT, stdio: 'ignore', timeout: 300_000 });
  wine = new WinePrefix(mkdtempSync(join(tmpdir(), 'msi-wine-')));
  expect(wine.run(['wineboot', '-i']).status).toBe(0);
  driveBefore = wine.driveContents();
  keysBefore = wine.regQuery(keysAndAncestors());
  // The query sees keys that are there: a fresh prefix has SOFTWARE\Microsoft, and not our host's.
  expect(keysBefore.get('SOFTWARE\\Microsoft')).toBeDefined();
  expect(keysBefore.get(MSI_REGISTRY_KEYS[0]?.key ?? '')).toBeUndefined();
}, 400_000);

afterAll(() => {
  if (wine === undefined) return;
  wine.stop();
  rmSync(wine.root, { recursive: true, force: true });
});

describe.skipIf(!ready)('the Windows MSI, built with wixl: its tables and its signature', () => {
  it('msiinfo reads a per-machine x64 package: the runtime, the host, koffi for win32-x64, no addon of this machine', () => {
    expect(execFileSync('msiinfo', ['suminfo', MSI], { encoding: 'utf8' })).toMatch(/Template: x64;/);
    const properties = new Map(table('Property').map(([k, v]) => [k, v]));
    expect(properties.get('ALLUSERS')).toBe('1');
    expect(properties.get('ProductVersion')).toBe(version);
    const components = table('Component');
    expect(components.length).toBeGreaterThan(100);
    // 256: msidbComponentAttributes64bit, so the HKLM values land in the 64-bit registry view.
    for (const c of components) expect(Number(c[3]) & 256, c[0]).toBe(256);
    const files = table('File').map((f) => f[2] ?? '');
    const names = files.map((f) => f.split('|').pop());
    for (const name of [
      'node.exe',
      'hpki-login-host.cmd',
      'hpki-login.js',
      'koffi.node',
      'jp.hpkilogin.host.chrome.json',
    ])
      expect(names, name).toContain(name);
    expect(names).not.toContain('pcsclite.node');
    expect(names).not.toContain('pkcs11.node');
  });

  it('msiinfo: one HKLM key per browser, each naming a manifest in the install folder', () => {
    const rows = table('Registry').map(([, root, key, name, value]) => ({ root, key, name, value }));
    expect(rows).toEqual(
      MSI_REGISTRY_KEYS.map((k) => ({ root: '2', key: k.key, name: '', value: `[INSTALLDIR]${k.manifest}` })),
    );
  });

  it('signs with osslsigncode when the operator gives a key (a throwaway self-signed one here), and is unsigned otherwise', async () => {
    const dir = join(wine.root, 'signing');
    mkdirSync(dir);
    const subject = '/CN=HPKI Login test code signing';
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        'key.pem',
        '-out',
        'cert.pem',
        '-days',
        '1',
        '-subj',
        subject,
        '-addext',
        'extendedKeyUsage=codeSigning',
      ],
      { cwd: dir, stdio: 'ignore' },
    );
    writeFileSync(join(dir, 'password'), 'not-a-real-secret\n');
    execFileSync(
      'openssl',
      ['pkcs12', '-export', '-inkey', 'key.pem', '-in', 'cert.pem', '-out', 'key.p12', '-passout', 'file:password'],
      { cwd: dir },
    );
    const verify = (file: string) =>
      spawnSync('osslsigncode', ['verify', '-CAfile', join(dir, 'cert.pem'), '-in', file], { encoding: 'utf8' });
    expect(verify(MSI).status).not.toBe(0);
    const signed = join(dir, 'signed.msi');
    copyFileSync(MSI, signed);
    await signFile(signed, { pkcs12: join(dir, 'key.p12'), passwordFile: join(dir, 'password') }, 'HPKI Login');
    const result = verify(signed);
    expect(result.stdout).toContain('Signature verification: ok');
    expect(result.stdout).toContain(subject);
    expect(existsSync(`${signed}.unsigned`)).toBe(false);
  });
});

describe.skipIf(!ready)('per-user registration under Wine', () => {
  it('install-host per user (HKCU): its register.reg imports with reg.exe and unregister.reg takes the key away', async () => {
    const root = join(wine.root, 'per-user');
    // ASCII: Wine's reg.exe prints through a console code page that turns 医師 into ??; the .reg file's
    // UTF-16 text with non-ASCII names is checked in test/unit/install-host.test.ts.
    const home = 'C:\\users\\doctor';
    const args = ['--os', 'win32', '--root', root, '--home', home, '--browser', 'chromium', '--browser', 'firefox'];
    await installHost(
      parseInstallOptions([...args, '--node', 'C:\\n\\node.exe', '--cli', 'C:\\n\\cli.js'], root),
      ids,
      () => {},
    );
    const chromium = 'Software\\Chromium\\NativeMessagingHosts\\jp.hpkilogin.host';
    const firefox = 'Software\\Mozilla\\NativeMessagingHosts\\jp.hpkilogin.host';
    for (const [browser, key] of [
      ['chromium', chromium],
      ['firefox', firefox],
    ] as const) {
      const dir = join(root, 'C', 'users', 'doctor', 'AppData', 'Local', 'hpki-login', browser);
      const imported = wine.run(['reg', 'import', `Z:${join(dir, 'register.reg').replaceAll('/', '\\')}`]);
      expect(imported.status, imported.output).toBe(0);
      expect(wine.regQuery([key], 'HKCU').get(key)).toBe(
        `${home}\\AppData\\Local\\hpki-login\\${browser}\\jp.hpkilogin.host.json`,
      );
      expect(wine.run(['reg', 'import', `Z:${join(dir, 'unregister.reg').replaceAll('/', '\\')}`]).status).toBe(0);
      expect(wine.regQuery([key], 'HKCU').get(key)).toBeUndefined();
    }
  }, 180_000);
});

describe.skipIf(!ready)('the Windows MSI under Wine', () => {
  describe('installed with msiexec /i /qn into a fresh prefix', () => {
    beforeAll(() => {
      const result = wine.run(['msiexec', '/i', `Z:${MSI.replaceAll('/', '\\')}`, '/qn']);
      expect(result.status, result.output).toBe(0);
      installed = wine.regQuery(MSI_REGISTRY_KEYS.map((k) => k.key));
    }, 300_000);

    it('wine reg query finds each key naming an installed manifest with the release ids only', () => {
      for (const { key, manifest } of MSI_REGISTRY_KEYS) {
        const value = installed.get(key);
        expect(value, key).toBe(`${INSTALLED}\\${manifest}`);
        const parsed = parseHostManifest(readFileSync(wine.unixPath(value ?? ''), 'utf8'));
        expect(parsed?.name).toBe('jp.hpkilogin.host');
        if (manifest.includes('firefox')) {
          expect(parsed?.allowed_extensions).toEqual([ids.firefox.release]);
        } else {
          // One manifest for Chrome, Chromium and Edge: every store's id (Edge reads the first it finds).
          expect(parsed?.allowed_origins).toEqual(chromeAllowedOrigins(ids, 'release'));
          expect(parsed?.allowed_origins).not.toContain(`chrome-extension://${ids.chrome.development}/`);
        }
      }
    });

    it('each manifest names a .cmd launcher that runs the installed PE32+ x86-64 node.exe with the installed CLI', () => {
      for (const { key } of MSI_REGISTRY_KEYS) {
        const manifestPath = installed.get(key) ?? '';
        const parsed = parseHostManifest(readFileSync(wine.unixPath(manifestPath), 'utf8'));
        const launcher = win32.resolve(win32.dirname(manifestPath), parsed?.path ?? '');
        expect(launcher).toBe(`${INSTALLED}\\hpki-login-host.cmd`);
        const [node, cli, ...args] = launcherCommand(wine, launcher);
        expect(node).toBe(`${INSTALLED}\\node.exe`);
        expect(fileType(wine.unixPath(node ?? ''))).toMatch(/^PE32\+ executable \(console\) x86-64/);
        expect(existsSync(wine.unixPath(cli ?? ''))).toBe(true);
        expect(args).toEqual(['host', '--backend', 'pcsc']);
      }
      const koffi = wine.unixPath(`${INSTALLED}\\node_modules\\@koromix\\koffi-win32-x64\\win32_x64\\koffi.node`);
      expect(fileType(koffi)).toMatch(/^PE32\+ executable \(DLL\).*x86-64/);
    });

    it('msiexec /x leaves nothing: no file, no key, not even the parent keys it made', () => {
      const result = wine.run(['msiexec', '/x', `Z:${MSI.replaceAll('/', '\\')}`, '/qn']);
      expect(result.status, result.output).toBe(0);
      const after = wine.regQuery(keysAndAncestors());
      for (const { key } of MSI_REGISTRY_KEYS) expect(after.get(key), key).toBeUndefined();
      expect(after).toEqual(keysBefore);
      expect(existsSync(wine.unixPath(INSTALLED))).toBe(false);
      // Windows Installer's own cache folder (C:\Windows\Installer, on every real Windows) may stay, empty.
      const left = wine.driveContents().filter((p) => !driveBefore.includes(p));
      expect(left.filter((p) => p !== './windows/Installer')).toEqual([]);
    }, 300_000);
  });
});
