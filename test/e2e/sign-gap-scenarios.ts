import { expect } from 'vitest';
import type { E2eBrowser, E2ePage } from '../helpers/e2e-browser.js';
import type { LoopbackSite } from '../helpers/loopback-site.js';
import { callPageApi, type PageApiAnswer } from '../helpers/page-api.js';

/**
 * Two gaps of 電子署名 from a page, in a real browser (PROTOCOL.md §11, §1.2):
 * - `getSigningCertificate` and `sign` need a user activation. A test driver cannot show that with
 *   its own calls: Playwright's evaluate (CDP `userGesture: true`) and puppeteer's over WebDriver
 *   BiDi (`userActivation: true`), waitForSelector included, give the page a real transient
 *   activation, which lasts 5 s in both browsers. So the request comes from the page's own timer,
 *   more than 5 s after the driver last touched the page, and the page notes whether it had an
 *   activation when it posted (through the getter the browser gave it, before it overrides the
 *   getters to claim one): the test fails, rather than passes by accident, if it did.
 * - One flow at a time per browser also while the window waits for the `sign` that follows a
 *   `getSigningCertificate`: another tab is refused, and the page going away frees the browser.
 */

/** Chromium's transient activation lasts 5 s, Firefox's about as long (`dom.user_activation.transient.timeout`). */
const ACTIVATION_LIFESPAN_MS = 5_000;
/** The page posts this long after it is told to: past the activation the driver's call gave. */
const POST_AFTER_MS = ACTIVATION_LIFESPAN_MS + 1_500;

/**
 * The page: `hpkiLater(request, ms)` posts a page API request from its own timer and notes in
 * `body[data-later]` whether the page had an activation then, and the answer. With `?auto` it asks
 * for the signing certificate that way on load. It also redefines the activation getters its script
 * sees to claim one always: the content script reads them in its own world, where that has no effect.
 */
export const LATER_PAGE_SCRIPT = `
const realIsActive = Object.getOwnPropertyDescriptor(UserActivation.prototype, 'isActive').get;
const activation = navigator.userActivation;
Object.defineProperty(UserActivation.prototype, 'isActive', { configurable: true, get: () => true });
Object.defineProperty(Navigator.prototype, 'userActivation', {
  configurable: true,
  get: () => ({ isActive: true, hasBeenActive: true }),
});
window.hpkiLater = (request, ms) => {
  delete document.body.dataset.later;
  setTimeout(() => {
    const id = 'later-' + Math.random().toString(36).slice(2);
    const activeAtPost = realIsActive.call(activation);
    window.addEventListener('message', (event) => {
      const data = event.data;
      if (event.source !== window || !data || data.id !== id || (data.type !== 'result' && data.type !== 'error')) return;
      document.body.dataset.later = JSON.stringify({ activeAtPost, answer: data });
    });
    window.postMessage({ hpkiLogin: 1, id, ...request }, location.origin);
  }, ms);
};
if (new URLSearchParams(location.search).has('auto')) window.hpkiLater({ action: 'getSigningCertificate' }, ${POST_AFTER_MS});
`;

export interface GapContext {
  browser: E2eBrowser;
  site: LoopbackSite;
}

interface LaterAnswer {
  activeAtPost: boolean;
  answer: PageApiAnswer['answer'];
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits, without touching the page, past the moment its timer posts; then reads what it noted. */
async function laterAnswer(page: E2ePage): Promise<LaterAnswer> {
  await sleep(POST_AFTER_MS + 1_000);
  await page.waitForSelector('body[data-later]', 10_000);
  return JSON.parse(await page.evaluate(() => document.body.dataset.later ?? '', null)) as LaterAnswer;
}

function expectRefusedForNoActivation(later: LaterAnswer): void {
  // The scenario is what it claims: the page had no activation when it asked.
  expect(later.activeAtPost).toBe(false);
  expect(later.answer).toMatchObject({ type: 'error', error: { code: 'ERR_HPKI_INVALID_ARGUMENT' } });
  expect(later.answer.error?.message).toContain('利用者の操作');
}

/** The page asks for the certificate with a real click first: the window's `confirm`, consented. */
async function certificateAfterClick(browser: E2eBrowser, page: E2ePage): Promise<{ sha256: string; win: E2ePage }> {
  const pending = callPageApi(page, { action: 'getSigningCertificate' }, 60_000, { activate: true });
  // Generous: the window, the host and the card's answers share two busy cores with other suites.
  const win = await browser.waitForExtensionPage('pin.html', 30_000);
  await win.waitForSelector('[data-hpki-login="state"][data-state="confirm"]', 30_000);
  await win.click('[data-hpki-login="confirm"]');
  const certificate = await pending;
  expect(certificate.answer.type).toBe('result');
  return { sha256: (certificate.answer.result as { certificateSha256: string }).certificateSha256, win };
}

/**
 * A fresh page (no click, nothing the driver did for more than 5 s) asks for the signing
 * certificate: refused, no window, no host. After a real click the same page gets it; a `sign`
 * without an activation is refused and leaves the window waiting; after a click it reaches `pin`
 * in that window, and the signing PIN gives a signature.
 */
export async function refusedWithoutActivation({ browser, site }: GapContext, signPin: string): Promise<void> {
  const page = await browser.newPage();
  await page.goto(`${site.origin}/later?auto`);
  expectRefusedForNoActivation(await laterAnswer(page));
  expect(await browser.openExtensionPages('pin.html')).toBe(0);
  // No host was started for it (one left by an earlier flow may still be on its way out).
  await expect.poll(() => browser.hostPids(), { timeout: 5_000 }).toEqual([]);

  const { sha256: certificateSha256, win } = await certificateAfterClick(browser, page);
  const hash = Buffer.alloc(32, 0x5a).toString('base64');
  const sign = { action: 'sign', hash, hashAlgorithm: 'SHA-256', certificateSha256, label: '起動時の署名' };
  // The driver's call gives an activation; the page's timer posts after it has run out.
  await page.evaluate(
    ({ request, ms }) => (window as unknown as { hpkiLater: (r: unknown, ms: number) => void }).hpkiLater(request, ms),
    { request: sign, ms: POST_AFTER_MS },
  );
  expectRefusedForNoActivation(await laterAnswer(page));
  // Nothing reached the window: it still waits for a sign, and has asked for no PIN.
  expect(await win.count('[data-hpki-login="state"][data-state="pin"]')).toBe(0);
  expect(await browser.openExtensionPages('pin.html')).toBe(1);

  const signed = callPageApi(page, sign, 60_000, { activate: true });
  await win.waitForSelector('[data-hpki-login="state"][data-state="pin"]');
  await win.waitForSelector('[data-hpki-login="purpose"][data-purpose="sign"]');
  await win.submitWithEnter('input[name="pin"]', signPin);
  expect((await signed).answer).toMatchObject({ type: 'result', result: { signatureAlgorithm: 'RS256' } });
  await page.close();
}

async function challengeOf(page: E2ePage): Promise<string> {
  return page.evaluate(
    async () => ((await (await fetch('/hpki/challenge')).json()) as { challenge: string }).challenge,
    null,
  );
}

/**
 * While the window of one tab's `getSigningCertificate` waits for its `sign`, another tab's login
 * and signing certificate get ERR_HPKI_BUSY and no window; when the first page navigates away, its
 * window closes and the other tab gets one.
 */
export async function secondTabRefusedWhileHeld({ browser, site }: GapContext): Promise<void> {
  // Both tabs first: a tab opened while the PIN window has the focus may land in that window (Firefox).
  const [first, second] = [await browser.newPage(), await browser.newPage()];
  for (const page of [first, second]) {
    await page.goto(`${site.origin}/sign`);
    await page.waitForSelector('#act');
  }
  const { win: held } = await certificateAfterClick(browser, first);

  const login = await callPageApi(second, { action: 'authenticate', challenge: await challengeOf(second) });
  expect(login.answer).toMatchObject({ type: 'error', error: { code: 'ERR_HPKI_BUSY' } });
  const certificate = await callPageApi(second, { action: 'getSigningCertificate' }, 60_000, { activate: true });
  expect(certificate.answer).toMatchObject({ type: 'error', error: { code: 'ERR_HPKI_BUSY' } });
  expect(await browser.openExtensionPages('pin.html')).toBe(1);

  // The first page goes elsewhere: its held window closes, and the browser is free again.
  await first.goto(`${site.origin}/sign?elsewhere`);
  await held.waitForClose(10_000);
  const again = callPageApi(second, { action: 'getSigningCertificate' }, 60_000, { activate: true });
  const win = await browser.waitForExtensionPage('pin.html');
  await win.waitForSelector('[data-hpki-login="state"][data-state="confirm"]');
  await win.clickClosing('[data-hpki-login="cancel"]');
  expect((await again).answer).toMatchObject({ type: 'error', error: { code: 'ERR_HPKI_USER_CANCELLED' } });
  await first.close();
  await second.close();
}

/**
 * A page that navigates away while its window asks for consent (`confirm`) takes the window with
 * it, and the browser is free for another tab at once.
 */
export async function pendingWindowGoesWithThePage({ browser, site }: GapContext): Promise<void> {
  const [first, second] = [await browser.newPage(), await browser.newPage()];
  for (const page of [first, second]) {
    await page.goto(`${site.origin}/sign`);
    await page.waitForSelector('#act');
  }
  void callPageApi(first, { action: 'getSigningCertificate' }, 60_000, { activate: true }).catch(() => undefined);
  const win = await browser.waitForExtensionPage('pin.html', 30_000);
  await win.waitForSelector('[data-hpki-login="state"][data-state="confirm"]', 30_000);
  await first.goto(`${site.origin}/sign?elsewhere`);
  await win.waitForClose(10_000);
  const again = callPageApi(second, { action: 'getSigningCertificate' }, 60_000, { activate: true });
  const next = await browser.waitForExtensionPage('pin.html', 30_000);
  await next.waitForSelector('[data-hpki-login="state"][data-state="confirm"]', 30_000);
  await next.clickClosing('[data-hpki-login="cancel"]');
  expect((await again).answer).toMatchObject({ type: 'error', error: { code: 'ERR_HPKI_USER_CANCELLED' } });
  await first.close();
  await second.close();
}
