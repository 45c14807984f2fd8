import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { launchWithExtension } from '../../scripts/dev/chromium.js';
import { CLI } from '../../scripts/dev/native-client.js';

/**
 * `hpki-login demo` as a newcomer runs it, on a machine without a display: it prints how to open the
 * browser; following exactly that (the demo's own profile, card and host registration) logs in.
 */

const home = mkdtempSync(join(tmpdir(), 'hpki-demo-home-'));
let demo: ChildProcess | undefined;

afterAll(() => {
  demo?.kill('SIGTERM');
  rmSync(home, { recursive: true, force: true });
});

function startDemo(args: string[] = [], display = ''): Promise<string> {
  demo?.kill('SIGTERM');
  const env = { ...process.env, HOME: home, DISPLAY: display, WAYLAND_DISPLAY: '' };
  demo = spawn(process.execPath, [CLI, 'demo', '--port', '0', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`demo did not get ready: ${out}`)), 60_000);
    demo!.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      // The card and host are made after the banner: the steps end with the PIN.
      if (/enter the PIN \d+\./.test(out)) {
        clearTimeout(timer);
        resolve(out);
      }
    });
    demo!.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    demo!.once('exit', (code) => reject(new Error(`demo exited ${code}: ${out}`)));
  });
}

describe('hpki-login demo without a display', () => {
  it('prints the steps, and following them logs the doctor in with the virtual card', async () => {
    const out = await startDemo();
    expect(out).toContain('no display (DISPLAY is not set): no browser opened.');
    expect(out).toContain('xvfb-run -a hpki-login demo');
    const profile = /--user-data-dir=(\S+)/.exec(out)?.[1];
    const url = /(http:\/\/localhost:\d+\/)\s*$/m.exec(out)?.[1];
    const pin = /enter the PIN (\d+)/.exec(out)?.[1];
    expect(profile).toBeDefined();
    expect(url).toBeDefined();
    expect(pin).toBe('1234');

    const browser = await launchWithExtension({ userDataDir: profile! });
    try {
      const page = await browser.context.newPage();
      await page.goto(url!);
      await page.locator('[data-hpki-login="button"]').click();
      const pinWindow = await browser.waitForExtensionPage('pin.html');
      await pinWindow.locator('input[name="pin"]').fill(pin!);
      // The window closes itself once the host has signed; the portal page below is the check.
      await pinWindow
        .locator('button[type="submit"]')
        .click()
        .catch(() => undefined);
      await page.waitForURL(/\/portal/, { timeout: 20_000 });
      expect(await page.textContent('body')).toContain('ようこそ 日医 太郎 先生');
    } finally {
      await browser.close();
    }
  });

  it('--no-browser still makes the card and registers the host, and prints the steps', async () => {
    const out = await startDemo(['--no-browser', '--no-sso'], ':99');
    expect(out).toContain('--no-browser: no browser opened.');
    expect(out).toContain(`virtual HPKI card: ${join(home, '.hpki-login', 'demo.card')}`);
    const profile = /--user-data-dir=(\S+)/.exec(out)?.[1];
    expect(profile).toBe(join(home, '.hpki-login', 'demo-chromium-profile'));
    expect(existsSync(join(home, '.hpki-login', 'demo.card'))).toBe(true);
    expect(existsSync(join(profile!, 'NativeMessagingHosts', 'jp.hpkilogin.host.json'))).toBe(true);
    expect(out).toMatch(/enter the PIN 1234/);
  });
});
