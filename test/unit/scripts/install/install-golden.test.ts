import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ExtensionIds } from '../../../../scripts/install/host-manifest.js';
import type { InstallRequest } from '../../../../scripts/install/plan.js';
import { planInstall } from '../../../../scripts/install/plan.js';

/**
 * The generated files, byte for byte, against reviewed copies in test/golden/install/. After an
 * intended change, regenerate with UPDATE_GOLDEN=1 and review the diff.
 */

const IDS: ExtensionIds = {
  chrome: { development: 'abcdefghijklmnopabcdefghijklmnop', store: ['ponmlkjihgfedcbaponmlkjihgfedcba'] },
  firefox: { development: 'hpki-login-dev@hpkilogin.jp', release: 'hpki-login@hpkilogin.jp' },
};
const GOLDEN = new URL('../../../golden/install/', import.meta.url);

function golden(name: string, actual: Uint8Array): void {
  const url = new URL(name, GOLDEN);
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(url, actual);
  expect(existsSync(url), `${name} has no golden copy: run with UPDATE_GOLDEN=1 and review it`).toBe(true);
  expect(Buffer.from(actual).equals(readFileSync(url)), `${name} differs from its golden copy`).toBe(true);
}

function files(request: InstallRequest): Record<string, Uint8Array> {
  const plan = planInstall(request);
  return Object.fromEntries(plan.files.map((f) => [`${f.role}:${f.path}`, f.content]));
}

describe('golden install files', () => {
  it('linux: Chromium manifest (with --development) and launcher for the mock backend', () => {
    const out = files({
      browser: 'chromium',
      os: 'linux',
      system: false,
      home: '/home/doctor',
      host: { backend: 'mock', card: '/home/doctor/cards/yamada card.json' },
      runtime: { node: '/usr/bin/node', cli: '/opt/hpki-login/bin/hpki-login.js' },
      ids: IDS,
      trust: 'development',
    });
    golden(
      'linux-chromium.json',
      out['manifest:/home/doctor/.config/chromium/NativeMessagingHosts/jp.hpkilogin.host.json'] ?? new Uint8Array(),
    );
    golden(
      'linux-launcher.sh',
      out['launcher:/home/doctor/.local/share/hpki-login/chromium/hpki-login-host'] ?? new Uint8Array(),
    );
  });

  it('linux: Firefox manifest for the PKCS#11 backend', () => {
    const out = files({
      browser: 'firefox',
      os: 'linux',
      system: true,
      home: '/root',
      host: { backend: 'pkcs11', module: '/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so' },
      runtime: { node: '/usr/bin/node', cli: '/opt/hpki-login/bin/hpki-login.js' },
      ids: IDS,
      trust: 'release',
    });
    golden(
      'linux-firefox-system.json',
      out['manifest:/usr/lib/mozilla/native-messaging-hosts/jp.hpkilogin.host.json'] ?? new Uint8Array(),
    );
    expect(out['manifest:/usr/lib64/mozilla/native-messaging-hosts/jp.hpkilogin.host.json']).toEqual(
      out['manifest:/usr/lib/mozilla/native-messaging-hosts/jp.hpkilogin.host.json'],
    );
  });

  it('windows: launcher, .reg pair and PowerShell for Chrome (HKCU)', () => {
    const dir = 'C:\\Users\\doctor\\AppData\\Local\\hpki-login\\chrome';
    const out = files({
      browser: 'chrome',
      os: 'win32',
      system: false,
      home: 'C:\\Users\\doctor',
      host: { backend: 'pcsc' },
      runtime: {
        node: 'C:\\Program Files\\nodejs\\node.exe',
        cli: 'C:\\Program Files\\hpki-login\\bin\\hpki-login.js',
      },
      ids: IDS,
      trust: 'release',
    });
    golden('win32-chrome.json', out[`manifest:${dir}\\jp.hpkilogin.host.json`] ?? new Uint8Array());
    golden('win32-launcher.cmd', out[`launcher:${dir}\\hpki-login-host.cmd`] ?? new Uint8Array());
    golden('win32-register.reg', out[`register-reg:${dir}\\register.reg`] ?? new Uint8Array());
    golden('win32-unregister.reg', out[`unregister-reg:${dir}\\unregister.reg`] ?? new Uint8Array());
    golden('win32-register.ps1', out[`register-ps1:${dir}\\register.ps1`] ?? new Uint8Array());
  });
});
