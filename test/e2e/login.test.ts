import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ExtensionBrowser, launchWithExtension } from '../helpers/browser.js';
import { type Portal, startPortal, stopPortal } from '../helpers/demo-portal.js';
import { startCliHost } from '../helpers/native-client.js';
import { callPageApi } from '../helpers/page-api.js';
import { VPCD_READER, startPcscd, type PcscdHandle } from '../helpers/pcscd.js';
import { type ServedCard, createCardFile, serveCard, waitForCardPresence } from '../helpers/virtual-card-process.js';

/**
 * A doctor's whole login in real Chromium: the built extension, the native host registered by
 * `hpki-login install-host`, the virtual card through pcscd + vpcd, and the demo portal. Only the
 * test hooks of PROTOCOL.md §7 are used to drive the UI. Screenshots go to docs/screenshots/.
 */

const SCREENSHOTS = fileURLToPath(new URL('../../docs/screenshots/', import.meta.url));
const PIN = '1234';

let pcscd: PcscdHandle;
let dir: string;
let pki: string;
let portal: Portal;
let browser: ExtensionBrowser;
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

/** Blocks a card file with 15 wrong PINs through the in-process backend (quicker than over vpcd). */
async function blockCard(file: string): Promise<void> {
  const host = startCliHost(['--backend', 'mock', '--card', file]);
  const got = await host.request({ id: 'c', command: 'get-certificate' });
  const { certificate } = got.result as { certificate: string };
  const { createHash } = await import('node:crypto');
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

async function openLoginPage(): Promise<Page> {
  // A logged-in session would take `/` straight to the portal: each scenario starts logged out.
  await browser.context.clearCookies();
  const page = await browser.context.newPage();
  await page.goto(portal.origin);
  await page.locator('[data-hpki-login="button"]').waitFor({ timeout: 15_000 });
  return page;
}

/**
 * Clicks the PIN window's cancel button and waits for the window to close. The click itself may
 * report the page closing under it; the window closing is what is checked.
 */
async function cancelPinWindow(pin: Page): Promise<void> {
  const closed = pin.waitForEvent('close', { timeout: 10_000 });
  await pin.locator('[data-hpki-login="cancel"]').click().catch(() => undefined);
  await closed;
}

function retriesShown(pin: Page): Promise<number> {
  return pin
    .locator('[data-hpki-login="retries"]')
    .textContent()
    .then((t) => Number(/\d+/.exec(t ?? '')?.[0]));
}

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  pcscd = await startPcscd();
  dir = mkdtempSync(join(tmpdir(), 'hpki-e2e-'));
  pki = join(dir, 'pki');
  await useCard('doctor');
  portal = await startPortal(['--pki', pki]);
  browser = await launchWithExtension({ hostArgs: ['--backend', 'pcsc'] });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  if (portal) await stopPortal(portal);
  await card?.stop();
  await pcscd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('HPKI login in Chromium with the extension, host and a virtual card over pcscd', () => {
  it('button → wrong PIN (14 left) → right PIN → the portal greets the doctor', async () => {
    const page = await openLoginPage();
    await page.screenshot({ path: `${SCREENSHOTS}login-page.png` });
    await page.locator('[data-hpki-login="button"]').click();

    const pin = await browser.waitForExtensionPage('pin.html');
    await pin.locator('input[name="pin"]').waitFor();
    await expect.poll(() => pin.locator('[data-hpki-login="origin"]').textContent()).toContain(portal.origin);
    expect(await pin.locator('[data-hpki-login="holder"]').textContent()).toContain('日医');
    expect(await retriesShown(pin)).toBe(15);
    expect(await pin.textContent('body')).toContain('医師');
    await pin.screenshot({ path: `${SCREENSHOTS}pin-window.png` });

    await pin.locator('input[name="pin"]').fill('9999');
    await pin.locator('button[type="submit"]').click();
    await expect.poll(() => retriesShown(pin), { timeout: 15_000 }).toBe(14);
    expect(await pin.locator('input[name="pin"]').inputValue()).toBe('');
    await pin.screenshot({ path: `${SCREENSHOTS}pin-window-wrong-pin.png` });

    await pin.locator('input[name="pin"]').fill(PIN);
    // The window closes itself after a good PIN; reaching the portal below is the check.
    await pin.locator('input[name="pin"]').press('Enter').catch(() => undefined);
    await page.waitForURL(/\/portal/, { timeout: 20_000 });
    expect(await page.textContent('body')).toContain('ようこそ 日医 太郎 先生');
    await page.screenshot({ path: `${SCREENSHOTS}portal.png` });
    await page.close();
  });

  it('cancel closes the PIN window and the page stays where it was', async () => {
    const page = await openLoginPage();
    await page.locator('[data-hpki-login="button"]').click();
    const pin = await browser.waitForExtensionPage('pin.html');
    await cancelPinWindow(pin);
    expect(new URL(page.url()).pathname).toBe('/');
    await page.close();
  });

  it('the page API: status, authenticate, and a cancelled authenticate', async () => {
    const page = await openLoginPage();
    const status = await callPageApi(page, { action: 'status' });
    expect(status.ack).toBe(true);
    expect(status.answer.type).toBe('result');
    expect(status.answer.result).toMatchObject({ extension: expect.any(String), host: expect.any(String) });
    expect(JSON.stringify(status.answer.result?.readers)).toContain(VPCD_READER);

    const challenge = await page.evaluate(async () => ((await (await fetch('/hpki/challenge')).json()) as { challenge: string }).challenge);
    const pending = callPageApi(page, { action: 'authenticate', challenge });
    const pin = await browser.waitForExtensionPage('pin.html');
    await pin.locator('input[name="pin"]').fill(PIN);
    await pin.locator('button[type="submit"]').click().catch(() => undefined);
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

    const second = await page.evaluate(async () => ((await (await fetch('/hpki/challenge')).json()) as { challenge: string }).challenge);
    const cancelled = callPageApi(page, { action: 'authenticate', challenge: second });
    const pin2 = await browser.waitForExtensionPage('pin.html');
    await cancelPinWindow(pin2);
    expect((await cancelled).answer).toMatchObject({ type: 'error', error: { code: 'ERR_HPKI_USER_CANCELLED' } });
    await page.close();
  });

  it("a blocked card's PIN window says so and offers no PIN entry that could succeed", async () => {
    await useCard('blocked', blockCard);
    const page = await openLoginPage();
    const pending = callPageApi(page, { action: 'authenticate', challenge: await page.evaluate(async () => ((await (await fetch('/hpki/challenge')).json()) as { challenge: string }).challenge) });
    const pin = await browser.waitForExtensionPage('pin.html');
    await expect.poll(() => retriesShown(pin)).toBe(0);
    await expect.poll(() => pin.textContent('body')).toMatch(/ロック|閉塞/);
    await pin.screenshot({ path: `${SCREENSHOTS}pin-window-blocked.png` });
    const outcome = await Promise.race([pending, pin.waitForEvent('close').then(() => undefined)]);
    if (outcome === undefined) {
      expect((await pending).answer).toMatchObject({ type: 'error', error: { code: 'ERR_HPKI_PIN_BLOCKED' } });
    } else {
      await pin.locator('[data-hpki-login="cancel"]').click().catch(() => undefined);
    }
    await page.close();
    await useCard('doctor-again');
  });

  it('the toolbar popup shows the host, the reader and the card holder', async () => {
    const popup = await browser.context.newPage();
    await popup.goto(`chrome-extension://${browser.extensionId}/popup.html`);
    await expect.poll(() => popup.textContent('body'), { timeout: 15_000 }).toContain(VPCD_READER);
    await expect.poll(() => popup.textContent('body'), { timeout: 15_000 }).toContain('日医');
    await popup.screenshot({ path: `${SCREENSHOTS}popup.png` });
    await popup.close();
  });
});

describe('a site that is not enabled', () => {
  it('gets no button from the store build, where loopback development is off', async () => {
    const storeDir = fileURLToPath(new URL('../../dist/extension-store/chrome/', import.meta.url));
    const store = await launchWithExtension({ hostArgs: ['--backend', 'pcsc'], extensionDir: storeDir });
    try {
      const page = await store.context.newPage();
      await page.goto(portal.origin);
      await page.waitForLoadState('networkidle');
      await new Promise((r) => setTimeout(r, 1_500));
      expect(await page.locator('[data-hpki-login="button"]').count()).toBe(0);
      const answer = await callPageApi(page, { action: 'status' }, 3_000).catch((err: Error) => err);
      expect(answer).toBeInstanceOf(Error);
    } finally {
      await store.close();
    }
  });
});
