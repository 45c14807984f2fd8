import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmdirSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NativeClient, startNativeHost } from '../../scripts/dev/native-client.js';
import type { PcscdHandle } from '../../scripts/dev/pcscd.js';
import { startPcscd, VPCD_READER } from '../../scripts/dev/pcscd.js';
import { bundledExtensionIds, parseHostManifest } from '../../scripts/install/host-manifest.js';
import { systemToolsPresent } from '../helpers/system-tools.js';

/**
 * The Debian package end to end: build it, `dpkg -i`, let the *installed* host (found through the
 * installed Chromium manifest, run by its own Node runtime) answer native-messaging frames over a
 * real pcscd with a virtual card, `dpkg -r`, and check that nothing of the package is left behind
 * and that the browsers' own directories, even empty ones, are.
 */

const PROJECT = new URL('../../', import.meta.url).pathname;
const ready = systemToolsPresent('deb.test.ts', ['/usr/bin/dpkg', '/usr/bin/dpkg-deb', '/usr/sbin/pcscd'], true);

const MANIFEST = '/etc/chromium/native-messaging-hosts/jp.hpkilogin.host.json';
const SYSTEM_MANIFESTS = [
  '/etc/opt/chrome/native-messaging-hosts/jp.hpkilogin.host.json',
  '/etc/chromium/native-messaging-hosts/jp.hpkilogin.host.json',
  '/etc/opt/edge/native-messaging-hosts/jp.hpkilogin.host.json',
  '/usr/lib/mozilla/native-messaging-hosts/jp.hpkilogin.host.json',
  '/usr/lib64/mozilla/native-messaging-hosts/jp.hpkilogin.host.json',
];
/** A browser's directory, there before the package: it must outlive the package, empty as it is. */
const SHARED_DIR = '/etc/opt/chrome';
const EXTENSION_ORIGIN = 'chrome-extension://abcdefghijklmnopabcdefghijklmnop/';

function installed(): boolean {
  try {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a dpkg-query format, not a template.
    return execFileSync('dpkg-query', ['-W', '-f=${Status}', 'hpki-login'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).includes('install ok installed');
  } catch {
    return false;
  }
}

/** dpkg still has a record of the package (installed, or removed with its config-files state). */
function known(): boolean {
  try {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a dpkg-query format, not a template.
    const status = execFileSync('dpkg-query', ['-W', '-f=${Status}', 'hpki-login'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return !status.includes('not-installed');
  } catch {
    return false;
  }
}

describe.skipIf(!ready)('the .deb: install, talk to the installed host, remove', () => {
  let deb: string;
  let shipped: string[];
  let existedBefore: Set<string>;
  let work: string;
  /** Directories this test made to stand for a browser's, removed again at the end. */
  const madeByTest: string[] = [];
  /** The directories on the way to each manifest that existed before the install. */
  let dirsBefore: Set<string>;

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'deb-test-'));
    if (known()) execFileSync('dpkg', ['--purge', 'hpki-login'], { stdio: 'ignore' });
    for (const dir of ['/etc/opt', SHARED_DIR]) {
      if (existsSync(dir)) continue;
      mkdirSync(dir, { mode: 0o755 });
      madeByTest.unshift(dir);
    }
    dirsBefore = new Set(
      SYSTEM_MANIFESTS.flatMap((m) => {
        const dirs: string[] = [];
        for (let d = dirname(m); d !== '/'; d = dirname(d)) dirs.push(d);
        return dirs;
      }).filter((d) => existsSync(d)),
    );
    execFileSync('npm', ['run', 'package:deb'], { cwd: PROJECT, stdio: 'ignore', timeout: 300_000 });
    const version = (JSON.parse(readFileSync(join(PROJECT, 'package.json'), 'utf8')) as { version: string }).version;
    deb = join(PROJECT, 'dist', `hpki-login_${version}_amd64.deb`);
    shipped = execFileSync('dpkg-deb', ['-c', deb], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => (l.split(/\s+/).slice(5).join(' ').split(' -> ')[0] ?? '').replace(/^\./, '').replace(/\/$/, ''))
      .filter((p) => p !== '');
    existedBefore = new Set(shipped.filter((p) => existsSync(p)));
  }, 360_000);

  afterAll(() => {
    if (known()) execFileSync('dpkg', ['--purge', 'hpki-login'], { stdio: 'ignore' });
    for (const dir of madeByTest) if (existsSync(dir) && readdirSync(dir).length === 0) rmdirSync(dir);
    rmSync(work, { recursive: true, force: true });
  });

  it('ships the runtime, the launcher and a manifest for every browser', () => {
    for (const path of [
      '/usr/lib/hpki-login/node',
      '/usr/lib/hpki-login/hpki-login-host',
      '/usr/lib/hpki-login/node_modules/koffi/package.json',
      '/usr/lib/hpki-login/node_modules/@koromix/koffi-linux-x64/linux_x64/koffi.node',
      '/usr/lib/hpki-login/node_modules/pkcs11js/build/Release/pkcs11.node',
      '/usr/bin/hpki-login',
      ...SYSTEM_MANIFESTS.map((m) => `/usr/lib/hpki-login/host-manifests${m}`),
    ]) {
      expect(shipped, path).toContain(path);
    }
    expect(shipped.some((p) => p.includes('obj.target'))).toBe(false);
    // The browsers' directories are not the package's: postinst puts the manifests there.
    expect(
      shipped.filter((p) => p.startsWith('/etc') || p.startsWith('/usr/lib/mozilla') || p.startsWith('/usr/lib64')),
    ).toEqual([]);
  });

  it('bundles the pinned Node 24 of .node-version, says so in its metadata, and it runs', () => {
    const pinned = readFileSync(join(PROJECT, '.node-version'), 'utf8').trim();
    expect(pinned).toMatch(/^24\./);
    expect(execFileSync('dpkg-deb', ['-f', deb, 'Bundled-Node'], { encoding: 'utf8' }).trim()).toBe(pinned);
    const unpacked = join(work, 'unpacked');
    execFileSync('dpkg-deb', ['-x', deb, unpacked]);
    const version = execFileSync(join(unpacked, 'usr/lib/hpki-login/node'), ['--version'], { encoding: 'utf8' }).trim();
    expect(version).toBe(`v${pinned}`);
    // Its addons load in it: the host starts and says hello from the unpacked tree.
    const addons = execFileSync(
      join(unpacked, 'usr/lib/hpki-login/node'),
      ['-e', "require('koffi'); require('pkcs11js'); console.log('ok')"],
      {
        cwd: join(unpacked, 'usr/lib/hpki-login'),
        encoding: 'utf8',
      },
    );
    expect(addons.trim()).toBe('ok');
  });

  it('dpkg -i, then the installed host answers status and get-certificate over pcscd + vpcd', async () => {
    execFileSync('dpkg', ['-i', deb], { stdio: 'ignore' });
    expect(installed()).toBe(true);
    const manifest = parseHostManifest(readFileSync(MANIFEST, 'utf8'));
    expect(manifest?.path).toBe('/usr/lib/hpki-login/hpki-login-host');
    // The published builds only: never the development build, whose key is in the repository.
    const ids = bundledExtensionIds();
    for (const path of SYSTEM_MANIFESTS) {
      const m = parseHostManifest(readFileSync(path, 'utf8'));
      expect(m?.path, path).toBe('/usr/lib/hpki-login/hpki-login-host');
      if (path.includes('mozilla')) {
        expect(m?.allowed_extensions, path).toEqual([ids.firefox.release]);
      } else {
        expect(m?.allowed_origins, path).toEqual(ids.chrome.store.map((id) => `chrome-extension://${id}/`));
      }
      expect(JSON.stringify(m), path).not.toContain(ids.chrome.development);
      expect(JSON.stringify(m), path).not.toContain(ids.firefox.development);
    }

    const pcscd: PcscdHandle = await startPcscd();
    let serve: ChildProcess | undefined;
    let host: NativeClient | undefined;
    try {
      const card = join(work, 'doctor.card');
      execFileSync(
        '/usr/bin/hpki-login',
        [
          'mock-card',
          'create',
          '--out',
          card,
          '--pki',
          join(work, 'pki'),
          '--name',
          'Deb Doctor',
          '--role',
          'Medical Doctor',
          '--pin',
          '1234',
        ],
        { stdio: 'ignore', timeout: 120_000 },
      );
      serve = spawn(
        '/usr/bin/hpki-login',
        ['mock-card', 'serve', '--card', card, '--vpcd', `127.0.0.1:${pcscd.vpcdPort}`],
        { stdio: 'ignore' },
      );

      // Started as a browser starts it: the manifest's path, the caller's origin, no PATH to a Node
      // (and the test pcscd's socket, which the browser would pass on from its own environment).
      host = startNativeHost(manifest?.path ?? '', [EXTENSION_ORIGIN], {
        PATH: '/nonexistent',
        PCSCLITE_CSOCK_NAME: pcscd.socket,
      });
      const hello = (await host.hello) as { hello: { protocol: number; backend: string } };
      expect(hello.hello).toMatchObject({ protocol: 1, backend: 'pcsc' });
      // The launcher exec'd the packaged runtime, not any Node on the machine.
      expect(readlinkSync(`/proc/${host.process.pid}/exe`)).toBe('/usr/lib/hpki-login/node');

      let readers: { name: string; cardPresent: boolean; cardType: string | null }[] = [];
      for (let id = 1; id < 100 && !readers.some((r) => r.name === VPCD_READER && r.cardPresent); id++) {
        if (id > 1) await sleep(200);
        readers = ((await host.request({ id, command: 'status' })) as { result: { readers: typeof readers } }).result
          .readers;
      }
      expect(readers).toContainEqual({ name: VPCD_READER, cardPresent: true, cardType: null });

      const answer = (await host.request({
        id: 'cert',
        command: 'get-certificate',
        params: { reader: VPCD_READER },
      })) as {
        id: string;
        result: { certificate: string; holder: { name: string; role: string }; pinRetriesLeft: number };
      };
      const cardFile = JSON.parse(readFileSync(card, 'utf8')) as { applications: { auth: { certificate: string } } };
      expect(answer.id).toBe('cert');
      expect(answer.result.certificate).toBe(cardFile.applications.auth.certificate);
      expect(answer.result.holder).toMatchObject({ name: 'Deb Doctor', role: 'Medical Doctor' });
      expect(answer.result.pinRetriesLeft).toBe(15);

      const started = Date.now();
      expect(await host.close()).toBe(0);
      expect(Date.now() - started).toBeLessThan(1500);

      // doctor, run by the installed package, names its own runtime as supported.
      const doctor = spawnSync('/usr/bin/hpki-login', ['doctor', '--json'], { encoding: 'utf8', timeout: 60_000 });
      const report = JSON.parse(doctor.stdout) as { findings: { id: string; message: { en: string } }[] };
      const runtime = report.findings.find((f) => f.id.startsWith('runtime.'));
      expect(runtime?.id).toBe('runtime.supported');
      expect(runtime?.message.en).toContain(`(/usr/lib/hpki-login/node)`);
      expect(runtime?.message.en).toMatch(/Node\.js 24\./);
      expect(report.findings.filter((f) => f.id === 'manifest.development-id')).toEqual([]);
    } finally {
      host?.process.kill('SIGKILL');
      serve?.kill('SIGTERM');
      await pcscd.stop();
    }
  }, 300_000);

  it('dpkg -r leaves nothing of the package behind, and every directory that was there before', () => {
    execFileSync('dpkg', ['-r', 'hpki-login'], { stdio: 'ignore' });
    expect(installed()).toBe(false);
    const left = shipped.filter((p) => !existedBefore.has(p) && existsSync(p));
    expect(left).toEqual([]);
    expect(existsSync('/usr/lib/hpki-login')).toBe(false);
    expect(existsSync('/var/lib/hpki-login')).toBe(false);
    for (const path of SYSTEM_MANIFESTS) expect(existsSync(path), path).toBe(false);
    // Directories postinst made go; those that were there stay, the empty browser directory too.
    expect(existsSync(SHARED_DIR)).toBe(true);
    expect(readdirSync(SHARED_DIR)).toEqual([]);
    for (const m of SYSTEM_MANIFESTS) {
      for (let d = dirname(m); d !== '/'; d = dirname(d)) expect(existsSync(d), d).toBe(dirsBefore.has(d));
    }
    // A package with a postrm stays known to dpkg ("config-files") until purged; purge runs postrm once more.
    execFileSync('dpkg', ['--purge', 'hpki-login'], { stdio: 'ignore' });
    expect(known()).toBe(false);
  });
});
