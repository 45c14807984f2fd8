import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { run as runInstall } from '../../../../scripts/cli/install-host-command.js';
import { run as runUninstall } from '../../../../scripts/cli/uninstall-host-command.js';
import type { ExtensionIds } from '../../../../scripts/install/host-manifest.js';
import {
  bundledExtensionIds,
  chromeAllowedOrigins,
  parseHostManifest,
} from '../../../../scripts/install/host-manifest.js';
import { installHost, uninstallHost } from '../../../../scripts/install/install-host.js';
import { parseInstallOptions } from '../../../../scripts/install/options.js';

const IDS: ExtensionIds = {
  chrome: { development: 'abcdefghijklmnopabcdefghijklmnop', store: ['ponmlkjihgfedcbaponmlkjihgfedcba'] },
  firefox: { development: 'hpki-login-dev@hpkilogin.jp', release: 'hpki-login@hpkilogin.jp' },
};
const STORE_ORIGIN = 'chrome-extension://ponmlkjihgfedcbaponmlkjihgfedcba/';

let work: string;
let out: string[];

beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'install-host-'));
  out = [];
});
afterEach(() => {
  rmSync(work, { recursive: true, force: true });
  vi.restoreAllMocks();
});

/** Every file and directory below `dir`, relative, with file contents: to compare trees. */
function snapshot(dir: string): Record<string, string> {
  const result: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) {
        result[`${relative(dir, p)}/`] = '';
        walk(p);
      } else result[relative(dir, p)] = readFileSync(p, 'utf8');
    }
  };
  walk(dir);
  return result;
}

async function install(args: string[]): Promise<void> {
  await installHost(parseInstallOptions(args, work), IDS, (l) => out.push(l));
}
async function uninstall(args: string[]): Promise<void> {
  await uninstallHost(parseInstallOptions(args, work), IDS, (l) => out.push(l));
}

const SYSTEM_NODE = '/usr/lib/hpki-login/node';
const SYSTEM_CLI = '/usr/lib/hpki-login/bin/hpki-login.js';

/**
 * The runtime laid out as the .deb does, below the test's --root (whose owner stands for root
 * there); returns the options that point the launcher at it.
 */
function stageSystemRuntime(): string[] {
  for (const file of [SYSTEM_NODE, SYSTEM_CLI]) {
    mkdirSync(join(work, dirname(file)), { recursive: true });
    writeFileSync(join(work, file), '');
    chmodSync(join(work, file), 0o755);
  }
  for (const dir of ['usr', 'usr/lib', 'usr/lib/hpki-login', 'usr/lib/hpki-login/bin'])
    chmodSync(join(work, dir), 0o755);
  return ['--node', SYSTEM_NODE, '--cli', SYSTEM_CLI];
}

function captureStdout(): { text: () => string } {
  const chunks: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString());
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString());
    return true;
  });
  return { text: () => chunks.join('') };
}

describe('install-host --browser chromium --user-data-dir (the path the e2e tests use)', () => {
  it('writes a manifest naming an executable launcher that starts the CLI with the backend options', async () => {
    const profile = join(work, 'profile dir');
    // A stand-in CLI that prints the arguments it receives, so the launcher is run for real.
    const cli = join(work, "it's a cli.mjs");
    writeFileSync(cli, 'process.stdout.write(JSON.stringify(process.argv.slice(2)));\n');
    const card = join(work, 'cards', 'doctor card.json');
    await install([
      '--browser',
      'chromium',
      '--user-data-dir',
      profile,
      '--backend',
      'mock',
      '--card',
      card,
      '--cli',
      cli,
    ]);

    const manifestPath = join(profile, 'NativeMessagingHosts', 'jp.hpkilogin.host.json');
    const manifest = parseHostManifest(readFileSync(manifestPath, 'utf8'));
    expect(manifest?.name).toBe('jp.hpkilogin.host');
    expect(manifest?.type).toBe('stdio');
    expect(manifest?.allowed_origins).toEqual([STORE_ORIGIN]);
    const launcher = manifest?.path ?? '';
    expect(launcher.startsWith(join(profile, 'NativeMessagingHosts'))).toBe(true);
    expect(statSync(launcher).mode & 0o777).toBe(0o755);
    expect(readFileSync(launcher, 'utf8')).toContain(process.execPath);

    const argv = JSON.parse(
      execFileSync(launcher, ['chrome-extension://abcdefghijklmnopabcdefghijklmnop/'], { encoding: 'utf8' }),
    ) as string[];
    // Browser arguments are not forwarded; the card path arrives intact despite spaces.
    expect(argv).toEqual(['host', '--backend', 'mock', '--card', card]);
    expect(out).toEqual([
      `wrote ${launcher}`,
      `wrote ${manifestPath}`,
      `wrote ${join(profile, 'NativeMessagingHosts', 'hpki-login-host.receipt.json')}`,
    ]);
  });

  it('resolves a relative --card against the working directory and bakes --backend pcsc', async () => {
    const cli = join(work, 'cli.mjs');
    writeFileSync(cli, 'process.stdout.write(JSON.stringify(process.argv.slice(2)));\n');
    await install(['--browser', 'chromium', '--user-data-dir', 'p1', '--backend', 'pcsc', '--cli', cli]);
    await install([
      '--browser',
      'chromium',
      '--user-data-dir',
      'p2',
      '--backend',
      'mock',
      '--card',
      'c.json',
      '--cli',
      cli,
    ]);
    const launch = (p: string): string[] => {
      const manifest = parseHostManifest(
        readFileSync(join(work, p, 'NativeMessagingHosts', 'jp.hpkilogin.host.json'), 'utf8'),
      );
      return JSON.parse(execFileSync(manifest?.path ?? '', { encoding: 'utf8' })) as string[];
    };
    expect(launch('p1')).toEqual(['host', '--backend', 'pcsc']);
    expect(launch('p2')).toEqual(['host', '--backend', 'mock', '--card', join(work, 'c.json')]);
  });

  it('through the CLI entry: uses manifests/extension-ids.json and prints one line per file', async () => {
    const io = captureStdout();
    const profile = join(work, 'p');
    expect(await runInstall(['--browser', 'chromium', '--user-data-dir', profile, '--backend', 'pcsc'])).toBe(0);
    const manifest = parseHostManifest(
      readFileSync(join(profile, 'NativeMessagingHosts', 'jp.hpkilogin.host.json'), 'utf8'),
    );
    expect(manifest?.allowed_origins).toEqual(chromeAllowedOrigins(bundledExtensionIds(), 'release'));
    expect(manifest?.allowed_origins).not.toContain(`chrome-extension://${bundledExtensionIds().chrome.development}/`);
    expect(
      io
        .text()
        .split('\n')
        .filter((l) => l.startsWith('wrote ')),
    ).toHaveLength(3);
    expect(await runUninstall(['--browser', 'chromium', '--user-data-dir', profile])).toBe(0);
    // install created the profile directory itself, so uninstall takes it away again.
    expect(() => statSync(profile)).toThrow();
  });
});

describe('where each browser looks', () => {
  const home = '/home/doctor';
  const userDirs: Record<string, string> = {
    chrome: '.config/google-chrome/NativeMessagingHosts',
    chromium: '.config/chromium/NativeMessagingHosts',
    edge: '.config/microsoft-edge/NativeMessagingHosts',
    brave: '.config/BraveSoftware/Brave-Browser/NativeMessagingHosts',
    firefox: '.mozilla/native-messaging-hosts',
  };
  for (const [browser, dir] of Object.entries(userDirs)) {
    it(`linux user: ${browser} → ~/${dir}`, async () => {
      await install(['--browser', browser, '--home', home, '--root', work, '--os', 'linux']);
      const manifest = parseHostManifest(readFileSync(join(work, home, dir, 'jp.hpkilogin.host.json'), 'utf8'));
      expect(manifest?.path).toBe(`${home}/.local/share/hpki-login/${browser}/hpki-login-host`);
      if (browser === 'firefox') {
        expect(manifest?.allowed_extensions).toEqual(['hpki-login@hpkilogin.jp']);
        expect(manifest?.allowed_origins).toBeUndefined();
      } else expect(manifest?.allowed_origins).toEqual([STORE_ORIGIN]);
      expect(statSync(join(work, manifest?.path ?? '')).mode & 0o777).toBe(0o755);
    });
  }

  it('linux system: Brave shares Chrome’s /etc/opt/chrome, Firefox writes lib and lib64', async () => {
    await install([
      '--system',
      '--browser',
      'chrome',
      '--browser',
      'chromium',
      '--browser',
      'edge',
      '--browser',
      'firefox',
      '--root',
      work,
      '--os',
      'linux',
      '--home',
      home,
      ...stageSystemRuntime(),
    ]);
    const files = Object.keys(snapshot(work))
      .filter((p) => p.endsWith('jp.hpkilogin.host.json'))
      .sort();
    expect(files).toEqual([
      'etc/chromium/native-messaging-hosts/jp.hpkilogin.host.json',
      'etc/opt/chrome/native-messaging-hosts/jp.hpkilogin.host.json',
      'etc/opt/edge/native-messaging-hosts/jp.hpkilogin.host.json',
      'usr/lib/mozilla/native-messaging-hosts/jp.hpkilogin.host.json',
      'usr/lib64/mozilla/native-messaging-hosts/jp.hpkilogin.host.json',
    ]);
    const chrome = parseHostManifest(
      readFileSync(join(work, 'etc/opt/chrome/native-messaging-hosts/jp.hpkilogin.host.json'), 'utf8'),
    );
    expect(chrome?.path).toBe('/usr/local/lib/hpki-login/chrome/hpki-login-host');
    await install([
      '--system',
      '--browser',
      'brave',
      '--root',
      work,
      '--os',
      'linux',
      '--home',
      home,
      ...stageSystemRuntime(),
    ]);
    const brave = parseHostManifest(
      readFileSync(join(work, 'etc/opt/chrome/native-messaging-hosts/jp.hpkilogin.host.json'), 'utf8'),
    );
    expect(brave?.path).toBe('/usr/local/lib/hpki-login/brave/hpki-login-host');
  });

  it('macOS user and system directories', async () => {
    const macHome = '/Users/doctor';
    await install([
      '--os',
      'darwin',
      '--root',
      work,
      '--home',
      macHome,
      '--browser',
      'chrome',
      '--browser',
      'edge',
      '--browser',
      'chromium',
      '--browser',
      'firefox',
    ]);
    await install([
      '--os',
      'darwin',
      '--root',
      work,
      '--home',
      macHome,
      '--system',
      '--browser',
      'chrome',
      '--browser',
      'firefox',
      '--browser',
      'edge',
      ...stageSystemRuntime(),
    ]);
    const files = Object.keys(snapshot(work))
      .filter((p) => p.endsWith('jp.hpkilogin.host.json'))
      .sort();
    expect(files).toEqual([
      'Library/Application Support/Mozilla/NativeMessagingHosts/jp.hpkilogin.host.json',
      'Library/Google/Chrome/NativeMessagingHosts/jp.hpkilogin.host.json',
      'Library/Microsoft/Edge/NativeMessagingHosts/jp.hpkilogin.host.json',
      'Users/doctor/Library/Application Support/Chromium/NativeMessagingHosts/jp.hpkilogin.host.json',
      'Users/doctor/Library/Application Support/Google/Chrome/NativeMessagingHosts/jp.hpkilogin.host.json',
      'Users/doctor/Library/Application Support/Microsoft Edge/NativeMessagingHosts/jp.hpkilogin.host.json',
      'Users/doctor/Library/Application Support/Mozilla/NativeMessagingHosts/jp.hpkilogin.host.json',
    ]);
  });

  it('Windows: manifest, .cmd launcher, .reg (UTF-16LE) and PowerShell for HKCU, nothing in the real registry', async () => {
    const winHome = 'C:\\Users\\医師';
    await install([
      '--os',
      'win32',
      '--root',
      work,
      '--home',
      winHome,
      '--browser',
      'edge',
      '--browser',
      'firefox',
      '--node',
      'C:\\Program Files\\nodejs\\node.exe',
      '--cli',
      'C:\\hpki-login\\bin\\hpki-login.js',
    ]);
    const edgeDir = join(work, 'C', 'Users', '医師', 'AppData', 'Local', 'hpki-login', 'edge');
    const manifest = parseHostManifest(readFileSync(join(edgeDir, 'jp.hpkilogin.host.json'), 'utf8'));
    expect(manifest?.path).toBe('C:\\Users\\医師\\AppData\\Local\\hpki-login\\edge\\hpki-login-host.cmd');
    expect(readFileSync(join(edgeDir, 'hpki-login-host.cmd'), 'utf8')).toContain(
      '"C:\\Program Files\\nodejs\\node.exe" "C:\\hpki-login\\bin\\hpki-login.js" "host" "--backend" "pcsc"\r\n',
    );
    const reg = readFileSync(join(edgeDir, 'register.reg'));
    expect([...reg.subarray(0, 2)]).toEqual([0xff, 0xfe]);
    const regText = reg.subarray(2).toString('utf16le');
    expect(regText).toContain(
      '[HKEY_CURRENT_USER\\Software\\Microsoft\\Edge\\NativeMessagingHosts\\jp.hpkilogin.host]\r\n',
    );
    expect(regText).toContain(
      '@="C:\\\\Users\\\\医師\\\\AppData\\\\Local\\\\hpki-login\\\\edge\\\\jp.hpkilogin.host.json"',
    );
    expect(readFileSync(join(edgeDir, 'unregister.reg')).subarray(2).toString('utf16le')).toContain(
      '[-HKEY_CURRENT_USER\\Software\\Microsoft\\Edge\\NativeMessagingHosts\\jp.hpkilogin.host]',
    );
    const firefoxPs = readFileSync(join(edgeDir, '..', 'firefox', 'register.ps1'), 'utf8');
    expect(firefoxPs).toContain("'HKCU:\\Software\\Mozilla\\NativeMessagingHosts\\jp.hpkilogin.host'");
  });

  it("Windows per-user install for Chromium writes its own HKCU key (Software\\Chromium), not Chrome's", async () => {
    await install(['--os', 'win32', '--root', work, '--home', 'C:\\Users\\x', '--browser', 'chromium']);
    const reg = readFileSync(
      join(work, 'C', 'Users', 'x', 'AppData', 'Local', 'hpki-login', 'chromium', 'register.reg'),
    )
      .subarray(2)
      .toString('utf16le');
    expect(reg).toContain('[HKEY_CURRENT_USER\\Software\\Chromium\\NativeMessagingHosts\\jp.hpkilogin.host]');
    expect(reg).not.toContain('Google');
  });

  it('Windows system install registers under HKLM and Program Files', async () => {
    await install(['--os', 'win32', '--root', work, '--home', 'C:\\Users\\x', '--system', '--browser', 'chrome']);
    const reg = readFileSync(join(work, 'C', 'Program Files', 'hpki-login', 'chrome', 'register.reg'))
      .subarray(2)
      .toString('utf16le');
    expect(reg).toContain('[HKEY_LOCAL_MACHINE\\Software\\Google\\Chrome\\NativeMessagingHosts\\jp.hpkilogin.host]');
  });
});

describe('uninstall-host', () => {
  it('removes exactly what install wrote and leaves other hosts and pre-existing directories alone', async () => {
    const home = join(work, 'home');
    const other = join(home, '.config/chromium/NativeMessagingHosts/org.example.other.json');
    mkdirSync(join(home, '.config/chromium/NativeMessagingHosts'), { recursive: true });
    writeFileSync(other, '{"name":"org.example.other"}');
    const before = snapshot(work);
    await install(['--browser', 'chromium', '--browser', 'firefox', '--home', home]);
    expect(snapshot(work)).not.toEqual(before);
    await uninstall(['--home', home]);
    expect(snapshot(work)).toEqual(before);
  });

  it('keeps a manifest that another install now owns (Brave and Chrome share a macOS directory)', async () => {
    const home = '/Users/doctor';
    await install(['--os', 'darwin', '--root', work, '--home', home, '--browser', 'chrome']);
    await install(['--os', 'darwin', '--root', work, '--home', home, '--browser', 'brave']);
    await uninstall(['--os', 'darwin', '--root', work, '--home', home, '--browser', 'chrome']);
    const manifestPath = join(
      work,
      home,
      'Library/Application Support/Google/Chrome/NativeMessagingHosts/jp.hpkilogin.host.json',
    );
    expect(parseHostManifest(readFileSync(manifestPath, 'utf8'))?.path).toContain('/brave/');
    await uninstall(['--os', 'darwin', '--root', work, '--home', home, '--browser', 'brave']);
    expect(() => statSync(manifestPath)).toThrow();
  });

  it('never removes a file a user replaced with their own', async () => {
    const home = join(work, 'home');
    await install(['--browser', 'chrome', '--home', home]);
    const manifestPath = join(home, '.config/google-chrome/NativeMessagingHosts/jp.hpkilogin.host.json');
    writeFileSync(
      manifestPath,
      JSON.stringify({ name: 'jp.hpkilogin.host', path: '/opt/elsewhere/host', type: 'stdio' }),
    );
    await uninstall(['--browser', 'chrome', '--home', home]);
    expect(readFileSync(manifestPath, 'utf8')).toContain('/opt/elsewhere/host');
  });
});

describe('confined browsers', () => {
  it('refuses a snap-only Chromium, explains why in Japanese and English, and writes nothing', async () => {
    mkdirSync(join(work, 'snap/bin'), { recursive: true });
    writeFileSync(join(work, 'snap/bin/chromium'), '');
    const io = captureStdout();
    const before = snapshot(work);
    expect(await runInstall(['--browser', 'chromium', '--root', work, '--home', '/home/u', '--os', 'linux'])).toBe(1);
    expect(snapshot(work)).toEqual(before);
    expect(io.text()).toMatch(/^error: chromium \(snap: .*サンドボックス.*runs confined/m);
  });

  it('installs for a native Chromium and notes that the snap beside it will not see the host', async () => {
    for (const p of ['snap/bin/chromium', 'usr/lib/chromium/chromium']) {
      mkdirSync(join(work, p, '..'), { recursive: true });
      writeFileSync(join(work, p), '');
    }
    await install(['--browser', 'chromium', '--root', work, '--home', '/home/u', '--os', 'linux']);
    expect(out[0]).toMatch(/^note: chromium \(snap/);
    expect(out.some((l) => l.startsWith('wrote ') && l.endsWith('jp.hpkilogin.host.json'))).toBe(true);
  });

  it('refuses a Flatpak-only Brave found in ~/.var/app, and --force overrides', async () => {
    mkdirSync(join(work, 'home/u/.var/app/com.brave.Browser'), { recursive: true });
    const args = ['--browser', 'brave', '--root', work, '--home', '/home/u', '--os', 'linux'];
    const outcome = await installHost(parseInstallOptions(args, work), IDS, (l) => out.push(l));
    expect(outcome.refused).toEqual(['brave']);
    expect(out.join('\n')).toContain('Flatpak');
    const forced = await installHost(parseInstallOptions([...args, '--force'], work), IDS, () => undefined);
    expect(forced.written.brave).toHaveLength(3);
  });

  it('snap Firefox goes ahead (WebExtensions portal) with a note', async () => {
    mkdirSync(join(work, 'home/u/snap/firefox'), { recursive: true });
    const outcome = await installHost(
      parseInstallOptions(['--browser', 'firefox', '--root', work, '--home', '/home/u', '--os', 'linux'], work),
      IDS,
      (l) => out.push(l),
    );
    expect(outcome.refused).toEqual([]);
    expect(out[0]).toMatch(/^note: .*portal/);
  });
});

describe('choosing browsers and refusing bad options', () => {
  it('without --browser installs for the browsers found on the machine', async () => {
    mkdirSync(join(work, 'home/u/.mozilla'), { recursive: true });
    mkdirSync(join(work, 'opt/google/chrome'), { recursive: true });
    writeFileSync(join(work, 'opt/google/chrome/chrome'), '');
    chmodSync(join(work, 'opt/google/chrome/chrome'), 0o755);
    const outcome = await installHost(
      parseInstallOptions(['--root', work, '--home', '/home/u', '--os', 'linux'], work),
      IDS,
      () => undefined,
    );
    expect(Object.keys(outcome.written).sort()).toEqual(['chrome', 'firefox']);
  });

  it('on Windows without --browser, asks for --browser and names the MSI, writing nothing', async () => {
    const options = parseInstallOptions(['--os', 'win32', '--root', work, '--home', 'C:\\Users\\x'], work);
    mkdirSync(join(work, 'C', 'Users', 'x', 'AppData', 'Local', 'Google', 'Chrome', 'User Data'), { recursive: true });
    const before = snapshot(work);
    await expect(installHost(options, IDS, () => undefined)).rejects.toThrow(
      'on Windows, name each browser with --browser (the MSI already sets up every browser)',
    );
    expect(snapshot(work)).toEqual(before);
  });

  it.each([
    [['--backend', 'mock']],
    [['--backend', 'usb']],
    [['--browser', 'safari']],
    [['--card', 'x.json']],
    [['--browser', 'brave', '--user-data-dir', '/tmp/p']],
    [['--browser', 'firefox', '--user-data-dir', '/tmp/p']],
    [['--browser', 'chromium', '--user-data-dir', '/tmp/p', '--system']],
    [['--os', 'win32', '--browser', 'chrome']],
    [['--unknown']],
    [['stray']],
  ])('exits 2 on %j', async (args) => {
    const io = captureStdout();
    expect(await runInstall(args)).toBe(2);
    expect(io.text()).toContain('usage: hpki-login install-host --help');
  });
});
