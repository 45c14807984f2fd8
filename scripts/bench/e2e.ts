import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Page } from 'playwright-core';
import { launchWithExtension } from '../dev/chromium.js';
import { startPortal, stopPortal } from '../dev/demo-portal.js';
import { startPcscd, VPCD_READER } from '../dev/pcscd.js';
import { createCardFile, serveCard, waitForCardPresence } from '../dev/virtual-card-process.js';
import { median, ms } from './stats.js';

/**
 * `npm run bench:e2e`: what a doctor waits for, in real Chromium with the extension, the host and the
 * virtual card over pcscd + vpcd: click → PIN window visible (beside a plain `window.open` popup
 * from the same page, in the same run), click → the window asks for the PIN (`data-state="pin"`),
 * and PIN submit → logged-in page; and the APDUs the card answered per login, the first one cold (an
 * empty CA certificate cache of its own) and the others warm.
 */

const PIN_STATE = '[data-hpki-login="state"][data-state="pin"]';

/** Click → a plain popup of the page's own origin, shown (its DOM loaded), then closed. */
async function plainPopup(page: Page): Promise<number> {
  await page.evaluate(() => {
    if (document.getElementById('bench-popup') !== null) return;
    const button = document.createElement('button');
    button.id = 'bench-popup';
    button.textContent = 'popup';
    button.addEventListener('click', () => {
      window.open(`${location.origin}/`, '_blank', 'popup,width=440,height=640');
    });
    document.body.prepend(button);
  });
  const t0 = performance.now();
  const [popup] = await Promise.all([page.waitForEvent('popup'), page.locator('#bench-popup').click()]);
  await popup.locator('body').waitFor();
  const t1 = performance.now();
  await popup.close();
  return t1 - t0;
}

const RUNS = 7;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'hpki-bench-e2e-'));
  const pki = join(dir, 'pki');
  const cardFile = join(dir, 'doctor.card');
  await createCardFile(cardFile, pki, ['--pin', '1234']);
  const pcscd = await startPcscd();
  const card = await serveCard(cardFile, ['--log-apdus']);
  // The host inherits the browser's environment: a cache of its own, empty, so the first login is cold.
  process.env.HPKI_LOGIN_CACHE_DIR = join(dir, 'ca-cache');
  const portal = await startPortal(['--pki', pki]);
  const browser = await launchWithExtension({ hostArgs: ['--backend', 'pcsc'] });
  try {
    await waitForCardPresence(VPCD_READER, true);
    const toWindow: number[] = [];
    const toPopup: number[] = [];
    const toPin: number[] = [];
    const toPortal: number[] = [];
    const apdus: number[] = [];
    for (let i = 0; i < RUNS + 1; i++) {
      await browser.context.clearCookies();
      const page = await browser.context.newPage();
      await page.goto(portal.origin);
      const button = page.locator('[data-hpki-login="button"]');
      await button.waitFor();
      const popup = await plainPopup(page);
      const apdusBefore = card.apdus().length;
      const t0 = performance.now();
      await button.click();
      const pin = await browser.waitForExtensionPage('pin.html');
      // Visible: the window shows who asks (it does so before the card is read).
      await pin.locator('#site-host').filter({ hasText: /\S/ }).waitFor();
      const shown = performance.now();
      await pin.locator(PIN_STATE).waitFor();
      await pin.locator('[data-hpki-login="retries"]').filter({ hasText: /\d/ }).waitFor();
      const t1 = performance.now();
      await pin.locator('input[name="pin"]').fill('1234');
      const t2 = performance.now();
      await pin
        .locator('button[type="submit"]')
        .click()
        .catch(() => undefined);
      await page.waitForURL(/\/portal/);
      await page.getByText('ようこそ').waitFor();
      const t3 = performance.now();
      apdus.push(card.apdus().length - apdusBefore);
      // The first run warms Chromium and the service worker; it is not counted.
      if (i > 0) {
        toPopup.push(popup);
        toWindow.push(shown - t0);
        toPin.push(t1 - t0);
        toPortal.push(t3 - t2);
      }
      await page.close();
    }
    console.log(`over pcscd + vpcd, median of ${RUNS} logins (first, warm-up run excluded):`);
    const line = (label: string, values: number[]): void =>
      console.log(
        `  ${label.padEnd(48)} ${ms(median(values))} (min ${ms(Math.min(...values))}, max ${ms(Math.max(...values))})`,
      );
    line('click → plain window.open popup shown:', toPopup);
    line('click → PIN window shown (who asks):', toWindow);
    line('click → PIN window in state pin (holder, tries):', toPin);
    line('PIN submit → logged-in page:', toPortal);
    console.log(`  PIN window / plain popup: ${(median(toWindow) / median(toPopup)).toFixed(2)}×`);
    const [cold, ...warm] = apdus;
    console.log(
      `  APDUs per login (click → logged in): cold ${cold}, warm median ${median(warm)} (min ${Math.min(...warm)}, max ${Math.max(...warm)})`,
    );
  } finally {
    await browser.close();
    await stopPortal(portal);
    await card.stop();
    await pcscd.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
