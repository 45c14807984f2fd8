import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { run as runDoctor } from '../../../../scripts/cli/doctor-command.js';
import { run as runInstall } from '../../../../scripts/cli/install-host-command.js';
import { bundledExtensionIds } from '../../../../scripts/install/host-manifest.js';
import type { ManifestFacts } from '../../../../scripts/install/install-checks.js';
import { checkDevelopmentTrust } from '../../../../scripts/install/install-checks.js';
import { expectedIds } from '../../../../scripts/install/manifest-facts.js';

/**
 * `hpki-login doctor` warns, in Japanese and English, about every host manifest on the machine that
 * lets in a development build (its key is public), and says nothing when none does.
 */

const ids = bundledExtensionIds();
const DEV_ORIGIN = `chrome-extension://${ids.chrome.development}/`;
const EXPECTED = expectedIds(ids);

interface Report {
  findings: { id: string; severity: string; message: { ja: string; en: string }; fix?: { ja: string; en: string } }[];
}

let work: string;
let stdout: string;
const savedHome = process.env.HOME;
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'doctor-dev-'));
  stdout = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
});
afterEach(() => {
  process.env.HOME = savedHome;
  rmSync(work, { recursive: true, force: true });
  vi.restoreAllMocks();
});

async function doctor(args: string[]): Promise<Report['findings']> {
  stdout = '';
  await runDoctor(['--json', '--backend', 'none', ...args]);
  return (JSON.parse(stdout) as Report).findings.filter((f) => f.id === 'manifest.development-id');
}

function writeManifest(path: string, list: Record<string, string[]>): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, JSON.stringify({ name: 'jp.hpkilogin.host', path: '/x/host', type: 'stdio', ...list }));
}

describe('doctor and the development build', () => {
  it('warns about a manifest in $HOME allowing the development id, in both languages', async () => {
    const home = join(work, 'home');
    process.env.HOME = home;
    const path = join(home, '.config/google-chrome/NativeMessagingHosts/jp.hpkilogin.host.json');
    writeManifest(path, { allowed_origins: [DEV_ORIGIN] });
    const found = (await doctor([])).filter((f) => f.message.en.includes(home));
    expect(found).toHaveLength(1);
    expect(found[0]?.severity).toBe('warning');
    expect(found[0]?.message.en).toContain(`${path} lets in the development build of the extension (${DEV_ORIGIN})`);
    expect(found[0]?.message.ja).toContain('開発版の拡張機能');
    expect(found[0]?.fix?.en).toContain('hpki-login install-host --browser chrome again without --development');
    expect(found[0]?.fix?.ja).toContain('--development を付けずに');
  });

  it('no warning for a release install; one per manifest after --development, user and system', async () => {
    const root = join(work, 'root');
    mkdirSync(root);
    const where = ['--root', root, '--home', '/home/doctor', '--os', 'linux'];
    const install = ['--browser', 'chromium', '--browser', 'firefox', ...where];
    expect(await runInstall(install)).toBe(0);
    expect(await doctor(where)).toEqual([]);

    expect(await runInstall([...install, '--development'])).toBe(0);
    const firefoxDir = join(root, 'usr/lib/mozilla/native-messaging-hosts');
    writeManifest(join(firefoxDir, 'jp.hpkilogin.host.json'), {
      allowed_extensions: [ids.firefox.release, ids.firefox.development],
    });
    const found = await doctor(where);
    expect(found.map((f) => f.message.en.split(' lets in')[0])).toEqual([
      '/home/doctor/.config/chromium/NativeMessagingHosts/jp.hpkilogin.host.json',
      '/home/doctor/.mozilla/native-messaging-hosts/jp.hpkilogin.host.json',
      '/usr/lib/mozilla/native-messaging-hosts/jp.hpkilogin.host.json',
    ]);
    expect(found[1]?.message.en).toContain(`(${ids.firefox.development})`);
    expect(found[2]?.fix?.en).toContain('update the hpki-login package');
    expect(found[2]?.fix?.en).toContain('sudo hpki-login install-host --system --browser firefox');

    // --browser narrows the other checks, never this one.
    expect(await doctor([...where, '--browser', 'edge'])).toHaveLength(3);
  });

  it('checks the ids as the manifests spell them: a Chrome origin with or without its slash', () => {
    const facts = (over: Partial<ManifestFacts>): ManifestFacts => ({
      browser: 'chromium',
      scope: 'user',
      path: '/m.json',
      flavor: 'chrome',
      state: 'present',
      name: 'jp.hpkilogin.host',
      ...over,
    });
    expect(checkDevelopmentTrust([facts({ allowedOrigins: [DEV_ORIGIN.replace(/\/$/, '')] })], EXPECTED)).toHaveLength(
      1,
    );
    expect(checkDevelopmentTrust([facts({ allowedOrigins: [] }), facts({ state: 'missing' })], EXPECTED)).toEqual([]);
    expect(
      checkDevelopmentTrust(
        [
          facts({
            scope: 'profile',
            path: '/p/NativeMessagingHosts/jp.hpkilogin.host.json',
            allowedOrigins: [DEV_ORIGIN],
          }),
        ],
        EXPECTED,
      )[0]?.fix?.en,
    ).toContain("--user-data-dir '/p'");
  });
});
