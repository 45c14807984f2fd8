import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CATALOGS } from '../../../extension/shared/catalogs.js';
import { CLIENT_ERROR_CODES, VALIDATION_ERROR_CODES } from '../../../protocol/errors.js';
import { composeManifest } from '../../helpers/compose-manifest.js';
import { REPO_URL } from '../../helpers/repo-root.js';

// The manifests as the build composes them from manifests/extension/, for both browsers and both
// flavours: least permissions, the development key only where it belongs, the Firefox id, and
// every message the manifests and pages name present in both languages.

const root = REPO_URL;

const manifestSchema = z
  .object({
    manifest_version: z.literal(3),
    name: z.string(),
    description: z.string(),
    version: z.string(),
    default_locale: z.literal('ja'),
    permissions: z.array(z.string()),
    optional_host_permissions: z.array(z.string()),
    host_permissions: z.array(z.string()).optional(),
    content_scripts: z
      .array(z.object({ matches: z.array(z.string()), js: z.array(z.string()) }).passthrough())
      .optional(),
    background: z.object({ service_worker: z.string().optional(), scripts: z.array(z.string()).optional() }).strict(),
    key: z.string().optional(),
    browser_specific_settings: z
      .object({ gecko: z.object({ id: z.string(), strict_min_version: z.string() }).passthrough() })
      .optional(),
  })
  .passthrough();
type Manifest = z.infer<typeof manifestSchema>;

async function compose(browser: 'chrome' | 'firefox', flavour: 'development' | 'store'): Promise<Manifest> {
  return manifestSchema.parse(await composeManifest(browser, flavour));
}

const ids = z
  .object({
    chrome: z.object({ development: z.string(), store: z.array(z.string()) }),
    firefox: z.object({ development: z.string(), release: z.string() }),
  })
  .parse(JSON.parse(readFileSync(new URL('manifests/extension-ids.json', root), 'utf8')));

/** Chrome's extension id: the first 128 bits of SHA-256 over the public key's DER, in the a–p alphabet. */
function chromeExtensionId(spkiBase64: string): string {
  const hex = createHash('sha256').update(Buffer.from(spkiBase64, 'base64')).digest('hex').slice(0, 32);
  return [...hex].map((c) => String.fromCharCode(97 + parseInt(c, 16))).join('');
}

const LOOPBACK = ['http://localhost/*', 'http://127.0.0.1/*', 'http://[::1]/*'];
const COMBOS = [
  ['chrome', 'development'],
  ['chrome', 'store'],
  ['firefox', 'development'],
  ['firefox', 'store'],
] as const;

describe.each(COMBOS)('manifest %s / %s', (browser, flavour) => {
  it('asks for the least permissions', async () => {
    const m = await compose(browser, flavour);
    expect([...m.permissions].sort()).toEqual(['activeTab', 'nativeMessaging', 'scripting', 'storage']);
    expect(m.optional_host_permissions).toEqual(['https://*/*']);
    const everything = JSON.stringify(m);
    expect(everything).not.toMatch(/<all_urls>|"\*:\/\/|http:\/\/\*\//);
  });

  it('turns loopback development on only in the development flavour', async () => {
    const m = await compose(browser, flavour);
    if (flavour === 'development') {
      expect(m.host_permissions).toEqual(LOOPBACK);
      expect(m.content_scripts).toEqual([
        { matches: LOOPBACK, js: ['content.js'], run_at: 'document_idle', all_frames: false },
      ]);
    } else {
      expect(m.host_permissions).toBeUndefined();
      expect(m.content_scripts).toBeUndefined();
    }
  });

  it('carries the key only in the Chrome development flavour, matching the recorded id', async () => {
    const m = await compose(browser, flavour);
    if (browser === 'chrome' && flavour === 'development') {
      expect(m.key).toBeDefined();
      expect(chromeExtensionId(m.key!)).toBe(ids.chrome.development);
      expect(ids.chrome.development).toMatch(/^[a-p]{32}$/);
    } else {
      expect(m.key).toBeUndefined();
    }
  });

  it('has the right background and browser settings', async () => {
    const m = await compose(browser, flavour);
    expect(m.version).toBe('1.2.3');
    if (browser === 'chrome') {
      expect(m.background).toEqual({ service_worker: 'background.js' });
      expect(m.browser_specific_settings).toBeUndefined();
    } else {
      expect(m.background).toEqual({ scripts: ['background.js'] });
      const gecko = m.browser_specific_settings!.gecko;
      // The development build has a gecko id of its own, which release installs do not let in.
      expect(gecko.id).toBe(flavour === 'store' ? 'hpki-login@hpkilogin.jp' : 'hpki-login-dev@hpkilogin.jp');
      expect(gecko.id).toBe(flavour === 'store' ? ids.firefox.release : ids.firefox.development);
      // MV3 arrived in 109, registerContentScripts in 102, optional_host_permissions in 128.
      expect(Number(gecko.strict_min_version.split('.')[0])).toBeGreaterThanOrEqual(128);
    }
  });

  it('names only messages that exist in both languages', async () => {
    const m = await compose(browser, flavour);
    const names = [...JSON.stringify(m).matchAll(/__MSG_(\w+)__/g)].map((x) => x[1]!);
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) {
      expect(CATALOGS.ja[name], name).toBeDefined();
      expect(CATALOGS.en[name], name).toBeDefined();
    }
  });
});

it('keeps the development ids apart from the published ones', () => {
  expect(ids.chrome.store).not.toContain(ids.chrome.development);
  expect(ids.firefox.development).not.toBe(ids.firefox.release);
});

describe('locales', () => {
  it('ja and en have the same messages and placeholders', () => {
    expect(Object.keys(CATALOGS.en).sort()).toEqual(Object.keys(CATALOGS.ja).sort());
    for (const [key, entry] of Object.entries(CATALOGS.ja)) {
      const other = CATALOGS.en[key]!;
      expect(Object.keys(other.placeholders ?? {}).sort(), key).toEqual(Object.keys(entry.placeholders ?? {}).sort());
      for (const e of [entry, other]) {
        expect(e.message.trim().length, key).toBeGreaterThan(0);
        for (const name of Object.keys(e.placeholders ?? {}))
          expect(e.message.toLowerCase(), key).toContain(`$${name}$`);
      }
    }
  });

  it('every error code has a sentence in both languages, not the code itself', () => {
    for (const code of [...CLIENT_ERROR_CODES, ...VALIDATION_ERROR_CODES]) {
      for (const lang of ['ja', 'en'] as const) {
        const message = CATALOGS[lang][`error_${code}`]?.message;
        expect(message, `${lang} ${code}`).toBeDefined();
        expect(message).not.toMatch(/ERR_/);
      }
      expect(CATALOGS.ja[`error_${code}`]!.message).toMatch(/[ぁ-んァ-ヶ一-龠]/);
    }
  });

  it.each(['pin/pin.html', 'options/options.html', 'popup/popup.html'])('%s names only existing messages', (page) => {
    const html = readFileSync(new URL(`extension/${page}`, root), 'utf8');
    const keys = [...html.matchAll(/data-i18n(?:-title)?="([^"]+)"/g)].map((x) => x[1]!);
    expect(keys.length).toBeGreaterThan(3);
    for (const key of keys) expect(CATALOGS.ja[key], key).toBeDefined();
  });
});

describe('PIN window test hooks (PROTOCOL.md §7)', () => {
  const html = readFileSync(new URL('extension/pin/pin.html', root), 'utf8');
  const tag = (pattern: RegExp): string => {
    const found = html.match(pattern);
    expect(found, String(pattern)).not.toBeNull();
    return found![0];
  };

  it('has the PIN field as a 4–16 character password field without autocomplete', () => {
    const input = tag(/<input[^>]*name="pin"[^>]*>/);
    expect(input).toContain('type="password"');
    expect(input).toContain('minlength="4"');
    expect(input).toContain('maxlength="16"');
    expect(input).toContain('autocomplete="off"');
  });

  it('has submit, cancel, retries, origin and holder hooks, inside one form so Enter submits', () => {
    const form = tag(/<form[\s\S]*<\/form>/);
    expect(form).toMatch(/<button type="submit"/);
    expect(form).toMatch(/data-hpki-login="cancel"/);
    expect(form).toMatch(/name="pin"/);
    for (const hook of ['retries', 'origin', 'holder']) expect(html).toContain(`data-hpki-login="${hook}"`);
  });
});
