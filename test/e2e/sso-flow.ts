import { expect } from 'vitest';
import { type E2eBrowser, type E2ePage, pollFor } from '../helpers/e2e-browser.js';

/**
 * The demo's single sign-on as a doctor lives it, written once against the e2e browser interface so
 * it runs in real Chromium and real Firefox. Only the demo's `data-demo` hooks and the extension's
 * test hooks of PROTOCOL.md §7 are used.
 */

export interface DemoUnderTest {
  portal: string;
  records: string;
  issuer: string;
  pin: string;
  /** Where screenshots go, with the file name prefix; undefined for none. */
  screenshots?: string;
}

/** The page's location, or undefined while it is between documents. */
async function locationOf(page: E2ePage): Promise<URL | undefined> {
  try {
    return new URL(await page.href());
  } catch {
    return undefined;
  }
}

async function waitForUrl(page: E2ePage, what: string, test: (url: URL) => boolean, timeoutMs = 20_000): Promise<URL> {
  return pollFor(
    what,
    async () => {
      const url = await locationOf(page);
      return url !== undefined && test(url) ? url : undefined;
    },
    timeoutMs,
  );
}

const onOrigin =
  (origin: string, path?: string) =>
  (url: URL): boolean =>
    url.origin === origin && (path === undefined || url.pathname === path);
const onInteraction =
  (issuer: string) =>
  (url: URL): boolean =>
    url.origin === issuer && (url.pathname === '/auth' || url.pathname.startsWith('/interaction/'));
const body = (page: E2ePage): Promise<string> => page.text('body');

/** One PIN entry logs the doctor into both services; logging out of one logs the other out too. */
export async function ssoAcrossTwoServices(browser: E2eBrowser, demo: DemoUnderTest): Promise<void> {
  // 1. はれやか医療ネット: 「医療認証基盤でログイン」 → the provider's HPKI login page → card and PIN.
  const portal = await browser.newPage();
  await portal.goto(`${demo.portal}/`);
  await portal.click('[data-demo="sso-login"]');
  await waitForUrl(portal, 'the provider’s login page', onInteraction(demo.issuer));
  await portal.waitForSelector('[data-hpki-login="button"]', 15_000);
  const loginText = await body(portal);
  expect(loginText).toContain('はれやか医療ネット（デモ）');
  // One language, the browser's (Japanese here): no English line under each Japanese one.
  expect(loginText).toContain('ログイン先');
  expect(loginText).not.toContain('Signing in to');
  if (demo.screenshots !== undefined) await portal.screenshot(`${demo.screenshots}sso-login-page.png`);
  await portal.click('[data-hpki-login="button"]');
  const pin = await browser.waitForExtensionPage('pin.html');
  await expect.poll(() => body(pin), { timeout: 10_000 }).toContain('医療認証基盤（デモ）');
  expect(await body(pin)).toContain(demo.issuer);
  // The window opens before the card is read; the PIN goes in once it asks for one.
  await pin.waitForSelector('[data-hpki-login="state"][data-state="pin"]');
  await pin.fill('input[name="pin"]', demo.pin);
  // The window closes itself once the host has signed; where the page goes is checked next.
  await pin.clickClosing('button[type="submit"]');
  await waitForUrl(portal, 'the portal’s logged-in page', onOrigin(demo.portal, '/portal'));
  expect(await body(portal)).toContain('ようこそ 日医 太郎 先生');
  expect(await body(portal)).toContain('医療認証基盤（HPKIカード）');
  await pin.waitForClose();

  // 2. 医師資格証ポータル: the same button, and no card, no PIN.
  const records = await browser.newPage();
  await records.goto(`${demo.records}/`);
  await records.click('[data-demo="sso-login"]');
  await waitForUrl(records, 'the second service’s logged-in page', onOrigin(demo.records, '/portal'));
  expect(await body(records)).toContain('ようこそ 日医 太郎 先生');
  expect(await body(records)).toContain('研修記録');
  expect(await browser.openExtensionPages('pin.html')).toBe(0);
  if (demo.screenshots !== undefined) await records.screenshot(`${demo.screenshots}sso-second-service.png`);

  // 3. Logout at 医師資格証ポータル ends the provider session; the portal is told over the back channel.
  await records.click('[data-demo="logout"]');
  await waitForUrl(records, 'the second service’s start page', onOrigin(demo.records, '/'));
  expect(await body(records)).toContain('医療認証基盤でログイン');
  await expect
    .poll(
      async () => {
        await portal.goto(`${demo.portal}/portal`);
        return (await locationOf(portal))?.pathname;
      },
      { timeout: 10_000 },
    )
    .toBe('/');

  // 4. The next SSO login needs the card again.
  await records.click('[data-demo="sso-login"]');
  await waitForUrl(records, 'the provider’s login page again', onInteraction(demo.issuer));
  await records.waitForSelector('[data-hpki-login="button"]', 15_000);
  await portal.close();
  await records.close();
}
