import type { Page } from 'playwright-core';
import type { DriverPage, DriverPinWindow, SsoBrowserDriver } from '../e2e/sso-flow.js';
import type { ExtensionBrowser } from './browser.js';

/** The SSO flow's browser driver on the Chromium harness (Playwright, the extension loaded). */

function page(p: Page): DriverPage {
  return {
    url: () => p.url(),
    goto: async (url) => void (await p.goto(url)),
    click: (selector) => p.locator(selector).first().click(),
    waitForSelector: async (selector, timeoutMs = 10_000) => void (await p.locator(selector).first().waitFor({ timeout: timeoutMs })),
    waitForUrl: (test, timeoutMs = 15_000) => p.waitForURL((u) => test(new URL(u.href)), { timeout: timeoutMs }),
    text: async () => (await p.textContent('body')) ?? '',
    screenshot: async (path) => void (await p.screenshot({ path })),
    close: () => p.close(),
  };
}

export function chromiumSsoDriver(browser: ExtensionBrowser): SsoBrowserDriver {
  let opened = 0;
  browser.context.on('page', (p) => {
    if (p.url().startsWith(`chrome-extension://${browser.extensionId}/pin.html`)) opened++;
  });
  return {
    newPage: async () => page(await browser.context.newPage()),
    async waitForPinWindow(timeoutMs = 15_000) {
      const pin = await browser.waitForExtensionPage('pin.html', timeoutMs);
      return {
        text: async () => (await pin.textContent('body')) ?? '',
        async enterPin(value) {
          await pin.locator('input[name="pin"]').fill(value);
          // The window closes itself once the host has signed; the caller checks where the page went.
          await pin.locator('button[type="submit"]').click().catch(() => undefined);
        },
        screenshot: async (path) => void (await pin.screenshot({ path })),
      };
    },
    pinWindowsOpened: () => opened,
  };
}
