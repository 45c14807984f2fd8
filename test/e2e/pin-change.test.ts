import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Portal, startPortal, stopPortal } from '../../scripts/dev/demo-portal.js';
import { type PcscdHandle, startPcscd, VPCD_READER } from '../../scripts/dev/pcscd.js';
import {
  createCardFile,
  type ServedCard,
  serveCard,
  waitForCardPresence,
} from '../../scripts/dev/virtual-card-process.js';
import { launchChromium } from '../helpers/chromium-e2e.js';
import type { E2eBrowser, E2ePage } from '../helpers/e2e-browser.js';
import { screenshotsDir } from '../helpers/screenshots.js';

/**
 * Changing a PIN from the extension (issue 22 item 3), in real Chromium over pcscd + vpcd with the
 * virtual card: the options page shows each application's tries left, refuses what it can check
 * itself, reports a wrong current PIN with the tries left, and changes the login PIN; the demo
 * portal then refuses the old PIN and logs in with the new one. (BiDi will not navigate to
 * moz-extension:// pages, so the extension's own pages are driven in Chromium only.)
 */

const OLD_PIN = '1234';
const NEW_PIN = 'n3w!Pin9';
const SCREENSHOTS = screenshotsDir();
const RESULT = '[data-hpki-login="pin-change-result"]';
const TRIES = '[data-hpki-login="pin-tries"]';

function triesShown(page: E2ePage): Promise<number> {
  return page.text(TRIES).then((t) => Number(/\d+/.exec(t)?.[0]));
}

async function fillChange(page: E2ePage, pin: string, newPin: string, again = newPin): Promise<void> {
  await page.fill('[data-hpki-login="current-pin"]', pin);
  await page.fill('[data-hpki-login="new-pin"]', newPin);
  await page.fill('[data-hpki-login="new-pin-again"]', again);
  await page.click('[data-hpki-login="pin-change-submit"]');
}

async function expectPinFieldsEmpty(page: E2ePage): Promise<void> {
  for (const hook of ['current-pin', 'new-pin', 'new-pin-again'])
    expect(await page.inputValue(`[data-hpki-login="${hook}"]`)).toBe('');
}

describe('PIN change from the extension, in Chromium over pcscd + vpcd', () => {
  let pcscd: PcscdHandle;
  let dir: string;
  let portal: Portal;
  let browser: E2eBrowser;
  let card: ServedCard;

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    pcscd = await startPcscd();
    dir = mkdtempSync(join(tmpdir(), 'hpki-e2e-pin-change-'));
    const pki = join(dir, 'pki');
    const file = join(dir, 'doctor.card');
    await createCardFile(file, pki, ['--pin', OLD_PIN]);
    card = await serveCard(file);
    await waitForCardPresence(VPCD_READER, true);
    portal = await startPortal(['--pki', pki]);
    browser = await launchChromium({ hostArgs: ['--backend', 'pcsc'] });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    if (portal) await stopPortal(portal);
    await card?.stop();
    await pcscd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function openOptions(): Promise<E2ePage> {
    const page = await browser.openExtensionPage?.('options.html');
    if (page === undefined) throw new Error('this browser cannot open extension pages directly');
    await page.waitForSelector('form[data-hpki-login="change-pin"]');
    await expect.poll(() => triesShown(page), { timeout: 20_000 }).toBe(15);
    return page;
  }

  it('the options page checks, reports a wrong PIN per application, and changes the login PIN', async () => {
    const page = await openOptions();
    expect(await page.text('[data-hpki-login="pin-change-warning"]')).toContain('照会・再発行できません');

    await fillChange(page, OLD_PIN, NEW_PIN, `${NEW_PIN}x`);
    await page.waitForSelector(`${RESULT}[data-result="mismatch"]`);
    await fillChange(page, OLD_PIN, '567');
    await page.waitForSelector(`${RESULT}[data-result="invalid"]`);
    await expectPinFieldsEmpty(page);
    // Nothing reached the card: no try was spent.
    expect(await triesShown(page)).toBe(15);

    await fillChange(page, '9999', NEW_PIN);
    await page.waitForSelector(`${RESULT}[data-result="incorrect"]`, 20_000);
    expect(await page.text(RESULT)).toContain('14');
    await expectPinFieldsEmpty(page);
    await expect.poll(() => triesShown(page), { timeout: 20_000 }).toBe(14);
    // The signing application keeps its own counter.
    await page.click('[data-hpki-login="pin-application"][value="sign"]');
    await expect.poll(() => triesShown(page), { timeout: 20_000 }).toBe(15);
    await page.click('[data-hpki-login="pin-application"][value="auth"]');
    await expect.poll(() => triesShown(page), { timeout: 20_000 }).toBe(14);

    await fillChange(page, OLD_PIN, NEW_PIN);
    await page.waitForSelector(`${RESULT}[data-result="done"]`, 20_000);
    expect(await page.text(RESULT)).toContain('ログイン用の暗証番号を変更しました');
    await expectPinFieldsEmpty(page);
    await expect.poll(() => triesShown(page), { timeout: 20_000 }).toBe(15);
    await page.screenshot(`${SCREENSHOTS}options-pin-change.png`);
    await page.close();
  });

  it('the demo portal then refuses the old PIN and logs in with the new one', async () => {
    await browser.clearCookies();
    const page = await browser.newPage();
    await page.goto(portal.origin);
    await page.waitForSelector('[data-hpki-login="button"]');
    await page.click('[data-hpki-login="button"]');
    const pin = await browser.waitForExtensionPage('pin.html');
    await pin.waitForSelector('[data-hpki-login="state"][data-state="pin"]', 20_000);

    await pin.fill('input[name="pin"]', OLD_PIN);
    await pin.click('button[type="submit"]');
    await expect
      .poll(() => pin.text('[data-hpki-login="retries"]').then((t) => Number(/\d+/.exec(t)?.[0])), { timeout: 15_000 })
      .toBe(14);

    await pin.submitWithEnter('input[name="pin"]', NEW_PIN);
    await page.waitForPath(/^\/portal/);
    expect(await page.text('body')).toContain('ようこそ 日医 太郎 先生');
    await page.close();
  });

  it('the toolbar popup offers the same form with the tries left', async () => {
    const popup = await browser.openExtensionPage?.('popup.html');
    if (popup === undefined) throw new Error('this browser cannot open extension pages directly');
    await popup.click('#pin-change-box > summary');
    await popup.waitForSelector('form[data-hpki-login="change-pin"]');
    await expect.poll(() => triesShown(popup), { timeout: 20_000 }).toBe(15);
    expect(await popup.text('[data-hpki-login="pin-change-warning"]')).toContain('日本医師会');
    await popup.screenshot(`${SCREENSHOTS}popup-pin-change.png`);
    await popup.close();
  });
});
