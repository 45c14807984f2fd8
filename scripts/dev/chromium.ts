import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { CLI } from './native-client.js';

const run = promisify(execFile);

/** The development build of the extension (PROTOCOL.md §7): fixed ID, loopback development on. */
export const CHROME_EXTENSION_DIR = fileURLToPath(new URL('../../dist/extension/chrome/', import.meta.url));

export interface ExtensionBrowser {
  context: BrowserContext;
  userDataDir: string;
  extensionId: string;
  /** The next extension page opened whose path matches, e.g. the PIN window. */
  waitForExtensionPage(path: string, timeoutMs?: number): Promise<Page>;
  close(): Promise<void>;
}

/**
 * Real Chromium with the real extension and the native host registered by `hpki-login install-host`
 * in a fresh profile, as a doctor would have it.
 */
export async function launchWithExtension(options: {
  /** Options for `install-host` into a fresh profile; omit to use `userDataDir` as it is. */
  hostArgs?: string[];
  userDataDir?: string;
  extensionDir?: string;
  /** The browser's UI language, which the extension's _locales follow (default ja). */
  lang?: 'ja' | 'en';
}): Promise<ExtensionBrowser> {
  const lang = options.lang ?? 'ja';
  const extensionDir = options.extensionDir ?? CHROME_EXTENSION_DIR;
  const ownProfile = options.userDataDir === undefined;
  const userDataDir = options.userDataDir ?? mkdtempSync(join(tmpdir(), 'hpki-chromium-'));
  if (options.hostArgs !== undefined) {
    await run(process.execPath, [
      CLI,
      'install-host',
      '--browser',
      'chromium',
      '--user-data-dir',
      userDataDir,
      // The development build's id, whose key is public, is let in only on request.
      '--development',
      ...options.hostArgs,
    ]);
  }
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1100, height: 760 },
    locale: lang === 'ja' ? 'ja-JP' : 'en-US',
    // Chromium on Linux takes its UI language (and so chrome.i18n's) from the environment.
    env: { ...process.env, LANGUAGE: lang, LANG: lang === 'ja' ? 'ja_JP.UTF-8' : 'en_US.UTF-8' },
    args: [
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      `--load-extension=${extensionDir}`,
      `--disable-extensions-except=${extensionDir}`,
      `--lang=${lang}`,
    ],
  });
  const worker = context.serviceWorkers()[0] ?? (await context.waitForEvent('serviceworker', { timeout: 15_000 }));
  const extensionId = new URL(worker.url()).host;
  return {
    context,
    userDataDir,
    extensionId,
    async waitForExtensionPage(path, timeoutMs = 15_000) {
      const existing = context.pages().find((p) => p.url().startsWith(`chrome-extension://${extensionId}/${path}`));
      if (existing) return existing;
      return context.waitForEvent('page', {
        predicate: (p) => p.url().startsWith(`chrome-extension://${extensionId}/${path}`),
        timeout: timeoutMs,
      });
    },
    async close() {
      await context.close();
      if (ownProfile) rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
