import { mkdtempSync, rmSync } from 'node:fs';
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
import { type LoopbackSite, loginPageHtml, startLoopbackSite } from '../helpers/loopback-site.js';
import { callPageApi } from '../helpers/page-api.js';

/**
 * One login, one window, one host at a time (issue 13 item 3), in real Chromium with the extension,
 * the host over pcscd + vpcd and the demo portal: status calls without a click share one host; a
 * login needs a user action; a second tab's login is refused while one is pending; a page that
 * navigates away takes its PIN window with it.
 */

/**
 * A page that asks for a login as it loads, and writes the answer on its body with whether it had
 * a user activation when it asked (the test driver's own calls into the page give one).
 */
const ON_LOAD_SCRIPT = `
fetch('/hpki/challenge').then((r) => r.json()).then(({ challenge }) => {
  const id = 'on-load-' + Math.random().toString(36).slice(2);
  const activeAtPost = navigator.userActivation.isActive;
  window.addEventListener('message', (event) => {
    const data = event.data;
    if (event.source !== window || !data || data.id !== id || (data.type !== 'result' && data.type !== 'error')) return;
    document.body.dataset.answer = JSON.stringify({ ...data, activeAtPost });
  });
  window.postMessage({ hpkiLogin: 1, id, action: 'authenticate', challenge }, location.origin);
});`;

function fetchChallenge(page: E2ePage): Promise<string> {
  return page.evaluate(
    async () => ((await (await fetch('/hpki/challenge')).json()) as { challenge: string }).challenge,
    null,
  );
}

describe('one login at a time in Chromium', () => {
  let pcscd: PcscdHandle;
  let dir: string;
  let portal: Portal;
  let card: ServedCard;
  let browser: E2eBrowser;
  let site: LoopbackSite;

  beforeAll(async () => {
    site = await startLoopbackSite();
    site.page('/on-load', { body: loginPageHtml('on load', ON_LOAD_SCRIPT) });
    pcscd = await startPcscd();
    dir = mkdtempSync(join(tmpdir(), 'hpki-e2e-one-login-'));
    const file = join(dir, 'doctor.card');
    await createCardFile(file, join(dir, 'pki'), ['--pin', '1234']);
    card = await serveCard(file);
    await waitForCardPresence(VPCD_READER, true);
    portal = await startPortal(['--pki', join(dir, 'pki')]);
    browser = await launchChromium({ hostArgs: ['--backend', 'pcsc'] });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    if (portal) await stopPortal(portal);
    await card?.stop();
    await pcscd?.stop();
    await site?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function loginPage(): Promise<E2ePage> {
    await browser.clearCookies();
    const page = await browser.newPage();
    await page.goto(portal.origin);
    await page.waitForSelector('[data-hpki-login="button"]');
    return page;
  }

  function hostProcesses(): number {
    if (browser.hostProcesses === undefined) throw new Error('this browser cannot count its host processes');
    return browser.hostProcesses();
  }

  it('40 status calls at once: every one answered, never more than 2 host processes', async () => {
    const page = await loginPage();
    let most = 0;
    let seen = false;
    const sampler = setInterval(() => {
      const now = hostProcesses();
      most = Math.max(most, now);
      if (now > 0) seen = true;
    }, 10);
    try {
      const answers = await page.evaluate(
        (n) =>
          Promise.all(
            Array.from(
              { length: n },
              (_, i) =>
                new Promise<string>((resolve) => {
                  const id = `s${i}-${Math.random().toString(36).slice(2)}`;
                  window.addEventListener('message', (event: MessageEvent) => {
                    const data = event.data as { hpkiLogin?: number; id?: string; type?: string; result?: unknown };
                    if (event.source !== window || data?.hpkiLogin !== 1 || data.id !== id) return;
                    if (data.type !== 'result' && data.type !== 'error') return;
                    resolve(data.type === 'result' ? JSON.stringify(data.result) : `error ${JSON.stringify(data)}`);
                  });
                  window.postMessage({ hpkiLogin: 1, id, action: 'status' }, location.origin);
                }),
            ),
          ),
        40,
      );
      expect(answers).toHaveLength(40);
      expect(answers.filter((a) => a.startsWith('error'))).toEqual([]);
      for (const answer of answers)
        expect(JSON.parse(answer)).toMatchObject({
          host: expect.any(String),
          readers: expect.arrayContaining([{ cardPresent: true }]),
          cardPresent: true,
        });
    } finally {
      clearInterval(sampler);
    }
    // The sampler saw the status host (so it counts what it should), and never more than two.
    expect(seen).toBe(true);
    expect(most).toBeLessThanOrEqual(2);
    await page.close();
  });

  it('authenticate without a user activation is refused, and opens no window', async () => {
    // The page's own script asks as soon as it loads, with nobody having clicked. (A test driver's
    // evaluate counts as a user gesture, so the request comes from the page itself.)
    const page = await browser.newPage();
    await page.goto(`${site.origin}/on-load`);
    // Not a call into the page until it has asked: any would give it an activation.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await page.waitForSelector('body[data-answer]', 10_000);
    const answer = JSON.parse(await page.evaluate(() => document.body.dataset.answer ?? '', null)) as {
      type: string;
      activeAtPost: boolean;
      error?: { code: string; message: string };
    };
    expect(answer.activeAtPost).toBe(false);
    expect(answer).toMatchObject({ type: 'error', error: { code: 'ERR_HPKI_INVALID_ARGUMENT' } });
    expect(answer.error?.message).toContain('利用者の操作');
    expect(await browser.openExtensionPages('pin.html')).toBe(0);
    await page.close();
  });

  it('two tabs: one PIN window, the other tab gets ERR_HPKI_BUSY', async () => {
    const first = await loginPage();
    await first.click('[data-hpki-login="button"]');
    const pin = await browser.waitForExtensionPage('pin.html');
    await pin.waitForSelector('[data-hpki-login="state"][data-state="pin"]');
    expect(hostProcesses()).toBe(1);

    const second = await loginPage();
    const refused = await callPageApi(second, { action: 'authenticate', challenge: await fetchChallenge(second) });
    expect(refused.answer).toMatchObject({ type: 'error', error: { code: 'ERR_HPKI_BUSY' } });
    expect(await browser.openExtensionPages('pin.html')).toBe(1);

    await pin.clickClosing('[data-hpki-login="cancel"]');
    await pin.waitForClose();
    await first.close();
    await second.close();
  });

  it('a page that navigates away takes its PIN window with it, within 2 s', async () => {
    const page = await loginPage();
    await page.click('[data-hpki-login="button"]');
    const pin = await browser.waitForExtensionPage('pin.html');
    await pin.waitForSelector('[data-hpki-login="state"][data-state="pin"]');
    await page.goto(`${portal.origin}/?elsewhere`);
    await pin.waitForClose(2_000);
    expect(await browser.openExtensionPages('pin.html')).toBe(0);
    // The login's host went with it.
    await expect.poll(() => hostProcesses(), { timeout: 5_000 }).toBe(0);
    await page.close();
  });
});
