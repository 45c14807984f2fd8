import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchWithExtension } from '../../scripts/dev/chromium.js';
import { type Portal, startPortal, stopPortal } from '../../scripts/dev/demo-portal.js';
import { type PcscdHandle, SECOND_VPCD_READER, startPcscd, VPCD_READER } from '../../scripts/dev/pcscd.js';
import {
  createCardFile,
  type ServedCard,
  serveCard,
  waitForCardPresence,
} from '../../scripts/dev/virtual-card-process.js';
import { chromiumPage, launchChromium } from '../helpers/chromium-e2e.js';
import type { E2eBrowser, E2ePage } from '../helpers/e2e-browser.js';
import { boxOf, pinWindowMisfits } from '../helpers/pin-window-fit.js';
import { screenshotsDir } from '../helpers/screenshots.js';

/**
 * Window first (issue 13 item 1), in real Chromium over pcscd + vpcd: the PIN window opens on the
 * click and follows the card — none yet (`insert-card`, and on by itself once one is put in), two
 * in two readers (`choose-card`), one pulled (`insert-card` again) — and a host that is not
 * installed leaves the window in `error`, saying what to do.
 */

const PIN = '1234';
const SCREENSHOTS = screenshotsDir();
const SECOND_READER = SECOND_VPCD_READER;
const STATE = (state: string): string => `[data-hpki-login="state"][data-state="${state}"]`;
const CANCEL = '[data-hpki-login="cancel"]';

describe('the PIN window opens first and follows the card, in Chromium over pcscd + vpcd', () => {
  let pcscd: PcscdHandle;
  let dir: string;
  let pki: string;
  let doctor: string;
  let second: string;
  let portal: Portal;
  let browser: E2eBrowser;
  const served: ServedCard[] = [];

  async function serve(file: string, second = false): Promise<ServedCard> {
    const card = await serveCard(file, [], second ? pcscd.vpcdPort + 1 : pcscd.vpcdPort);
    served.push(card);
    await waitForCardPresence(second ? SECOND_READER : VPCD_READER, true);
    return card;
  }

  async function pull(card: ServedCard, reader = VPCD_READER): Promise<void> {
    await card.stop();
    served.splice(served.indexOf(card), 1);
    await waitForCardPresence(reader, false);
  }

  async function loginPage(on: E2eBrowser = browser): Promise<E2ePage> {
    await on.clearCookies();
    const page = await on.newPage();
    await page.goto(portal.origin);
    await page.waitForSelector('[data-hpki-login="button"]');
    return page;
  }

  beforeAll(async () => {
    pcscd = await startPcscd();
    dir = mkdtempSync(join(tmpdir(), 'hpki-e2e-window-first-'));
    pki = join(dir, 'pki');
    doctor = join(dir, 'doctor.card');
    second = join(dir, 'second.card');
    await createCardFile(doctor, pki, ['--pin', PIN]);
    await createCardFile(second, pki, [
      '--pin',
      PIN,
      '--name',
      'Iryo Hanako',
      '--name-ja',
      '医療　花子',
      '--holder-id',
      'JMA-0000002',
    ]);
    portal = await startPortal(['--pki', pki]);
    browser = await launchChromium({ hostArgs: ['--backend', 'pcsc'] });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    if (portal) await stopPortal(portal);
    for (const card of served.splice(0)) await card.stop();
    await pcscd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('no card: the window waits in insert-card, goes on by itself when the card comes, and logs in', async () => {
    const page = await loginPage();
    await page.click('[data-hpki-login="button"]');
    const pin = await browser.waitForExtensionPage('pin.html');
    await pin.waitForSelector(STATE('insert-card'));
    expect(await pin.text('[data-hpki-login="origin"]')).toContain(portal.origin);
    expect(await pin.text('body')).toContain('カードリーダーに置いてください');
    expect(await pinWindowMisfits(pin, ['[data-hpki-login="cancel"]'])).toEqual([]);
    await pin.screenshot(`${SCREENSHOTS}pin-window-insert-card.png`);
    const cancelWaiting = await boxOf(pin, CANCEL);

    const card = await serve(doctor);
    await pin.waitForSelector(STATE('pin'), 20_000);
    expect(await pin.text('[data-hpki-login="holder"]')).toContain('日医');
    // The card's facts and the PIN field came in above the buttons; キャンセル stayed where it was.
    expect(await boxOf(pin, CANCEL)).toEqual(cancelWaiting);
    await pin.submitWithEnter('input[name="pin"]', PIN);
    await page.waitForPath(/^\/portal/);
    expect(await page.text('body')).toContain('日医 太郎');
    await page.close();
    await pull(card);
  });

  it('two HPKI cards in two readers: choose-card offers both, and the chosen one signs', async () => {
    const first = await serve(doctor);
    const other = await serve(second, true);
    const page = await loginPage();
    await page.click('[data-hpki-login="button"]');
    const pin = await browser.waitForExtensionPage('pin.html');
    await pin.waitForSelector(STATE('choose-card'), 20_000);
    expect(await pin.count('[data-hpki-login="card-choice"]')).toBe(2);
    const choices = await pin.text('[data-hpki-login="state"]');
    expect(choices).toContain(VPCD_READER);
    expect(choices).toContain(SECOND_READER);
    expect(choices).toContain('医療　花子');
    expect(await pinWindowMisfits(pin, ['[data-hpki-login="card-choice"]', '[data-hpki-login="cancel"]'])).toEqual([]);
    await pin.screenshot(`${SCREENSHOTS}pin-window-choose-card.png`);
    await pin.click(`[data-hpki-login="card-choice"][data-reader="${SECOND_READER}"]`);
    await pin.waitForSelector(STATE('pin'));
    expect(await pin.text('[data-hpki-login="holder"]')).toContain('花子');
    await pin.submitWithEnter('input[name="pin"]', PIN);
    await page.waitForPath(/^\/portal/);
    expect(await page.text('body')).toContain('花子');
    await page.close();
    await pull(other, SECOND_READER);
    await pull(first);
  });

  it('a card pulled while the window asks for the PIN: back to insert-card, and on again with the card', async () => {
    const card = await serve(doctor);
    const page = await loginPage();
    await page.click('[data-hpki-login="button"]');
    const pin = await browser.waitForExtensionPage('pin.html');
    await pin.waitForSelector(STATE('pin'), 20_000);
    await pull(card);
    await pin.waitForSelector(STATE('insert-card'), 10_000);
    await serve(doctor);
    await pin.waitForSelector(STATE('pin'), 20_000);
    await pin.clickClosing('[data-hpki-login="cancel"]');
    await pin.waitForClose();
    await page.close();
    for (const c of served.splice(0)) await c.stop();
  });

  it('a My Number card: the window says it is not an HPKI card, and nothing is signed', async () => {
    const myNumber = join(dir, 'jpki.card');
    await createCardFile(myNumber, pki, ['--kind', 'jpki']);
    const card = await serve(myNumber);
    const page = await loginPage();
    await page.click('[data-hpki-login="button"]');
    const pin = await browser.waitForExtensionPage('pin.html');
    await pin.waitForSelector(STATE('error'), 20_000);
    expect(await pin.text('body')).toContain('医師資格証（HPKIカード）ではありません');
    expect(await pin.count('input[name="pin"]:not([hidden])')).toBe(0);
    expect(await pinWindowMisfits(pin, ['[data-hpki-login="cancel"]'])).toEqual([]);
    await pin.clickClosing('[data-hpki-login="cancel"]');
    await pin.waitForClose();
    expect(new URL(await page.href()).pathname).toBe('/');
    await page.close();
    await pull(card);
  });

  it('a native host that is not installed: the window opens in error and says what to do', async () => {
    // A fresh profile with no host registered for it.
    const bare = await launchWithExtension({});
    try {
      await bare.context.clearCookies();
      const page = chromiumPage(await bare.context.newPage());
      await page.goto(portal.origin);
      await page.waitForSelector('[data-hpki-login="button"]');
      await page.click('[data-hpki-login="button"]');
      const pin = chromiumPage(await bare.waitForExtensionPage('pin.html'));
      await pin.waitForSelector(STATE('error'), 15_000);
      const text = await pin.text('body');
      expect(text).toContain('hpki-login install-host');
      expect(text).toContain('hpki-login doctor');
      expect(await pinWindowMisfits(pin, ['[data-hpki-login="cancel"]'])).toEqual([]);
      await pin.screenshot(`${SCREENSHOTS}pin-window-host-missing.png`);
    } finally {
      await bare.close();
    }
  });
});
