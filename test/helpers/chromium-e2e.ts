import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { launchWithExtension } from '../../scripts/dev/chromium.js';
import type { E2eBrowser, E2ePage, Launcher } from './e2e-browser.js';
import { chromiumHostPids, countHostProcesses } from './host-processes.js';

/** The shared scenarios' view of real Chromium with the extension (Playwright underneath). */

const STORE_DIR = fileURLToPath(new URL('../../dist/extension-store/chrome/', import.meta.url));

export function chromiumPage(page: Page): E2ePage {
  return {
    goto: async (url) => {
      await page.goto(url);
    },
    href: () => page.evaluate(() => location.href),
    waitForSelector: async (selector, timeoutMs = 15_000) => {
      await page.locator(selector).first().waitFor({ timeout: timeoutMs });
    },
    click: (selector) => page.locator(selector).click(),
    activate: () => page.mouse.click(2, 2),
    clickClosing: (selector) =>
      page
        .locator(selector)
        .click()
        .catch(() => undefined),
    fill: (selector, value) => page.locator(selector).fill(value),
    submitWithEnter: async (selector, value) => {
      await page.locator(selector).fill(value);
      await page
        .locator(selector)
        .press('Enter')
        .catch(() => undefined);
    },
    text: async (selector) => (await page.locator(selector).first().textContent()) ?? '',
    inputValue: (selector) => page.locator(selector).inputValue(),
    count: (selector) => page.locator(selector).count(),
    // The driver's types unwrap element handles inside the argument; scenarios pass plain JSON.
    evaluate: <R, A>(fn: (arg: A) => R | Promise<R>, arg: A) =>
      page.evaluate(fn as (arg: unknown) => R | Promise<R>, arg as unknown),
    waitForPath: (pattern, timeoutMs = 20_000) =>
      page.waitForURL((url) => pattern.test(url.pathname), { timeout: timeoutMs }),
    waitForClose: async (timeoutMs = 10_000) => {
      if (page.isClosed()) return;
      await page.waitForEvent('close', { timeout: timeoutMs });
    },
    screenshot: async (path) => {
      await page.screenshot({ path });
    },
    setViewport: (width, height) => page.setViewportSize({ width, height }),
    close: () => page.close(),
  };
}

export const launchChromium: Launcher = async (options) => {
  const browser = await launchWithExtension({
    hostArgs: options.hostArgs,
    ...(options.store ? { extensionDir: STORE_DIR } : {}),
    ...(options.lang ? { lang: options.lang } : {}),
  });
  const e2e: E2eBrowser = {
    name: 'chromium',
    newPage: async () => chromiumPage(await browser.context.newPage()),
    waitForExtensionPage: async (path, timeoutMs) => {
      const page = await browser.waitForExtensionPage(path, timeoutMs);
      // Its deferred script has run (the buttons in the HTML do nothing before); a window that
      // has closed already is handed out as it is.
      await page.waitForLoadState('load').catch(() => undefined);
      return chromiumPage(page);
    },
    openExtensionPages: async (path) =>
      browser.context
        .pages()
        .filter((p) => !p.isClosed() && p.url().startsWith(`chrome-extension://${browser.extensionId}/${path}`)).length,
    openExtensionPage: async (path) => {
      const page = await browser.context.newPage();
      await page.goto(`chrome-extension://${browser.extensionId}/${path}`);
      return chromiumPage(page);
    },
    clearCookies: () => browser.context.clearCookies(),
    hostProcesses: () => countHostProcesses(browser.userDataDir),
    hostPids: () => chromiumHostPids(browser.userDataDir),
    close: () => browser.close(),
  };
  return e2e;
};
