import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateMockPki, writeCurrentCrls } from '../../native-host/mock-pki/index.js';
import { type PcscdHandle, startPcscd, VPCD_READER } from '../../scripts/dev/pcscd.js';
import {
  createCardFile,
  type ServedCard,
  serveCard,
  waitForCardPresence,
} from '../../scripts/dev/virtual-card-process.js';
import { createSignatureVerifier } from '../../server/verify/index.js';
import type { E2eBrowser, E2ePage, Launcher } from '../helpers/e2e-browser.js';
import { type LoopbackSite, loginPageHtml, startLoopbackSite } from '../helpers/loopback-site.js';
import { callPageApi } from '../helpers/page-api.js';
import { pinWindowMisfits } from '../helpers/pin-window-fit.js';
import { screenshotsDir } from '../helpers/screenshots.js';
import {
  LATER_PAGE_SCRIPT,
  pendingWindowGoesWithThePage,
  refusedWithoutActivation,
  secondTabRefusedWhileHeld,
} from './sign-gap-scenarios.js';

/**
 * 電子署名 from a web page (PROTOCOL.md §11) in a real browser: the built extension, the native host,
 * the virtual card through pcscd + vpcd, and a loopback site whose page calls `getSigningCertificate`
 * then `sign` with a label; the site's side checks the signature with `createSignatureVerifier`.
 * Only the test hooks drive the window. The same scenarios run in Chromium and in Firefox.
 */

const SCREENSHOTS = screenshotsDir();
const LOGIN_PIN = '1234';
const SIGN_PIN = '5678';
const LABEL = '診療情報提供書（山田 花子 様）';
const DOCUMENT = Buffer.from('紹介状の本文', 'utf8');

interface SignContext {
  browser: E2eBrowser;
  site: LoopbackSite;
  verifierOptions: Parameters<typeof createSignatureVerifier>[0];
  shot: (name: string) => string;
}

/** The page asks for the certificate (confirm), then signs with a label in the same window (pin). */
async function certificateThenSignature({ browser, site, verifierOptions, shot }: SignContext): Promise<void> {
  const page = await browser.newPage();
  await page.goto(`${site.origin}/sign`);
  await page.waitForSelector('#act');
  const pendingCertificate = callPageApi(page, { action: 'getSigningCertificate' }, 60_000, { activate: true });
  const win = await browser.waitForExtensionPage('pin.html');
  // The first paint, before the window has the background's view: the background opened it with the
  // purpose in its URL, and its markup (what shows before its script runs) names no purpose at all.
  const first = await win.evaluate(
    async () => ({
      purpose: document.querySelector('[data-hpki-login="purpose"]')?.getAttribute('data-purpose') ?? null,
      words: `${document.title}\n${document.body.textContent}`,
      urlPurpose: new URLSearchParams(location.search).get('purpose'),
      markup: await (await fetch(location.href)).text(),
    }),
    null,
  );
  expect(first.urlPurpose).toBe('sign');
  expect(first.markup).toMatch(/data-hpki-login="purpose"/);
  expect(first.markup).not.toMatch(/data-purpose=|"pin_heading"|"pin_title"/);
  expect([null, 'sign']).toContain(first.purpose);
  expect(first.words).not.toContain('ログイン');
  await win.waitForSelector('[data-hpki-login="state"][data-state="confirm"]');
  await win.waitForSelector('[data-hpki-login="purpose"][data-purpose="sign"]');
  expect(await win.text('#site-host')).toBe(new URL(site.origin).host);
  expect(await win.text('h1')).toContain('電子署名');
  expect(await win.text('body')).not.toContain('ログイン');
  expect(await win.text('body')).toContain('識別番号');
  expect(await pinWindowMisfits(win, ['[data-hpki-login="confirm"]', '[data-hpki-login="cancel"]'])).toEqual([]);
  await win.screenshot(shot('sign-confirm'));
  await win.click('[data-hpki-login="confirm"]');
  const certificate = await pendingCertificate;
  expect(certificate.answer.type).toBe('result');
  const cert = certificate.answer.result as {
    certificate: string;
    certificateSha256: string;
    intermediates: string[];
  };

  const hash = createHash('sha256').update(DOCUMENT).digest();
  const pendingSignature = callPageApi(
    page,
    {
      action: 'sign',
      hash: hash.toString('base64'),
      hashAlgorithm: 'SHA-256',
      certificateSha256: cert.certificateSha256,
      label: LABEL,
    },
    60_000,
    { activate: true },
  );
  await win.waitForSelector('[data-hpki-login="state"][data-state="pin"]');
  expect(await browser.openExtensionPages('pin.html')).toBe(1);
  await win.waitForSelector('[data-hpki-login="purpose"][data-purpose="sign"]');
  expect(await win.text('[data-hpki-login="label"]')).toContain(LABEL);
  expect(await win.text('#hash-start')).toContain(hash.subarray(0, 8).toString('hex'));
  expect(await win.text('body')).not.toContain('ログイン');
  expect(await win.text('[data-hpki-login="retries"]')).toMatch(/15/);
  expect(await pinWindowMisfits(win, ['button[type="submit"]', '[data-hpki-login="cancel"]'])).toEqual([]);
  await win.screenshot(shot('sign-pin'));
  await win.submitWithEnter('input[name="pin"]', SIGN_PIN);
  const signed = await pendingSignature;
  expect(signed.answer.type).toBe('result');
  const { signature, signatureAlgorithm } = signed.answer.result as {
    signature: string;
    signatureAlgorithm: 'RS256';
  };
  // The site's server: its own hash of the document, never the page's copy.
  const signer = await createSignatureVerifier(verifierOptions).verify({
    certificate: cert.certificate,
    intermediates: cert.intermediates,
    hashAlgorithm: 'SHA-256',
    hash,
    signature,
    signatureAlgorithm,
  });
  expect(signer.certificateSha256).toBe(cert.certificateSha256);
  await page.close();
}

export function describeSignScenarios(launch: Launcher, browserName: 'chromium' | 'firefox'): void {
  const shot = (name: string): string =>
    `${SCREENSHOTS}${browserName === 'chromium' ? '' : `${browserName}-`}${name}.png`;
  let pcscd: PcscdHandle;
  let dir: string;
  let card: ServedCard | undefined;
  let site: LoopbackSite;
  let browser: E2eBrowser;
  let verifierOptions: Parameters<typeof createSignatureVerifier>[0];

  async function openPage(): Promise<E2ePage> {
    const page = await browser.newPage();
    await page.goto(`${site.origin}/sign`);
    await page.waitForSelector('#act');
    return page;
  }

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    pcscd = await startPcscd();
    dir = mkdtempSync(join(tmpdir(), `hpki-e2e-sign-${browserName}-`));
    const pkiDir = join(dir, 'pki');
    const file = join(dir, 'doctor.card');
    await createCardFile(file, pkiDir, ['--pin', LOGIN_PIN, '--sign-pin', SIGN_PIN]);
    const pki = await loadOrCreateMockPki(pkiDir);
    const crls = await writeCurrentCrls(pki);
    verifierOptions = { anchors: [pki.root.certificate], crls: [crls.signCaCrl, crls.authCaCrl] };
    card = await serveCard(file);
    await waitForCardPresence(VPCD_READER, true);
    site = await startLoopbackSite({ name: '紹介状サービス' });
    site.page('/sign', { body: loginPageHtml('電子署名') });
    site.page('/later', { body: loginPageHtml('電子署名（ページ自身のタイマー）', LATER_PAGE_SCRIPT) });
    browser = await launch({ hostArgs: ['--backend', 'pcsc'], lang: 'ja' });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await site?.close();
    await card?.stop();
    await pcscd?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  describe(`電子署名 in ${browserName}: getSigningCertificate, then sign in the same window`, () => {
    it('confirm → the certificate; sign with a label → pin (purpose sign) → a signature the site verifies', () =>
      certificateThenSignature({ browser, site, verifierOptions, shot }));

    it('cancel at confirm → ERR_HPKI_USER_CANCELLED and no certificate', async () => {
      const page = await openPage();
      const pending = callPageApi(page, { action: 'getSigningCertificate' }, 60_000, { activate: true });
      const win = await browser.waitForExtensionPage('pin.html');
      await win.waitForSelector('[data-hpki-login="state"][data-state="confirm"]');
      await win.clickClosing('[data-hpki-login="cancel"]');
      const answer = await pending;
      expect(answer.answer.type).toBe('error');
      expect(answer.answer.error?.code).toBe('ERR_HPKI_USER_CANCELLED');
      expect(answer.answer.result).toBeUndefined();
      await page.close();
    });
  });

  describe(`電子署名 in ${browserName}: a user activation, and one flow while the window waits for the sign`, () => {
    it(
      'without an activation getSigningCertificate and sign are refused, nothing reaches the host or the window; after a click they work',
      () => refusedWithoutActivation({ browser, site }, SIGN_PIN),
      90_000,
    );

    it(
      'while the window waits for the sign another tab gets ERR_HPKI_BUSY; the page navigating away frees it',
      () => secondTabRefusedWhileHeld({ browser, site }),
      90_000,
    );

    it(
      'a page that navigates away at confirm takes its window with it, and frees the browser',
      () => pendingWindowGoesWithThePage({ browser, site }),
      90_000,
    );
  });
}
