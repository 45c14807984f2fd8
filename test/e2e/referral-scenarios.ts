import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Portal, startPortal, stopPortal } from '../../scripts/dev/demo-portal.js';
import { type PcscdHandle, startPcscd, VPCD_READER } from '../../scripts/dev/pcscd.js';
import {
  createCardFile,
  type ServedCard,
  serveCard,
  waitForCardPresence,
} from '../../scripts/dev/virtual-card-process.js';
import { REFERRAL_LABEL } from '../../server/demo/referral-letter.js';
import type { E2eBrowser, E2ePage, Launcher } from '../helpers/e2e-browser.js';
import { screenshotsDir } from '../helpers/screenshots.js';

/**
 * The demo portal's 「紹介状に署名」 in a real browser: the built extension, the native host, the
 * virtual card through pcscd + vpcd, and `hpki-login demo`. The doctor logs in with the card, opens
 * the sample 紹介状, presses 署名する (the 電子署名 window's confirm gives the signing certificate),
 * then PINを入力して署名 (the same window asks the signing PIN, showing the portal's label); the
 * portal finishes the PAdES signature, shows its verification, and the PDF the doctor downloads
 * passes poppler's pdfsig: valid, the whole document signed. The same in Chromium and in Firefox.
 */

const run = promisify(execFile);
const SCREENSHOTS = screenshotsDir();
const LOGIN_PIN = '1234';
const SIGN_PIN = '5678';

async function loginWithCard(browser: E2eBrowser, portal: Portal): Promise<E2ePage> {
  await browser.clearCookies();
  const page = await browser.newPage();
  await page.goto(portal.origin);
  await page.waitForSelector('[data-hpki-login="button"]');
  await page.click('[data-hpki-login="button"]');
  const win = await browser.waitForExtensionPage('pin.html');
  await win.waitForSelector('[data-hpki-login="state"][data-state="pin"]');
  await win.submitWithEnter('input[name="pin"]', LOGIN_PIN);
  await page.waitForPath(/\/portal$/);
  return page;
}

/** The signed PDF as the page downloads it: the link's URL, fetched with the page's session. */
function downloadSigned(page: E2ePage): Promise<string> {
  return page.evaluate(async (selector) => {
    const link = document.querySelector<HTMLAnchorElement>(selector);
    if (link === null || !link.hasAttribute('download')) throw new Error('no download link');
    const bytes = new Uint8Array(await (await fetch(link.href)).arrayBuffer());
    let binary = '';
    for (const b of bytes) binary += String.fromCharCode(b);
    return btoa(binary);
  }, '[data-demo="download"]');
}

export function describeReferralScenarios(launch: Launcher, browserName: 'chromium' | 'firefox'): void {
  const shot = (name: string): string =>
    `${SCREENSHOTS}${browserName === 'chromium' ? '' : `${browserName}-`}${name}.png`;
  let pcscd: PcscdHandle;
  let dir: string;
  let card: ServedCard | undefined;
  let portal: Portal;
  let browser: E2eBrowser;

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    pcscd = await startPcscd();
    dir = mkdtempSync(join(tmpdir(), `hpki-e2e-referral-${browserName}-`));
    const pki = join(dir, 'pki');
    const file = join(dir, 'doctor.card');
    await createCardFile(file, pki, ['--pin', LOGIN_PIN, '--sign-pin', SIGN_PIN]);
    card = await serveCard(file);
    await waitForCardPresence(VPCD_READER, true);
    portal = await startPortal(['--pki', pki, '--no-sso']);
    browser = await launch({ hostArgs: ['--backend', 'pcsc'], lang: 'ja' });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    if (portal) await stopPortal(portal);
    await card?.stop();
    await pcscd?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  describe(`紹介状に署名 in ${browserName}: the demo portal, the virtual card over pcscd`, () => {
    it('署名する → confirm → PINを入力して署名 → signing PIN → valid, and the download passes pdfsig', async () => {
      const page = await loginWithCard(browser, portal);
      await page.click('[data-demo="referral-link"]');
      await page.waitForPath(/\/referral$/);
      await page.waitForSelector('#referral-sign');
      expect(await page.text('[data-demo="letter"]')).toContain('診療情報提供書');
      await page.screenshot(shot('referral-page'));

      await page.click('#referral-sign');
      const win = await browser.waitForExtensionPage('pin.html');
      await win.waitForSelector('[data-hpki-login="state"][data-state="confirm"]');
      await win.waitForSelector('[data-hpki-login="purpose"][data-purpose="sign"]');
      expect(await win.text('#site-host')).toBe(new URL(portal.origin).host);
      await win.click('[data-hpki-login="confirm"]');

      await page.waitForSelector('#referral-pin:not([hidden])');
      await page.click('#referral-pin');
      await win.waitForSelector('[data-hpki-login="state"][data-state="pin"]');
      expect(await browser.openExtensionPages('pin.html')).toBe(1);
      expect(await win.text('[data-hpki-login="label"]')).toContain(REFERRAL_LABEL);
      expect(await win.text('body')).not.toContain('ログイン');
      await win.screenshot(shot('referral-sign-pin'));
      await win.submitWithEnter('input[name="pin"]', SIGN_PIN);

      await page.waitForPath(/\/referral\/result$/, 30_000);
      await page.waitForSelector('[data-demo="report"]');
      expect(await page.text('[data-demo="verdict"]')).toContain('有効な署名です');
      expect(await page.count('[data-demo="report"][data-valid="true"]')).toBe(1);
      expect(await page.text('[data-demo="signer"]')).toContain('日医');
      expect(await page.text('[data-demo="role"]')).toBe('医師');
      expect(await page.text('[data-demo="time"]')).toMatch(/\d{4}年/);
      expect(await page.text('[data-demo="format"]')).toBe('PAdES B-B');
      await page.screenshot(shot('referral-result'));

      const signed = Buffer.from(await downloadSigned(page), 'base64');
      expect(signed.subarray(0, 5).toString('latin1')).toBe('%PDF-');
      const path = join(dir, 'signed.pdf');
      writeFileSync(path, signed);
      // -nocert: the test PKI is not in an NSS database; the portal's own check above covers the chain.
      const { stdout } = await run('pdfsig', ['-nocert', path]);
      expect(stdout).toContain('Signature Validation: Signature is Valid.');
      expect(stdout).toContain('Total document signed');
      expect(stdout).toContain('Signature Type: ETSI.CAdES.detached');
      await page.close();
    }, 120_000);
  });
}
