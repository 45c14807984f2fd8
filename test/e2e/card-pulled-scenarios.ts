import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Portal, startPortal, stopPortal } from '../../scripts/dev/demo-portal.js';
import { type PcscdHandle, SECOND_VPCD_READER, startPcscd, VPCD_READER, vpcdPort } from '../../scripts/dev/pcscd.js';
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
const SECOND_READER = SECOND_VPCD_READER;
const STATE = (state: string): string => `[data-hpki-login="state"][data-state="${state}"]`;

interface PulledWorld {
  browser: E2eBrowser;
  cardA: string;
  cardB: string;
  portal: Portal;
  served: Map<string, ServedCard>;
}

async function serve(w: PulledWorld, file: string, port: number, reader: string): Promise<void> {
  w.served.set(reader, await serveCard(file, [], port));
  await waitForCardPresence(reader, true);
}

async function pull(w: PulledWorld, reader: string): Promise<void> {
  await w.served.get(reader)?.stop();
  w.served.delete(reader);
  await waitForCardPresence(reader, false);
}

/** Both cards go in while the browser's host is paused, so that it sees them together. */
async function serveBothTogether(w: PulledWorld): Promise<void> {
  const hosts = w.browser.hostPids();
  expect(hosts.length).toBeGreaterThan(0);
  for (const pid of hosts) process.kill(pid, 'SIGSTOP');
  try {
    await Promise.all([serve(w, w.cardA, vpcdPort(), VPCD_READER), serve(w, w.cardB, vpcdPort() + 1, SECOND_READER)]);
  } finally {
    for (const pid of hosts) process.kill(pid, 'SIGCONT');
  }
}

async function loginPage(w: PulledWorld): Promise<E2ePage> {
  await w.browser.clearCookies();
  const page = await w.browser.newPage();
  await page.goto(w.portal.origin);
  await page.waitForSelector('[data-hpki-login="button"]');
  return page;
}

/** pcscd, two card files (A: 日医 太郎, B: 医療 花子), the demo portal and the browser, for the file's tests. */
function pulledWorld(launch: Launcher, browserName: string): PulledWorld {
  const w = { served: new Map<string, ServedCard>() } as PulledWorld;
  let pcscd: PcscdHandle | undefined;
  let dir: string | undefined;
  beforeAll(async () => {
    pcscd = await startPcscd();
    dir = mkdtempSync(join(tmpdir(), `hpki-e2e-pulled-${browserName}-`));
    const pki = join(dir, 'pki');
    w.cardA = join(dir, 'a.card');
    w.cardB = join(dir, 'b.card');
    await createCardFile(w.cardA, pki, ['--pin', PIN]);
    await createCardFile(w.cardB, pki, HANAKO);
    w.portal = await startPortal(['--pki', pki]);
    w.browser = await launch({ hostArgs: ['--backend', 'pcsc'] });
    // pcscd is one per machine: waiting minutes for another run's lock is normal.
  }, 600_000);
  afterAll(async () => {
    await w.browser?.close();
    if (w.portal) await stopPortal(w.portal);
    for (const card of w.served.values()) await card.stop();
    await pcscd?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  return w;
}

const HANAKO = ['--pin', PIN, '--name', 'Iryo Hanako', '--name-ja', '医療　花子', '--holder-id', 'JMA-0000002'];

async function pulledThenChosen(w: PulledWorld): Promise<void> {
  await serve(w, w.cardA, vpcdPort(), VPCD_READER);
  const page = await loginPage(w);
  await page.click('[data-hpki-login="button"]');
  const pin = await w.browser.waitForExtensionPage('pin.html');
  await pin.waitForSelector(STATE('pin'), 20_000);
  expect(await pin.text('[data-hpki-login="holder"]')).toContain('日医');

  await pull(w, VPCD_READER);
  await pin.waitForSelector(STATE('insert-card'), 10_000);
  await serveBothTogether(w);
  await pin.waitForSelector(STATE('choose-card'), 20_000);
  expect(await pin.count('[data-hpki-login="card-choice"]')).toBe(2);

  await pin.click(`[data-hpki-login="card-choice"][data-reader="${SECOND_READER}"]`);
  await pin.waitForSelector(STATE('pin'), 20_000);
  expect(await pin.text('[data-hpki-login="holder"]')).toContain('花子');
  await pin.submitWithEnter('input[name="pin"]', PIN);
  await page.waitForPath(/^\/portal/);
  expect(await page.text('body')).toContain('花子');
  await page.close();
}

async function anotherTabOpensItsWindow(w: PulledWorld): Promise<void> {
  const page = await loginPage(w);
  await page.click('[data-hpki-login="button"]');
  const pin = await w.browser.waitForExtensionPage('pin.html');
  await pin.waitForSelector(STATE('choose-card'), 20_000);
  await pin.clickClosing('[data-hpki-login="cancel"]');
  await pin.waitForClose();
  await page.close();
}

async function closedWhileWaitingForACard(w: PulledWorld): Promise<void> {
  await pull(w, SECOND_READER);
  await pull(w, VPCD_READER);
  const page = await loginPage(w);
  await page.click('[data-hpki-login="button"]');
  const waiting = await w.browser.waitForExtensionPage('pin.html');
  await waiting.waitForSelector(STATE('insert-card'), 20_000);
  await waiting.close();
  await expect.poll(() => w.browser.openExtensionPages('pin.html'), { timeout: 10_000 }).toBe(0);

  // The same tab again (after its short cool-down for a closed window): a window, not ERR_HPKI_BUSY.
  await page.click('[data-hpki-login="button"]');
  const next = await w.browser.waitForExtensionPage('pin.html', 20_000);
  await next.waitForSelector(STATE('insert-card'), 20_000);
  await next.clickClosing('[data-hpki-login="cancel"]');
  await next.waitForClose();
  await page.close();
}

export function describeCardPulledScenario(launch: Launcher, browserName: 'chromium' | 'firefox'): void {
  const w = pulledWorld(launch, browserName);
  describe(`a card pulled at the PIN, then two cards (${browserName}, pcscd + vpcd, two readers)`, () => {
    it(
      'A at pin → pulled → insert-card → A and B → choose-card → B → pin with B → PIN → the portal greets B',
      { timeout: 120_000 },
      () => pulledThenChosen(w),
    );
    it('afterwards a login in another tab opens its window', { timeout: 60_000 }, () => anotherTabOpensItsWindow(w));
    it('a window closed while it waits for a card: the next login opens a window', { timeout: 90_000 }, () =>
      closedWhileWaitingForACard(w),
    );
  });
}
