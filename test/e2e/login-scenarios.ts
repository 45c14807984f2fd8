import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Portal, startPortal, stopPortal } from '../../scripts/dev/demo-portal.js';
import { startCliHost } from '../../scripts/dev/native-client.js';
import { type PcscdHandle, startPcscd, VPCD_READER } from '../../scripts/dev/pcscd.js';
import {
  createCardFile,
  type ServedCard,
  serveCard,
  waitForCardPresence,
} from '../../scripts/dev/virtual-card-process.js';
import type { E2eBrowser, E2ePage, Launcher } from '../helpers/e2e-browser.js';
import { callPageApi } from '../helpers/page-api.js';
import { pinWindowMisfits } from '../helpers/pin-window-fit.js';
import { screenshotsDir } from '../helpers/screenshots.js';

/**
 * A doctor's whole login in a real browser: the built extension, the native host registered by
 * `hpki-login install-host`, the virtual card through pcscd + vpcd, and the demo portal. Only the
 * test hooks of PROTOCOL.md §7 drive the UI, and the same scenarios run in Chromium and in Firefox.
 * Screenshots go to test-output/screenshots/ (`npm run screenshots`: docs/screenshots/), Firefox's with a
 * `firefox-` prefix.
 */

const SCREENSHOTS = screenshotsDir();
const PIN = '1234';

/** Blocks a card file with 15 wrong PINs through the in-process backend (quicker than over vpcd). */
async function blockCard(file: string): Promise<void> {
  const host = startCliHost(['--backend', 'mock', '--card', file]);
  const got = await host.request({ id: 'c', command: 'get-certificate' });
  const { certificate } = got.result as { certificate: string };
  const certificateSha256 = createHash('sha256').update(Buffer.from(certificate, 'base64')).digest('hex');
  for (let i = 0; i < 15; i++) {
    await host.request({
      id: i,
      command: 'authenticate',
      params: { origin: 'http://localhost', challenge: 'a'.repeat(43), pin: '0000', certificateSha256 },
    });
  }
  await host.close();
}

function retriesShown(pin: E2ePage): Promise<number> {
  return pin.text('[data-hpki-login="retries"]').then((t) => Number(/\d+/.exec(t)?.[0]));
}

function fetchChallenge(page: E2ePage): Promise<string> {
  return page.evaluate(
    async () => ((await (await fetch('/hpki/challenge')).json()) as { challenge: string }).challenge,
    null,
  );
}

/**
 * Clicks the PIN window's cancel button; the window closing is what is checked. The click waits
 * until the card has been read: the card's facts then appear above the buttons and move them, and a
 * click aimed during `reading` can land where the button was (Firefox under load, once in CI).
 */
async function cancelPinWindow(pin: E2ePage): Promise<void> {
  await pin.waitForSelector('[data-hpki-login="state"]:not([data-state="reading"])');
  await pin.clickClosing('[data-hpki-login="cancel"]');
  await pin.waitForClose();
}

export function describeLoginScenarios(launch: Launcher, browserName: 'chromium' | 'firefox'): void {
  const shot = (name: string): string =>
    `${SCREENSHOTS}${browserName === 'chromium' ? '' : `${browserName}-`}${name}.png`;
  let pcscd: PcscdHandle;
  let dir: string;
  let pki: string;
  let portal: Portal;
  let browser: E2eBrowser;
  let card: ServedCard | undefined;

  async function useCard(name: string, prepare?: (file: string) => Promise<void>): Promise<void> {
    if (card) {
      await card.stop();
      await waitForCardPresence(VPCD_READER, false);
    }
    const file = join(dir, `${name}.card`);
    await createCardFile(file, pki, ['--pin', PIN]);
    await prepare?.(file);
    card = await serveCard(file);
    await waitForCardPresence(VPCD_READER, true);
  }

  async function openLoginPage(): Promise<E2ePage> {
    // A logged-in session would take `/` straight to the portal: each scenario starts logged out.
    await browser.clearCookies();
    const page = await browser.newPage();
    await page.goto(portal.origin);
    await page.waitForSelector('[data-hpki-login="button"]');
    return page;
  }

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    pcscd = await startPcscd();
    dir = mkdtempSync(join(tmpdir(), `hpki-e2e-${browserName}-`));
    pki = join(dir, 'pki');
    await useCard('doctor');
    portal = await startPortal(['--pki', pki]);
    browser = await launch({ hostArgs: ['--backend', 'pcsc'] });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    if (portal) await stopPortal(portal);
    await card?.stop();
    await pcscd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  describe(`HPKI login in ${browserName} with the extension, host and a virtual card over pcscd`, () => {
    it('button → wrong PIN (14 left) → right PIN → the portal greets the doctor', async () => {
      const page = await openLoginPage();
      await page.screenshot(shot('login-page'));
      await page.click('[data-hpki-login="button"]');

      const pin = await browser.waitForExtensionPage('pin.html');
      await pin.waitForSelector('[data-hpki-login="state"][data-state="pin"]');
      await expect.poll(() => pin.text('[data-hpki-login="origin"]')).toContain(portal.origin);
      // Who asks: the origin's host, large and first; the descriptor's name after it, as the site's words.
      expect(await pin.text('#site-host')).toBe(new URL(portal.origin).host);
      expect(await pin.text('#site-claim')).toContain('「はれやか医療ネット（デモ）」');
      expect(await pin.text('#site-claim')).toContain('名乗り');
      expect(await pin.text('[data-hpki-login="holder"]')).toContain('日医');
      expect(await retriesShown(pin)).toBe(15);
      expect(await pin.text('body')).toContain('医師');
      expect(await pinWindowMisfits(pin, ['button[type="submit"]', '[data-hpki-login="cancel"]'])).toEqual([]);
      await pin.screenshot(shot('pin-window'));

      await pin.fill('input[name="pin"]', '9999');
      await pin.click('button[type="submit"]');
      await expect.poll(() => retriesShown(pin), { timeout: 15_000 }).toBe(14);
      expect(await pin.inputValue('input[name="pin"]')).toBe('');
      // After a wrong PIN, in the window's real inner size: both buttons in view, no scrolling.
      expect(await pinWindowMisfits(pin, ['button[type="submit"]', '[data-hpki-login="cancel"]'])).toEqual([]);
      await pin.screenshot(shot('pin-window-wrong-pin'));

      // The window closes itself after a good PIN; reaching the portal below is the check.
      await pin.submitWithEnter('input[name="pin"]', PIN);
      await page.waitForPath(/^\/portal/);
      expect(await page.text('body')).toContain('ようこそ 日医 太郎 先生');
      await page.screenshot(shot('portal'));
      await page.close();
    });

    it('cancel closes the PIN window and the page stays where it was', async () => {
      const page = await openLoginPage();
      await page.click('[data-hpki-login="button"]');
      const pin = await browser.waitForExtensionPage('pin.html');
      await cancelPinWindow(pin);
      expect(new URL(await page.href()).pathname).toBe('/');
      await page.close();
    });

    it('the page API: status, authenticate, and a cancelled authenticate', async () => {
      const page = await openLoginPage();
      const status = await callPageApi(page, { action: 'status' });
      expect(status.ack).toBe(true);
      expect(status.answer.type).toBe('result');
      // Whether host, readers and card are there, and nothing more: no reader names, no card types.
      expect(status.answer.result).toEqual({
        extension: expect.any(String),
        host: expect.any(String),
        readers: expect.arrayContaining([{ cardPresent: true }]),
        cardPresent: true,
      });
      expect(JSON.stringify(status.answer)).not.toContain('Virtual PCD');

      const pending = callPageApi(page, { action: 'authenticate', challenge: await fetchChallenge(page) });
      const pin = await browser.waitForExtensionPage('pin.html');
      await pin.waitForSelector('[data-hpki-login="state"][data-state="pin"]');
      await pin.fill('input[name="pin"]', PIN);
      await pin.clickClosing('button[type="submit"]');
      const result = await pending;
      expect(result.answer.type).toBe('result');
      const login = await page.evaluate(async (token) => {
        const res = await fetch('/hpki/login', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'X-HPKI-Login': '1' },
          body: JSON.stringify({ token }),
        });
        return { status: res.status, body: (await res.json()) as unknown };
      }, result.answer.result?.token);
      expect(login).toEqual({ status: 200, body: { redirect: expect.stringMatching(/^\//) } });

      const cancelled = callPageApi(page, { action: 'authenticate', challenge: await fetchChallenge(page) });
      const pin2 = await browser.waitForExtensionPage('pin.html');
      await cancelPinWindow(pin2);
      expect((await cancelled).answer).toMatchObject({ type: 'error', error: { code: 'ERR_HPKI_USER_CANCELLED' } });
      await page.close();
    });

    it("a blocked card's PIN window says so and offers no PIN entry that could succeed", async () => {
      await useCard('blocked', blockCard);
      const page = await openLoginPage();
      const pending = callPageApi(page, { action: 'authenticate', challenge: await fetchChallenge(page) });
      const pin = await browser.waitForExtensionPage('pin.html');
      await expect.poll(() => retriesShown(pin), { timeout: 15_000 }).toBe(0);
      await expect.poll(() => pin.text('body')).toMatch(/ロック|閉塞/);
      expect(await pinWindowMisfits(pin, ['[data-hpki-login="cancel"]'])).toEqual([]);
      await pin.screenshot(shot('pin-window-blocked'));
      await cancelPinWindow(pin);
      expect((await pending).answer).toMatchObject({
        type: 'error',
        error: { code: expect.stringMatching(/^ERR_HPKI_(PIN_BLOCKED|USER_CANCELLED)$/) },
      });
      await page.close();
      await useCard('doctor-again');
    });

    // BiDi will not navigate to moz-extension:// pages, so the popup is opened in Chromium only.
    if (browserName === 'chromium')
      it('the toolbar popup shows the host, the reader and the card holder', async () => {
        const popup = await browser.openExtensionPage?.('popup.html');
        if (popup === undefined) throw new Error('this browser cannot open extension pages directly');
        await expect.poll(() => popup.text('body'), { timeout: 15_000 }).toContain(VPCD_READER);
        await expect.poll(() => popup.text('body'), { timeout: 15_000 }).toContain('日医');
        await popup.screenshot(shot('popup'));
        await popup.close();
      });
  });

  describe(`a site that is not enabled (${browserName})`, () => {
    it('gets no button from the store build, where loopback development is off', async () => {
      const store = await launch({ hostArgs: ['--backend', 'pcsc'], store: true });
      try {
        const page = await store.newPage();
        await page.goto(portal.origin);
        await new Promise((r) => setTimeout(r, 2_000));
        expect(await page.count('[data-hpki-login="button"]')).toBe(0);
        const answer = await callPageApi(page, { action: 'status' }, 3_000).catch((err: Error) => err);
        expect(answer).toBeInstanceOf(Error);
      } finally {
        await store.close();
      }
    });
  });
}
