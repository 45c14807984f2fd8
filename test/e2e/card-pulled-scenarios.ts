import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Portal, startPortal, stopPortal } from '../../scripts/dev/demo-portal.js';
import { type PcscdHandle, startPcscd, VPCD_PORT, VPCD_READER } from '../../scripts/dev/pcscd.js';
import {
  createCardFile,
  type ServedCard,
  serveCard,
  waitForCardPresence,
} from '../../scripts/dev/virtual-card-process.js';
import type { E2eBrowser, E2ePage, Launcher } from '../helpers/e2e-browser.js';

/**
 * The regression of issue 19 in a real browser over pcscd + vpcd with two readers: card A at the
 * PIN, pulled, A and B put in, the choice, B's PIN, and the portal greets B; afterwards a login in
 * another tab opens its window, and a window closed while it waits for a card does not keep the
 * next login out. The same scenario runs in Chromium and in Firefox.
 *
 * pcscd notices each reader on its own poll, so two cards put in "together" often reach the host one
 * at a time. The test decides when the host sees them: it pauses the browser's host process
 * (SIGSTOP) while both cards go in, waits until pcscd reports both, and lets the host go on; the
 * host then lists the readers once, with both cards, and the window offers the choice every run.
 */

const PIN = '1234';
const SECOND_READER = 'Virtual PCD 00 01';
const SECOND_PORT = VPCD_PORT + 1;
const STATE = (state: string): string => `[data-hpki-login="state"][data-state="${state}"]`;

export function describeCardPulledScenario(launch: Launcher, browserName: 'chromium' | 'firefox'): void {
  let pcscd: PcscdHandle;
  let dir: string;
  let pki: string;
  let cardA: string;
  let cardB: string;
  let portal: Portal;
  let browser: E2eBrowser;
  const served = new Map<string, ServedCard>();

  async function serve(file: string, port: number, reader: string): Promise<void> {
    served.set(reader, await serveCard(file, [], port));
    await waitForCardPresence(reader, true);
  }

  async function pull(reader: string): Promise<void> {
    await served.get(reader)?.stop();
    served.delete(reader);
    await waitForCardPresence(reader, false);
  }

  /** Both cards go in while the browser's host is paused, so that it sees them together. */
  async function serveBothTogether(): Promise<void> {
    const hosts = browser.hostPids();
    expect(hosts.length).toBeGreaterThan(0);
    for (const pid of hosts) process.kill(pid, 'SIGSTOP');
    try {
      await Promise.all([serve(cardA, VPCD_PORT, VPCD_READER), serve(cardB, SECOND_PORT, SECOND_READER)]);
    } finally {
      for (const pid of hosts) process.kill(pid, 'SIGCONT');
    }
  }

  async function loginPage(): Promise<E2ePage> {
    await browser.clearCookies();
    const page = await browser.newPage();
    await page.goto(portal.origin);
    await page.waitForSelector('[data-hpki-login="button"]');
    return page;
  }

  beforeAll(async () => {
    pcscd = await startPcscd();
    dir = mkdtempSync(join(tmpdir(), `hpki-e2e-pulled-${browserName}-`));
    pki = join(dir, 'pki');
    cardA = join(dir, 'a.card');
    cardB = join(dir, 'b.card');
    await createCardFile(cardA, pki, ['--pin', PIN]);
    await createCardFile(cardB, pki, [
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
    browser = await launch({ hostArgs: ['--backend', 'pcsc'] });
    // pcscd is one per machine: waiting minutes for another run's lock is normal.
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    if (portal) await stopPortal(portal);
    for (const card of served.values()) await card.stop();
    await pcscd?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  describe(`a card pulled at the PIN, then two cards (${browserName}, pcscd + vpcd, two readers)`, () => {
    it('A at pin → pulled → insert-card → A and B → choose-card → B → pin with B → PIN → the portal greets B', {
      timeout: 120_000,
    }, async () => {
      await serve(cardA, VPCD_PORT, VPCD_READER);
      const page = await loginPage();
      await page.click('[data-hpki-login="button"]');
      const pin = await browser.waitForExtensionPage('pin.html');
      await pin.waitForSelector(STATE('pin'), 20_000);
      expect(await pin.text('[data-hpki-login="holder"]')).toContain('日医');

      await pull(VPCD_READER);
      await pin.waitForSelector(STATE('insert-card'), 10_000);
      await serveBothTogether();
      await pin.waitForSelector(STATE('choose-card'), 20_000);
      expect(await pin.count('[data-hpki-login="card-choice"]')).toBe(2);

      await pin.click(`[data-hpki-login="card-choice"][data-reader="${SECOND_READER}"]`);
      await pin.waitForSelector(STATE('pin'), 20_000);
      expect(await pin.text('[data-hpki-login="holder"]')).toContain('花子');
      await pin.submitWithEnter('input[name="pin"]', PIN);
      await page.waitForPath(/^\/portal/);
      expect(await page.text('body')).toContain('花子');
      await page.close();
    });

    it('afterwards a login in another tab opens its window', { timeout: 60_000 }, async () => {
      const page = await loginPage();
      await page.click('[data-hpki-login="button"]');
      const pin = await browser.waitForExtensionPage('pin.html');
      await pin.waitForSelector(STATE('choose-card'), 20_000);
      await pin.clickClosing('[data-hpki-login="cancel"]');
      await pin.waitForClose();
      await page.close();
    });

    it('a window closed while it waits for a card: the next login opens a window', { timeout: 90_000 }, async () => {
      await pull(SECOND_READER);
      await pull(VPCD_READER);
      const page = await loginPage();
      await page.click('[data-hpki-login="button"]');
      const waiting = await browser.waitForExtensionPage('pin.html');
      await waiting.waitForSelector(STATE('insert-card'), 20_000);
      await waiting.close();
      await expect.poll(() => browser.openExtensionPages('pin.html'), { timeout: 10_000 }).toBe(0);

      // The same tab again (after its short cool-down for a closed window): a window, not ERR_HPKI_BUSY.
      await page.click('[data-hpki-login="button"]');
      const next = await browser.waitForExtensionPage('pin.html', 20_000);
      await next.waitForSelector(STATE('insert-card'), 20_000);
      await next.clickClosing('[data-hpki-login="cancel"]');
      await next.waitForClose();
      await page.close();
    });
  });
}
