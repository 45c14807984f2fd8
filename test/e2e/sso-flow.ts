import { expect } from 'vitest';

/**
 * The demo's single sign-on as a doctor lives it, written against a small browser driver so the
 * same flow runs in any browser harness (Chromium through Playwright today; Firefox through
 * WebDriver BiDi later). Only the demo's `data-demo` hooks and the extension's test hooks of
 * PROTOCOL.md §7 are used.
 */

export interface DriverPage {
  url(): string;
  goto(url: string): Promise<void>;
  click(selector: string): Promise<void>;
  waitForSelector(selector: string, timeoutMs?: number): Promise<void>;
  waitForUrl(test: (url: URL) => boolean, timeoutMs?: number): Promise<void>;
  text(): Promise<string>;
  screenshot(path: string): Promise<void>;
  close(): Promise<void>;
}

export interface DriverPinWindow {
  /** What the window says (site name, origin, holder). */
  text(): Promise<string>;
  /** Types the PIN and submits it; the window closes itself after a good PIN. */
  enterPin(pin: string): Promise<void>;
  screenshot(path: string): Promise<void>;
}

export interface SsoBrowserDriver {
  newPage(): Promise<DriverPage>;
  /** The next PIN window the extension opens. */
  waitForPinWindow(timeoutMs?: number): Promise<DriverPinWindow>;
  /** How many PIN windows the extension has opened so far. */
  pinWindowsOpened(): number;
}

export interface DemoUnderTest {
  portal: string;
  records: string;
  issuer: string;
  pin: string;
  /** Where screenshots go; undefined for none. */
  screenshots?: string;
}

const onOrigin = (origin: string, path?: string) => (url: URL): boolean => url.origin === origin && (path === undefined || url.pathname === path);

/** One PIN entry logs the doctor into both services; logging out of one logs the other out too. */
export async function ssoAcrossTwoServices(driver: SsoBrowserDriver, demo: DemoUnderTest): Promise<void> {
  const pinsBefore = driver.pinWindowsOpened();

  // 1. はれやか医療ネット: 「医療認証基盤でログイン」 → the provider's HPKI login page → card and PIN.
  const portal = await driver.newPage();
  await portal.goto(`${demo.portal}/`);
  await portal.click('[data-demo="sso-login"]');
  await portal.waitForUrl((u) => u.origin === demo.issuer && u.pathname.startsWith('/interaction/'));
  await portal.waitForSelector('[data-hpki-login="button"]', 15_000);
  const loginText = await portal.text();
  expect(loginText).toContain('はれやか医療ネット（デモ）');
  expect(loginText).toContain('Signing in to');
  if (demo.screenshots !== undefined) await portal.screenshot(`${demo.screenshots}sso-login-page.png`);
  await portal.click('[data-hpki-login="button"]');
  const pin = await driver.waitForPinWindow();
  await expect.poll(() => pin.text()).toContain('医療認証基盤（デモ）');
  expect(await pin.text()).toContain(demo.issuer);
  await pin.enterPin(demo.pin);
  await portal.waitForUrl(onOrigin(demo.portal, '/portal'), 20_000);
  expect(await portal.text()).toContain('ようこそ 日医 太郎 先生');
  expect(await portal.text()).toContain('医療認証基盤（HPKIカード）');

  // 2. 医師資格証ポータル: the same button, and no card, no PIN.
  const records = await driver.newPage();
  await records.goto(`${demo.records}/`);
  await records.click('[data-demo="sso-login"]');
  await records.waitForUrl(onOrigin(demo.records, '/portal'), 20_000);
  expect(await records.text()).toContain('ようこそ 日医 太郎 先生');
  expect(await records.text()).toContain('研修記録');
  expect(driver.pinWindowsOpened() - pinsBefore).toBe(1);
  if (demo.screenshots !== undefined) await records.screenshot(`${demo.screenshots}sso-second-service.png`);

  // 3. Logout at 医師資格証ポータル ends the provider session; the portal is told over the back channel.
  await records.click('[data-demo="logout"]');
  await records.waitForUrl(onOrigin(demo.records, '/'), 20_000);
  expect(await records.text()).toContain('医療認証基盤でログイン');
  await expect
    .poll(async () => {
      await portal.goto(`${demo.portal}/portal`);
      return new URL(portal.url()).pathname;
    }, { timeout: 10_000 })
    .toBe('/');

  // 4. The next SSO login needs the card again.
  await records.click('[data-demo="sso-login"]');
  await records.waitForUrl((u) => u.origin === demo.issuer && u.pathname.startsWith('/interaction/'));
  await records.waitForSelector('[data-hpki-login="button"]', 15_000);
  await portal.close();
  await records.close();
}
