import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCardFile } from '../../scripts/dev/virtual-card-process.js';
import { launchChromium } from '../helpers/chromium-e2e.js';
import type { E2eBrowser } from '../helpers/e2e-browser.js';
import { type LoopbackSite, loginPageHtml, startLoopbackSite } from '../helpers/loopback-site.js';

/**
 * Origins in real Chromium (issue 13 item 4): a document served with CSP `sandbox` has an opaque
 * origin although its URL is the site's. It must get neither the button nor an answer from the page
 * API, while the same page served without the sandbox gets both.
 */

/** What a site's script in the document sees when it asks the page API, posting to any origin. */
function askFromAnyOrigin(request: Record<string, unknown>): Promise<string> {
  return new Promise<string>((resolve) => {
    const id = `s-${Math.random().toString(36).slice(2)}`;
    const timer = setTimeout(() => resolve('no answer'), 3_000);
    window.addEventListener('message', (event: MessageEvent) => {
      const data = event.data as { hpkiLogin?: number; id?: string; type?: string } | null;
      if (data?.hpkiLogin !== 1 || data.id !== id || data.type === undefined) return;
      if (data.type === 'ack') return;
      clearTimeout(timer);
      resolve(data.type);
    });
    window.postMessage({ hpkiLogin: 1, id, ...request }, '*');
  });
}

describe('a sandboxed document (opaque origin) in Chromium', () => {
  let dir: string;
  let site: LoopbackSite;
  let browser: E2eBrowser;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hpki-e2e-origins-'));
    const card = join(dir, 'doctor.card');
    await createCardFile(card, join(dir, 'pki'), ['--pin', '1234']);
    // The site lets any origin read its descriptor and challenges, so only the origin check stands
    // between the sandboxed document and a login.
    site = await startLoopbackSite({ cors: true });
    site.page('/plain', { body: loginPageHtml('plain') });
    site.page('/sandboxed', {
      body: loginPageHtml('sandboxed'),
      headers: { 'Content-Security-Policy': 'sandbox allow-scripts' },
    });
    browser = await launchChromium({ hostArgs: ['--backend', 'mock', '--card', card] });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await site?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the same page without the sandbox gets the button and a page API answer', async () => {
    const page = await browser.newPage();
    await page.goto(`${site.origin}/plain`);
    await page.waitForSelector('[data-hpki-login="button"]');
    expect(await page.evaluate(askFromAnyOrigin, { action: 'status' })).toBe('result');
    await page.close();
  });

  it('gets no button and no answer from the page API', async () => {
    const page = await browser.newPage();
    await page.goto(`${site.origin}/sandboxed`);
    // The document really is sandboxed: its own origin is opaque, its URL's is the site's.
    expect(await page.evaluate(() => ({ own: self.origin, url: location.origin }), null)).toEqual({
      own: 'null',
      url: site.origin,
    });
    expect(await page.evaluate(askFromAnyOrigin, { action: 'status' })).toBe('no answer');
    const challenge = 'c'.repeat(43);
    expect(await page.evaluate(askFromAnyOrigin, { action: 'authenticate', challenge })).toBe('no answer');
    expect(await browser.openExtensionPages('pin.html')).toBe(0);
    // The plain page above had its button well within this; the sandboxed one must still have none.
    await expect(page.waitForSelector('[data-hpki-login="button"]', 3_000)).rejects.toThrow();
    expect(await page.count('[data-hpki-login="button"]')).toBe(0);
    await page.close();
  });
});
