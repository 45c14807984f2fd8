import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { launchWithExtension } from '../dev/chromium.js';
import { startPortal, stopPortal } from '../dev/demo-portal.js';
import { startPcscd, VPCD_READER } from '../dev/pcscd.js';
import { createCardFile, serveCard, waitForCardPresence } from '../dev/virtual-card-process.js';
import { median, ms } from './stats.js';

/**
 * `npm run bench:e2e`: what a doctor waits for, in real Chromium with the extension, the host and the
 * virtual card over pcscd + vpcd: click → PIN window shown, and PIN submit → logged-in page.
 */

const RUNS = 7;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'hpki-bench-e2e-'));
  const pki = join(dir, 'pki');
  const cardFile = join(dir, 'doctor.card');
  await createCardFile(cardFile, pki, ['--pin', '1234']);
  const pcscd = await startPcscd();
  const card = await serveCard(cardFile);
  const portal = await startPortal(['--pki', pki]);
  const browser = await launchWithExtension({ hostArgs: ['--backend', 'pcsc'] });
  try {
    await waitForCardPresence(VPCD_READER, true);
    const toWindow: number[] = [];
    const toPortal: number[] = [];
    for (let i = 0; i < RUNS + 1; i++) {
      await browser.context.clearCookies();
      const page = await browser.context.newPage();
      await page.goto(portal.origin);
      const button = page.locator('[data-hpki-login="button"]');
      await button.waitFor();
      const t0 = performance.now();
      await button.click();
      const pin = await browser.waitForExtensionPage('pin.html');
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
      // The first run warms Chromium and the service worker; it is not counted.
      if (i > 0) {
        toWindow.push(t1 - t0);
        toPortal.push(t3 - t2);
      }
      await page.close();
    }
    console.log(`over pcscd + vpcd, median of ${RUNS} logins (first, warm-up run excluded):`);
    console.log(
      `  click → PIN window shown with holder and tries: ${ms(median(toWindow))} (min ${ms(Math.min(...toWindow))}, max ${ms(Math.max(...toWindow))})`,
    );
    console.log(
      `  PIN submit → logged-in page:                    ${ms(median(toPortal))} (min ${ms(Math.min(...toPortal))}, max ${ms(Math.max(...toPortal))})`,
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
