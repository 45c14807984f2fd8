import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { type Portal, startPortal, stopPortal } from '../../scripts/dev/demo-portal.js';
import { type PcscdHandle, startPcscd, VPCD_READER } from '../../scripts/dev/pcscd.js';
import {
  createCardFile,
  type ServedCard,
  serveCard,
  waitForCardPresence,
} from '../../scripts/dev/virtual-card-process.js';
import type { BrowserName, E2eBrowser, Launcher } from '../helpers/e2e-browser.js';
import { screenshotsDir } from '../helpers/screenshots.js';
import { ssoAcrossTwoServices } from './sso-flow.js';

/**
 * The demo's single sign-on in a real browser: the built extension, the native host registered by
 * `install-host`, the virtual card through pcscd + vpcd, and `hpki-login demo` with its OpenID
 * provider and second service. Screenshots go to test-output/screenshots/
 * (`npm run screenshots`: docs/screenshots/), Firefox's prefixed.
 */

const SCREENSHOTS = screenshotsDir();

export function describeSsoScenario(launch: Launcher, name: BrowserName): void {
  let pcscd: PcscdHandle;
  let dir: string;
  let demo: Portal;
  let browser: E2eBrowser;
  let card: ServedCard;

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    pcscd = await startPcscd();
    dir = mkdtempSync(join(tmpdir(), 'hpki-e2e-sso-'));
    const pki = join(dir, 'pki');
    await createCardFile(join(dir, 'doctor.card'), pki, ['--pin', '1234']);
    card = await serveCard(join(dir, 'doctor.card'));
    await waitForCardPresence(VPCD_READER, true);
    demo = await startPortal(['--pki', pki]);
    browser = await launch({ hostArgs: ['--backend', 'pcsc'] });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    if (demo) await stopPortal(demo);
    await card?.stop();
    await pcscd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  describe(`single sign-on in ${name} with the extension and a virtual card over pcscd`, () => {
    it('one PIN entry logs the doctor into both demo services; logout from one logs the other out', async () => {
      const out = demo.stdout();
      const issuer = /\(OpenID provider\): (http:\/\/localhost:\d+)\//.exec(out)?.[1];
      const records = /\(logs in only through the provider\): (http:\/\/localhost:\d+)/.exec(out)?.[1];
      if (issuer === undefined || records === undefined) throw new Error(`the demo printed no SSO services: ${out}`);
      const screenshots = name === 'chromium' ? SCREENSHOTS : `${SCREENSHOTS}firefox-`;
      await ssoAcrossTwoServices(browser, { portal: demo.origin, records, issuer, pin: '1234', screenshots }).catch(
        (err: unknown) => {
          // What the demo told its operator helps to understand a failure.
          throw new Error(`${String(err)}\ndemo stderr: ${demo.stderr()}`, { cause: err });
        },
      );
    }, 120_000);
  });
}
