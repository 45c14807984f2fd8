import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { run as runInstall } from '../../../../scripts/cli/install-host-command.js';
import type { ExtensionIds } from '../../../../scripts/install/host-manifest.js';
import { bundledExtensionIds, parseHostManifest } from '../../../../scripts/install/host-manifest.js';
import { installHost } from '../../../../scripts/install/install-host.js';
import { BROWSERS } from '../../../../scripts/install/locations.js';
import { parseInstallOptions } from '../../../../scripts/install/options.js';

/**
 * Which extension builds a host manifest lets in. The development build's Chrome id comes from a key
 * committed to the repository, so anyone can load an extension with it: only `--development` lists
 * it (and the development gecko id); default installs list the published ids alone.
 */

const IDS: ExtensionIds = {
  chrome: { development: 'abcdefghijklmnopabcdefghijklmnop', store: ['ponmlkjihgfedcbaponmlkjihgfedcba'] },
  firefox: { development: 'hpki-login-dev@hpkilogin.jp', release: 'hpki-login@hpkilogin.jp' },
};
const DEV_ORIGIN = 'chrome-extension://abcdefghijklmnopabcdefghijklmnop/';
const STORE_ORIGIN = 'chrome-extension://ponmlkjihgfedcbaponmlkjihgfedcba/';

const USER_DIRS: Record<(typeof BROWSERS)[number], string> = {
  chrome: '.config/google-chrome/NativeMessagingHosts',
  chromium: '.config/chromium/NativeMessagingHosts',
  edge: '.config/microsoft-edge/NativeMessagingHosts',
  brave: '.config/BraveSoftware/Brave-Browser/NativeMessagingHosts',
  firefox: '.mozilla/native-messaging-hosts',
};

let work: string;
let out: string[];
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'install-trust-'));
  out = [];
});
afterEach(() => {
  rmSync(work, { recursive: true, force: true });
  vi.restoreAllMocks();
});

function allowed(path: string): string[] {
  const manifest = parseHostManifest(readFileSync(path, 'utf8'));
  return manifest?.allowed_origins ?? manifest?.allowed_extensions ?? ['(no list)'];
}

describe.each(BROWSERS)('%s manifest', (browser) => {
  const home = '/home/doctor';
  const manifestPath = (): string => join(work, home, USER_DIRS[browser], 'jp.hpkilogin.host.json');
  const args = (): string[] => ['--browser', browser, '--home', home, '--root', work, '--os', 'linux'];

  it('lists the published ids only by default', async () => {
    await installHost(parseInstallOptions(args(), work), IDS, (l) => out.push(l));
    expect(allowed(manifestPath())).toEqual(browser === 'firefox' ? ['hpki-login@hpkilogin.jp'] : [STORE_ORIGIN]);
    expect(out.some((l) => l.includes('--development'))).toBe(false);
  });

  it('adds the development build with --development, and says so', async () => {
    await installHost(parseInstallOptions([...args(), '--development'], work), IDS, (l) => out.push(l));
    expect(allowed(manifestPath())).toEqual(
      browser === 'firefox' ? ['hpki-login@hpkilogin.jp', 'hpki-login-dev@hpkilogin.jp'] : [STORE_ORIGIN, DEV_ORIGIN],
    );
    expect(out[0]).toMatch(/^warning: --development: .*public/);
  });
});

describe('the ids of manifests/extension-ids.json through the CLI entry', () => {
  const ids = bundledExtensionIds();

  it('has a development gecko id of its own, distinct from the release one', () => {
    expect(ids.firefox.development).not.toBe(ids.firefox.release);
    expect(ids.chrome.store).not.toContain(ids.chrome.development);
  });

  it('a default install lets in neither development id; --development lets in both', async () => {
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const base = ['--home', join(work, 'home'), '--backend', 'pcsc'];
    expect(await runInstall([...base, '--browser', 'chromium', '--browser', 'firefox'])).toBe(0);
    const chromium = join(work, 'home', USER_DIRS.chromium, 'jp.hpkilogin.host.json');
    const firefox = join(work, 'home', USER_DIRS.firefox, 'jp.hpkilogin.host.json');
    expect(allowed(chromium)).toEqual(ids.chrome.store.map((id) => `chrome-extension://${id}/`));
    expect(allowed(chromium)).not.toContain(`chrome-extension://${ids.chrome.development}/`);
    expect(allowed(firefox)).toEqual([ids.firefox.release]);

    expect(await runInstall([...base, '--browser', 'chromium', '--browser', 'firefox', '--development'])).toBe(0);
    expect(allowed(chromium)).toContain(`chrome-extension://${ids.chrome.development}/`);
    expect(allowed(firefox)).toEqual([ids.firefox.release, ids.firefox.development]);
  });

  it('refuses ids files whose development and release ids coincide', async () => {
    const { extensionIdsSchema } = await import('../../../../scripts/install/host-manifest.js');
    const same = { ...ids, firefox: { development: ids.firefox.release, release: ids.firefox.release } };
    expect(extensionIdsSchema.safeParse(same).success).toBe(false);
    const dev = { ...ids, chrome: { development: IDS.chrome.development, store: [IDS.chrome.development] } };
    expect(extensionIdsSchema.safeParse(dev).success).toBe(false);
    expect(extensionIdsSchema.safeParse(ids).success).toBe(true);
  });
});
