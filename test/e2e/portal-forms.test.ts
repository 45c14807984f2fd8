import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ExtensionBrowser, launchWithExtension } from '../../scripts/dev/chromium.js';
import { type Portal, startPortal, stopPortal } from '../../scripts/dev/demo-portal.js';
import { type PcscdHandle, startPcscd, VPCD_READER } from '../../scripts/dev/pcscd.js';
import {
  createCardFile,
  type ServedCard,
  serveCard,
  waitForCardPresence,
} from '../../scripts/dev/virtual-card-process.js';

/**
 * The portal's own forms in real Chromium, where the headers are the browser's, not a test's: under
 * `Referrer-Policy: no-referrer` Chromium sends `Origin: null` with them, and the portal's CSRF
 * check must still let them through (Sec-Fetch-Site: same-origin). Password login, HPKI login with
 * the extension and the virtual card over pcscd, and logout; after logout the session is really
 * gone: the old cookie, replayed from outside the browser, opens nothing.
 */

const PIN = '1234';

let pcscd: PcscdHandle;
let dir: string;
let card: ServedCard;
let portal: Portal;
let browser: ExtensionBrowser;

const SESSION_COOKIE = 'hpki-session';

async function sessionCookie(): Promise<string | undefined> {
  const cookies = await browser.context.cookies(portal.origin);
  return cookies.find((c) => c.name === SESSION_COOKIE)?.value;
}

/** What the portal answers a request carrying only this session cookie (outside the browser). */
async function portalWith(session: string): Promise<{ status: number; location: string | null }> {
  const res = await fetch(`${portal.url}/portal`, {
    headers: { cookie: `${SESSION_COOKIE}=${session}` },
    redirect: 'manual',
  });
  await res.arrayBuffer();
  return { status: res.status, location: res.headers.get('location') };
}

/** Logs out with the portal's button and checks that the session is over, in and outside the browser. */
async function logOutAndCheck(page: Page): Promise<void> {
  const session = await sessionCookie();
  expect(session).toBeDefined();
  expect(await portalWith(session!)).toEqual({ status: 200, location: null });
  const answer = page.waitForResponse((r) => r.url() === `${portal.origin}/logout`);
  await page.locator('form[action="/logout"] button').click();
  const logout = await answer;
  // The CSRF check let the browser's own form through (it would answer 403 「送信できません」).
  expect(logout.status()).toBe(303);
  expect(await logout.request().headerValue('sec-fetch-site')).toBe('same-origin');
  await page.waitForURL(`${portal.origin}/`);
  await page.locator('#password-login').waitFor();
  expect(await sessionCookie()).toBeUndefined();
  // The server forgot the session: the old cookie is worth nothing now.
  expect(await portalWith(session!)).toEqual({ status: 303, location: '/' });
  await page.goto(`${portal.origin}/portal`);
  await page.waitForURL(`${portal.origin}/`);
}

beforeAll(async () => {
  pcscd = await startPcscd();
  dir = mkdtempSync(join(tmpdir(), 'hpki-e2e-forms-'));
  const pki = join(dir, 'pki');
  const file = join(dir, 'doctor.card');
  await createCardFile(file, pki, ['--pin', PIN]);
  card = await serveCard(file);
  await waitForCardPresence(VPCD_READER, true);
  portal = await startPortal(['--pki', pki, '--no-sso']);
  browser = await launchWithExtension({ hostArgs: ['--backend', 'pcsc'] });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  const code = portal === undefined ? 0 : await stopPortal(portal);
  await card?.stop();
  await pcscd?.stop();
  rmSync(dir, { recursive: true, force: true });
  expect(code).toBe(0);
});

describe('the portal forms in real Chromium', () => {
  it('password login, then logout ends the session', async () => {
    await browser.context.clearCookies();
    const page = await browser.context.newPage();
    await page.goto(portal.origin);
    await page.locator('#account-id').fill('demo');
    await page.locator('#account-password').fill('demo-password');
    const answer = page.waitForResponse((r) => r.url() === `${portal.origin}/login`);
    await page.locator('#password-login button[type="submit"]').click();
    const login = await answer;
    expect(login.status()).toBe(303);
    // What a real browser sends with the portal's own form under no-referrer.
    expect(await login.request().headerValue('origin')).toBe('null');
    await page.waitForURL(`${portal.origin}/portal`);
    expect(await page.textContent('body')).toContain('ようこそ デモ 利用者 さん');
    await logOutAndCheck(page);
    await page.close();
  }, 60_000);

  it('a wrong password is refused by the login check, not by the CSRF check', async () => {
    await browser.context.clearCookies();
    const page = await browser.context.newPage();
    await page.goto(portal.origin);
    await page.locator('#account-id').fill('demo');
    await page.locator('#account-password').fill('wrong');
    const answer = page.waitForResponse((r) => r.url() === `${portal.origin}/login`);
    await page.locator('#password-login button[type="submit"]').click();
    expect((await answer).status()).toBe(401);
    expect(await page.textContent('body')).toContain('IDまたはパスワードが正しくありません');
    expect(await sessionCookie()).toBeUndefined();
    await page.close();
  }, 60_000);

  it('HPKI login with the extension and the card, then logout ends the session', async () => {
    await browser.context.clearCookies();
    const page = await browser.context.newPage();
    await page.goto(portal.origin);
    await page.locator('[data-hpki-login="button"]').click();
    const pin = await browser.waitForExtensionPage('pin.html');
    await pin.locator('input[name="pin"]').fill(PIN);
    // The window closes itself once the host has signed; the portal page below is the check.
    await pin
      .locator('button[type="submit"]')
      .click()
      .catch(() => undefined);
    await page.waitForURL(`${portal.origin}/portal`, { timeout: 20_000 });
    expect(await page.textContent('body')).toContain('ようこそ 日医 太郎 先生');
    await logOutAndCheck(page);
    await page.close();
  }, 60_000);
});
