import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundledExtensionIds } from '../../scripts/install/host-manifest.js';
import { lintFirefox } from '../../scripts/package/build-extension-zips.js';
import { systemToolsPresent } from '../helpers/system-tools.js';

/**
 * `npm run package:extension`: a zip for the Chrome Web Store and one for addons.mozilla.org, each
 * the store flavour with the release ids, every file its manifest names inside, and the Firefox one
 * clean under `web-ext lint` as unpacked from the zip.
 */

const PROJECT = new URL('../../', import.meta.url).pathname.replace(/\/$/, '');
const ready = systemToolsPresent('package-extension.test.ts', ['/usr/bin/python3']);
const version = (JSON.parse(readFileSync(join(PROJECT, 'package.json'), 'utf8')) as { version: string }).version;
const ids = bundledExtensionIds();

interface Zip {
  names: string[];
  manifest: Record<string, unknown>;
}

/** The entries of a zip and its manifest.json; with `extractTo`, also unpacked there. */
function readZip(path: string, extractTo?: string): Zip {
  const script = [
    'import json, sys, zipfile',
    'z = zipfile.ZipFile(sys.argv[1])',
    'if len(sys.argv) > 2: z.extractall(sys.argv[2])',
    "print(json.dumps({'names': z.namelist(), 'manifest': json.loads(z.read('manifest.json'))}))",
  ].join('\n');
  return JSON.parse(
    execFileSync('python3', ['-c', script, path, ...(extractTo === undefined ? [] : [extractTo])], {
      encoding: 'utf8',
      maxBuffer: 16 * 1024 * 1024,
    }),
  ) as Zip;
}

/** Every file a manifest names: scripts, pages, icons. */
function referenced(m: Record<string, unknown>): string[] {
  const text = JSON.stringify({
    background: m.background,
    action: m.action,
    options_ui: m.options_ui,
    icons: m.icons,
    content_scripts: m.content_scripts,
  });
  return [...text.matchAll(/"([\w/.-]+\.(?:js|html|png))"/g)].map((x) => x[1] ?? '');
}

describe.skipIf(!ready)('npm run package:extension', () => {
  let work: string;
  let output: string;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'package-extension-'));
    output = execFileSync('npm', ['run', 'package:extension'], { cwd: PROJECT, encoding: 'utf8', timeout: 180_000 });
  }, 200_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('writes both zips and names them', () => {
    for (const browser of ['chrome', 'firefox']) {
      const zip = join(PROJECT, 'dist/store', `hpki-login-${browser}-${version}.zip`);
      expect(existsSync(zip), zip).toBe(true);
      expect(output).toContain(`wrote ${zip}`);
    }
  });

  it('the Chrome Web Store zip: the store flavour, manifest at the top, every named file inside', () => {
    const zip = readZip(join(PROJECT, 'dist/store', `hpki-login-chrome-${version}.zip`));
    expect(zip.manifest.manifest_version).toBe(3);
    expect(zip.manifest.version).toBe(version);
    expect(zip.manifest.key).toBeUndefined();
    expect(zip.manifest.host_permissions).toBeUndefined();
    expect(zip.manifest.content_scripts).toBeUndefined();
    expect(zip.manifest.browser_specific_settings).toBeUndefined();
    const files = referenced(zip.manifest);
    expect(files).toContain('background.js');
    for (const f of files) expect(zip.names, f).toContain(f);
    expect(zip.names).toEqual(expect.arrayContaining(['_locales/ja/messages.json', '_locales/en/messages.json']));
  });

  it('the AMO zip: the release gecko id, never the development one, and web-ext lint clean', async () => {
    const unpacked = join(work, 'firefox');
    const zip = readZip(join(PROJECT, 'dist/store', `hpki-login-firefox-${version}.zip`), unpacked);
    const gecko = (zip.manifest.browser_specific_settings as { gecko: { id: string } }).gecko;
    expect(gecko.id).toBe(ids.firefox.release);
    expect(JSON.stringify(zip.manifest)).not.toContain(ids.firefox.development);
    for (const f of referenced(zip.manifest)) expect(zip.names, f).toContain(f);
    const report = await lintFirefox(PROJECT, unpacked);
    expect(report.errors).toEqual([]);
    expect(report.summary.errors).toBe(0);
    // The one warning left: Firefox for Android before 142 ignores data_collection_permissions (no native messaging there anyway).
    expect(report.warnings.map((w) => w.code)).toEqual(['KEY_FIREFOX_ANDROID_UNSUPPORTED_BY_MIN_VERSION']);
  }, 60_000);

  it('the development build keeps a gecko id of its own', () => {
    execFileSync('node', ['scripts/build.mjs', 'extension'], { cwd: PROJECT, stdio: 'ignore', timeout: 120_000 });
    const dev = JSON.parse(readFileSync(join(PROJECT, 'dist/extension/firefox/manifest.json'), 'utf8')) as {
      browser_specific_settings: { gecko: { id: string } };
    };
    expect(dev.browser_specific_settings.gecko.id).toBe(ids.firefox.development);
    expect(ids.firefox.development).not.toBe(ids.firefox.release);
  }, 130_000);
});
