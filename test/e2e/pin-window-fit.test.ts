import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Portal, startPortal, stopPortal } from '../../scripts/dev/demo-portal.js';
import { type PcscdHandle, SECOND_VPCD_READER, startPcscd, VPCD_READER } from '../../scripts/dev/pcscd.js';
import {
  createCardFile,
  type ServedCard,
  serveCard,
  waitForCardPresence,
} from '../../scripts/dev/virtual-card-process.js';
import { launchChromium } from '../helpers/chromium-e2e.js';
import type { E2eBrowser, E2ePage, Launcher } from '../helpers/e2e-browser.js';
import { launchFirefox } from '../helpers/firefox.js';
import { boxOf, pinWindowMisfits } from '../helpers/pin-window-fit.js';
import { screenshotsDir } from '../helpers/screenshots.js';

/**
 * The PIN window fits its real inner size (440×600: 440×640 less a title bar) in Chromium and
 * Firefox, in Japanese and English: in insert-card, in choose-card with two cards, asking for the
 * PIN, and after a wrong PIN, its buttons are in view and the document does not scroll.
 */

const PIN = '1234';
const STATE = (state: string): string => `[data-hpki-login="state"][data-state="${state}"]`;
const BUTTONS = ['button[type="submit"]', '[data-hpki-login="cancel"]'];

let pcscd: PcscdHandle;
let dir: string;
let portal: Portal;
const files = { doctor: '', second: '' };

beforeAll(async () => {
  pcscd = await startPcscd();
  dir = mkdtempSync(join(tmpdir(), 'hpki-e2e-pin-fit-'));
  const pki = join(dir, 'pki');
  files.doctor = join(dir, 'doctor.card');
  files.second = join(dir, 'second.card');
  await createCardFile(files.doctor, pki, ['--pin', PIN]);
  await createCardFile(files.second, pki, [
    ...['--pin', PIN, '--name', 'Iryo Hanako', '--name-ja', '医療　花子', '--holder-id', 'JMA-0000002'],
  ]);
  portal = await startPortal(['--pki', pki]);
}, 120_000);

afterAll(async () => {
  if (portal) await stopPortal(portal);
  await pcscd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const LAUNCHERS: Record<'chromium' | 'firefox', Launcher> = { chromium: launchChromium, firefox: launchFirefox };
const cases: ['chromium' | 'firefox', 'ja' | 'en'][] = [
  ['chromium', 'ja'],
  ['chromium', 'en'],
  ['firefox', 'ja'],
  ['firefox', 'en'],
];

describe.each(cases)('the PIN window at 440×600 in %s (%s)', (name, lang) => {
  let browser: E2eBrowser;
  const served: ServedCard[] = [];
  const shot = (state: string): string => `${screenshotsDir()}fit-${name}-${lang}-${state}.png`;

  async function openPinWindow(): Promise<{ page: E2ePage; pin: E2ePage }> {
    await browser.clearCookies();
    const page = await browser.newPage();
    await page.goto(portal.origin);
    await page.waitForSelector('[data-hpki-login="button"]');
    await page.click('[data-hpki-login="button"]');
    return { page, pin: await browser.waitForExtensionPage('pin.html') };
  }

  async function cancel({ page, pin }: { page: E2ePage; pin: E2ePage }): Promise<void> {
    await pin.clickClosing('[data-hpki-login="cancel"]');
    await pin.waitForClose();
    await page.close();
  }

  beforeAll(async () => {
    browser = await LAUNCHERS[name]({ hostArgs: ['--backend', 'pcsc'], lang });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    for (const card of served.splice(0)) await card.stop();
    await waitForCardPresence(VPCD_READER, false);
    await waitForCardPresence(SECOND_VPCD_READER, false);
  });

  it('insert-card: the cancel button in view, no scrolling', { timeout: 120_000 }, async () => {
    const opened = await openPinWindow();
    await opened.pin.waitForSelector(STATE('insert-card'), 20_000);
    expect(await pinWindowMisfits(opened.pin, ['[data-hpki-login="cancel"]'])).toEqual([]);
    await opened.pin.screenshot(shot('insert-card'));
    await cancel(opened);
  });

  it('choose-card with two cards, the PIN, and a wrong PIN: buttons in view, no scrolling', {
    timeout: 180_000,
  }, async () => {
    served.push(await serveCard(files.doctor, [], pcscd.vpcdPort));
    served.push(await serveCard(files.second, [], pcscd.vpcdPort + 1));
    await waitForCardPresence(VPCD_READER, true);
    await waitForCardPresence(SECOND_VPCD_READER, true);
    const opened = await openPinWindow();
    const { pin } = opened;
    await pin.waitForSelector(STATE('choose-card'), 30_000);
    expect(await pin.count('[data-hpki-login="card-choice"]')).toBe(2);
    expect(await pinWindowMisfits(pin, ['[data-hpki-login="card-choice"]', '[data-hpki-login="cancel"]'])).toEqual([]);
    await pin.screenshot(shot('choose-card'));
    const cancelChoosing = await boxOf(pin, '[data-hpki-login="cancel"]');

    await pin.click(`[data-hpki-login="card-choice"][data-reader="${VPCD_READER}"]`);
    await pin.waitForSelector(STATE('pin'), 20_000);
    expect(await pinWindowMisfits(pin, BUTTONS)).toEqual([]);
    // The choices gave way to the card's facts and the PIN field, and ログイン came in: キャンセル stayed put.
    expect(await boxOf(pin, '[data-hpki-login="cancel"]')).toEqual(cancelChoosing);
    const retries = (): Promise<number> =>
      pin.evaluate(
        () => Number(document.querySelector<HTMLElement>('[data-hpki-login="retries"]')?.dataset.retriesLeft),
        0,
      );
    const before = await retries();
    await pin.fill('input[name="pin"]', '9999');
    await pin.click('button[type="submit"]');
    await expect.poll(retries, { timeout: 15_000 }).toBe(before - 1);
    expect(await pinWindowMisfits(pin, BUTTONS)).toEqual([]);
    await pin.screenshot(shot('wrong-pin'));
    await cancel(opened);
    for (const card of served.splice(0)) await card.stop();
    await waitForCardPresence(VPCD_READER, false);
    await waitForCardPresence(SECOND_VPCD_READER, false);
  });
});
