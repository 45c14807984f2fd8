import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundledExtensionIds, chromeAllowedOrigins, parseHostManifest } from '../../scripts/install/host-manifest.js';
import { installHost, uninstallHost } from '../../scripts/install/install-host.js';
import { parsePosixLauncher } from '../../scripts/install/launcher.js';
import { parseInstallOptions } from '../../scripts/install/options.js';
import { MACOS_ARCHES } from '../../scripts/package/build-macos.js';
import { MACOS_APP_DIR, macosManifestPaths } from '../../scripts/package/macos-scripts.js';
import { systemToolsPresent } from '../helpers/system-tools.js';

/**
 * `npm run package:macos`: each archive unpacked; `file` shows the Mach-O architecture of its Node
 * runtime and of koffi's binary; install.sh, run by Debian's dash (POSIX sh) with HOME redirected,
 * writes the launcher and one manifest per browser with the release ids only; running it again
 * changes nothing; uninstall.sh then leaves HOME exactly as it was, a browser's folder that was
 * there before included. The runtime itself cannot run here: that is for the first real Mac.
 */

const PROJECT = new URL('../../', import.meta.url).pathname.replace(/\/$/, '');
const ready = systemToolsPresent('package-macos.test.ts', ['/usr/bin/file', '/bin/dash', '/usr/bin/tar']);
const version = (JSON.parse(readFileSync(join(PROJECT, 'package.json'), 'utf8')) as { version: string }).version;
const ids = bundledExtensionIds();
const LEFTOVER = join(PROJECT, 'dist/cli/backend-LEFTOVER.js');
const MACH_O: Record<(typeof MACOS_ARCHES)[number], string> = { arm64: 'arm64', x64: 'x86_64' };

function fileType(path: string): string {
  return execFileSync('file', ['-b', path], { encoding: 'utf8' }).trim();
}

/** Every path below `dir`, relative, with its type and mode: to compare before and after. */
function tree(dir: string): string[] {
  const out = execFileSync('find', ['.', '-mindepth', '1', '-printf', '%y %m %p\\n'], { cwd: dir, encoding: 'utf8' });
  return out
    .split('\n')
    .filter((l) => l !== '')
    .sort();
}

function runScript(script: string, home: string): string {
  return execFileSync('dash', [script], { env: { PATH: process.env.PATH, HOME: home }, encoding: 'utf8' });
}

/**
 * install.sh, then `install-host --browser chrome` with another backend (its launcher goes in the
 * same folder, its manifest over install.sh's), then uninstall.sh: install-host's files stay.
 */
async function besideInstallHost(folder: string, home: string): Promise<void> {
  runScript(join(folder, 'install.sh'), home);
  const appDir = join(home, MACOS_APP_DIR);
  const args = ['--os', 'darwin', '--root', '/', '--home', home, '--browser', 'chrome', '--backend', 'pkcs11'];
  const runtime = ['--node', join(appDir, 'app/node'), '--cli', join(appDir, 'app/bin/hpki-login.js')];
  const options = parseInstallOptions([...args, '--module', '/Library/hpki/p11.dylib', ...runtime]);
  await installHost(options, ids, () => undefined);
  const chrome = macosManifestPaths().find((m) => m.browser === 'chrome')?.path ?? '';
  const ownLauncher = join(appDir, 'chrome/hpki-login-host');
  expect(parseHostManifest(readFileSync(join(home, chrome), 'utf8'))?.path).toBe(ownLauncher);
  runScript(join(folder, 'uninstall.sh'), home);
  expect(existsSync(ownLauncher)).toBe(true);
  expect(existsSync(join(home, chrome))).toBe(true);
  expect(readdirSync(appDir)).toEqual(['chrome']);
  for (const { browser, path } of macosManifestPaths())
    if (browser !== 'chrome') expect(existsSync(join(home, path)), browser).toBe(false);
  await uninstallHost(options, ids, () => undefined);
  expect(existsSync(join(home, chrome))).toBe(false);
  expect(existsSync(join(appDir, 'chrome'))).toBe(false);
}

describe.skipIf(!ready)('the macOS archives', () => {
  let work: string;

  beforeAll(() => {
    // A chunk of an earlier build, as dist/cli keeps them (it is never cleaned): no package takes it.
    mkdirSync(join(PROJECT, 'dist/cli'), { recursive: true });
    writeFileSync(LEFTOVER, 'export const stale = true;\n');
    execFileSync('npm', ['run', 'package:macos'], { cwd: PROJECT, stdio: 'ignore', timeout: 300_000 });
    work = mkdtempSync(join(tmpdir(), 'macos-archive-'));
  }, 360_000);

  afterAll(() => {
    rmSync(LEFTOVER, { force: true });
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  describe.each(MACOS_ARCHES)('%s', (arch) => {
    let folder: string;
    let home: string;

    beforeAll(() => {
      const archive = join(PROJECT, 'dist/release', `hpki-login-${version}-macos-${arch}.tar.gz`);
      execFileSync('tar', ['-xzf', archive, '-C', work]);
      folder = join(work, `hpki-login-${version}-macos-${arch}`);
      home = join(work, `home-${arch}`);
    });

    it(`holds the official Node runtime and koffi's binary for Mach-O ${MACH_O[arch]}, no addon built here`, () => {
      const node = join(folder, 'app/node');
      expect(fileType(node)).toMatch(new RegExp(`^Mach-O 64-bit ${MACH_O[arch]} executable`));
      // Unmodified: the Node.js Foundation's Developer ID signature is still in it.
      expect(readFileSync(node).includes('Developer ID Application: Node.js Foundation')).toBe(true);
      const koffi = join(folder, `app/node_modules/@koromix/koffi-darwin-${arch}/darwin_${arch}/koffi.node`);
      expect(fileType(koffi)).toMatch(new RegExp(`^Mach-O 64-bit ${MACH_O[arch]} dynamically linked shared library`));
      expect(existsSync(join(folder, 'app/node_modules/koffi/package.json'))).toBe(true);
      expect(existsSync(join(folder, 'app/node_modules/pcsclite'))).toBe(false);
      expect(existsSync(join(folder, 'app/node_modules/pkcs11js'))).toBe(false);
      expect(existsSync(join(folder, 'app/node_modules/@koromix/koffi-linux-x64'))).toBe(false);
      expect(existsSync(join(folder, 'app/dist/cli/main.js'))).toBe(true);
      // The files of the last build, by its own list, without source maps: no leftover of another.
      const built = (JSON.parse(readFileSync(join(PROJECT, 'dist/cli/outputs.json'), 'utf8')) as string[]).filter(
        (f) => !f.endsWith('.map'),
      );
      expect(readdirSync(join(folder, 'app/dist/cli')).sort()).toEqual(built);
      for (const script of ['install.sh', 'uninstall.sh'])
        expect(statSync(join(folder, script)).mode & 0o755).toBe(0o755);
    });

    it('install.sh (POSIX sh) writes the launcher and a manifest per browser with the release ids only', () => {
      // A browser's folder that is there before: install.sh must not claim it.
      mkdirSync(join(home, 'Library/Application Support/Google/Chrome'), { recursive: true });
      const before = tree(home);
      runScript(join(folder, 'install.sh'), home);
      const appDir = join(home, MACOS_APP_DIR);
      const launcher = join(appDir, 'hpki-login-host');
      const words = parsePosixLauncher(readFileSync(launcher, 'utf8'));
      expect(words).toEqual([
        join(appDir, 'app/node'),
        join(appDir, 'app/bin/hpki-login.js'),
        'host',
        '--backend',
        'pcsc',
      ]);
      expect(statSync(launcher).mode & 0o777).toBe(0o755);
      expect(fileType(join(appDir, 'app/node'))).toMatch(new RegExp(`Mach-O 64-bit ${MACH_O[arch]}`));
      for (const { browser, path } of macosManifestPaths()) {
        const manifest = parseHostManifest(readFileSync(join(home, path), 'utf8'));
        expect(manifest?.path, browser).toBe(launcher);
        if (browser === 'firefox') expect(manifest?.allowed_extensions).toEqual([ids.firefox.release]);
        else expect(manifest?.allowed_origins).toEqual(chromeAllowedOrigins(ids, 'release'));
      }
      const afterOnce = tree(home);
      runScript(join(folder, 'install.sh'), home);
      expect(tree(home)).toEqual(afterOnce);
      runScript(join(folder, 'uninstall.sh'), home);
      expect(tree(home)).toEqual(before);
    });

    it('uninstall.sh leaves a manifest alone that no longer names our launcher', () => {
      const before = tree(home);
      runScript(join(folder, 'install.sh'), home);
      const [first] = macosManifestPaths();
      const replaced = join(home, first?.path ?? '');
      execFileSync('sed', ['-i', 's#"path": "[^"]*"#"path": "/opt/other/host"#', replaced]);
      runScript(join(folder, 'uninstall.sh'), home);
      expect(existsSync(replaced)).toBe(true);
      expect(existsSync(join(home, MACOS_APP_DIR))).toBe(false);
      // The folder install.sh made for it stays too, as it is not empty.
      rmSync(dirname(replaced), { recursive: true });
      expect(tree(home)).toEqual(before);
    });

    it("uninstall.sh leaves install-host's own launcher in the same folder, and its manifest", () =>
      besideInstallHost(folder, home));
  });
});
