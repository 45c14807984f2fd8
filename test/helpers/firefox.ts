import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { CLI } from '../../scripts/dev/native-client.js';
import { type E2eBrowser, type E2ePage, type Launcher, pollFor } from './e2e-browser.js';
import { hostPidsUnder } from './host-processes.js';

/**
 * Real Firefox ESR with the real extension, driven by puppeteer-core over WebDriver BiDi (Playwright
 * cannot drive stock Firefox). The development build is installed as a temporary add-on, and the
 * native host is registered by `hpki-login install-host --browser firefox --development` (the
 * development build has a gecko id of its own, which release installs do not let in) under a home of its own,
 * which is where Firefox then looks for `~/.mozilla/native-messaging-hosts/`.
 */

const run = promisify(execFile);
export const FIREFOX = '/usr/bin/firefox-esr';
const EXTENSION_DIR = fileURLToPath(new URL('../../dist/extension/firefox/', import.meta.url));
const STORE_DIR = fileURLToPath(new URL('../../dist/extension-store/firefox/', import.meta.url));

/**
 * Every request stays on this machine: Firefox reaches for its settings, telemetry and update
 * services at start, so all non-loopback traffic goes to a proxy port where nothing listens.
 */
const OFFLINE_PREFS: Record<string, unknown> = {
  'network.proxy.type': 1,
  'network.proxy.http': '127.0.0.1',
  'network.proxy.http_port': 9,
  'network.proxy.ssl': '127.0.0.1',
  'network.proxy.ssl_port': 9,
  'network.proxy.allow_hijacking_localhost': false,
  'app.update.enabled': false,
  'extensions.update.enabled': false,
  'datareporting.policy.dataSubmissionEnabled': false,
  'toolkit.telemetry.enabled': false,
};

/** Gives up on a page call that cannot answer (a window closing under it). */
function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  return Promise.race([promise, new Promise<undefined>((r) => setTimeout(() => r(undefined), ms))]);
}

/**
 * Whether the page's window is gone. puppeteer's `close` event for a window that the extension
 * closed itself may come only when the browser exits; BiDi already answers "no such frame".
 */
async function isGone(page: Page, closed: Promise<void>): Promise<boolean> {
  if (page.isClosed()) return true;
  const answer = await within(
    Promise.race([
      closed.then(() => 'closed'),
      page
        .evaluate(() => 'open')
        .catch((err: unknown) => (/no such frame|not found|closed/i.test(String(err)) ? 'closed' : 'unknown')),
    ]),
    2_000,
  );
  return answer === 'closed';
}

export function firefoxPage(page: Page): E2ePage {
  const closed = new Promise<void>((resolve) => page.once('close', () => resolve()));
  const clear = (selector: string): Promise<void> =>
    page.$eval(selector, (el) => {
      (el as HTMLInputElement).value = '';
    });
  return {
    goto: async (url) => {
      await page.goto(url);
    },
    href: () => page.evaluate(() => location.href),
    waitForSelector: async (selector, timeoutMs = 15_000) => {
      await page.waitForSelector(selector, { timeout: timeoutMs });
    },
    click: (selector) => page.click(selector),
    activate: () => page.mouse.click(2, 2),
    clickClosing: async (selector) => {
      await page.waitForSelector(selector, { timeout: 15_000 });
      await within(
        page.click(selector).catch(() => undefined),
        5_000,
      );
    },
    fill: async (selector, value) => {
      await clear(selector);
      await page.type(selector, value);
    },
    submitWithEnter: async (selector, value) => {
      await clear(selector);
      await page.type(selector, value);
      await within(
        page.keyboard.press('Enter').catch(() => undefined),
        5_000,
      );
    },
    text: (selector) => page.$eval(selector, (el) => el.textContent ?? ''),
    inputValue: (selector) => page.$eval(selector, (el) => (el as HTMLInputElement).value),
    count: async (selector) => (await page.$$(selector)).length,
    // The driver's types unwrap element handles inside the argument; scenarios pass plain JSON.
    evaluate: <R, A>(fn: (arg: A) => R | Promise<R>, arg: A) =>
      page.evaluate(fn as (arg: unknown) => R | Promise<R>, arg as unknown),
    waitForPath: async (pattern, timeoutMs = 20_000) => {
      await pollFor(
        `a path like ${pattern}`,
        async () => {
          const href = await within(
            page.evaluate(() => location.href).catch(() => undefined),
            2_000,
          );
          return href !== undefined && pattern.test(new URL(href).pathname) ? true : undefined;
        },
        timeoutMs,
      );
    },
    waitForClose: async (timeoutMs = 10_000) => {
      await pollFor('the page to close', async () => ((await isGone(page, closed)) ? true : undefined), timeoutMs);
    },
    screenshot: async (path) => {
      await page.screenshot({ path });
    },
    setViewport: (width, height) => page.setViewport({ width, height }),
    close: () => page.close(),
  };
}

/**
 * Waits until the page has loaded, so that its deferred script has run: the buttons are in the
 * HTML before that and a click on one does nothing. A window that closes first counts as loaded.
 */
async function loaded(page: Page): Promise<void> {
  await pollFor(
    'the extension page to load',
    async () => {
      const state = await within(
        page.evaluate(() => document.readyState).catch(() => 'gone'),
        1_000,
      );
      return state === 'complete' || state === 'gone' ? true : undefined;
    },
    10_000,
  );
}

/** The open pages whose own location is the extension page `path`, leaving out those in `seen`. */
async function extensionPages(browser: Browser, path: string, seen: ReadonlySet<Page>): Promise<Page[]> {
  const found: Page[] = [];
  for (const page of await browser.pages()) {
    if (page.isClosed() || seen.has(page)) continue;
    const href = await within(
      page.evaluate(() => location.href).catch(() => undefined),
      1_000,
    );
    if (href?.startsWith('moz-extension://') && new URL(href).pathname === `/${path}`) found.push(page);
  }
  return found;
}

export const launchFirefox: Launcher = async (options) => {
  const home = mkdtempSync(join(tmpdir(), 'hpki-firefox-home-'));
  const env = { ...process.env, HOME: home };
  await run(process.execPath, [CLI, 'install-host', '--browser', 'firefox', '--development', ...options.hostArgs], {
    env,
  });
  const lang = options.lang ?? 'ja';
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX,
    headless: true,
    defaultViewport: { width: 1100, height: 760 },
    env: { ...env, LANG: lang === 'ja' ? 'ja_JP.UTF-8' : 'en_US.UTF-8' },
    extraPrefsFirefox: { ...OFFLINE_PREFS, 'intl.locale.requested': lang, 'intl.accept_languages': lang },
  });
  await browser.installExtension(options.store ? STORE_DIR : EXTENSION_DIR);
  // Pages already handed out (or that existed before) are not "the next" extension page.
  const handedOut = new Set<Page>();
  const e2e: E2eBrowser = {
    name: 'firefox',
    newPage: async () => {
      const page = await browser.newPage();
      handedOut.add(page);
      return firefoxPage(page);
    },
    waitForExtensionPage: async (path, timeoutMs = 15_000) => {
      const page = await pollFor(
        `extension page ${path}`,
        async () => (await extensionPages(browser, path, handedOut))[0],
        timeoutMs,
      );
      handedOut.add(page);
      await loaded(page);
      return firefoxPage(page);
    },
    openExtensionPages: async (path) => (await extensionPages(browser, path, new Set())).length,
    clearCookies: async () => {
      const context = browser.defaultBrowserContext();
      await context.deleteCookie(...(await context.cookies()));
    },
    hostPids: () => {
      const pid = browser.process()?.pid;
      return pid === undefined ? [] : hostPidsUnder(pid);
    },
    close: async () => {
      await browser.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
  return e2e;
};
