import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  checkCard,
  checkCertificate,
  checkPcscd,
  checkPin,
  checkReaders,
} from '../../../../native-host/doctor/card-checks.js';
import type { Finding } from '../../../../native-host/doctor/findings.js';
import { formatJson, formatText } from '../../../../native-host/doctor/report.js';
import type { HpkiCertificateInfo } from '../../../../protocol/hpki-certificate.js';
import type { ExpectedIds, ManifestFacts } from '../../../../scripts/install/install-checks.js';
import { checkManifests, checkPkcs11 } from '../../../../scripts/install/install-checks.js';
import { installHost } from '../../../../scripts/install/install-host.js';
import { gatherManifestFacts } from '../../../../scripts/install/manifest-facts.js';
import { parseInstallOptions } from '../../../../scripts/install/options.js';

/** Each doctor check is a pure function of gathered facts: one finding per situation. */

const NOW = new Date('2027-06-01T00:00:00Z');
const ids = (fs: Finding[]): string[] => fs.map((f) => `${f.severity}:${f.id}`);

function cert(notBefore: string, notAfter: string): HpkiCertificateInfo {
  return {
    subjectName: 'Nichii Taro',
    nameJa: '日医　太郎',
    hcRole: 'Medical Doctor',
    issuerName: 'HPKI-01-MockAuthCA',
    serialNumberHex: '01',
    notBefore: new Date(notBefore),
    notAfter: new Date(notAfter),
    keyUsage: undefined,
    policies: [],
    isCa: false,
  };
}

describe('pcscd, readers and the card', () => {
  it('pcscd: running, socket-activated, absent', () => {
    expect(ids(checkPcscd({ socket: true, process: true }))).toEqual(['ok:pcscd.running']);
    expect(ids(checkPcscd({ socket: true, process: false }))).toEqual(['ok:pcscd.socket-activated']);
    const absent = checkPcscd({ socket: false, process: false });
    expect(ids(absent)).toEqual(['error:pcscd.not-running']);
    expect(absent[0]?.fix?.en).toContain('systemctl enable --now pcscd.socket');
  });

  it('readers: error, none, some', () => {
    expect(ids(checkReaders({ error: { code: 'ERR_HPKI_NO_READER', message: 'x' } }))).toEqual([
      'error:readers.unavailable',
    ]);
    const down = { error: { code: 'ERR_HPKI_NO_READER', message: 'SCARD_E_NO_SERVICE' } };
    expect(checkReaders(down, 'linux')[0]?.fix?.en).toContain('systemctl enable --now pcscd.socket');
    expect(checkReaders(down, 'darwin')[0]?.fix?.en).toContain('macOS has PC/SC built in');
    expect(checkReaders(down, 'win32')[0]?.fix?.en).toContain('SCardSvr');
    expect(ids(checkReaders({ readers: [] }))).toEqual(['error:readers.none']);
    expect(ids(checkReaders({ readers: [{ name: 'R1', cardPresent: false, cardType: null }] }))).toEqual([
      'ok:readers.found',
    ]);
  });

  const oneReader = { readers: [{ name: 'R1', cardPresent: true, cardType: 'hpki' as const }] };
  it('card: none, My Number, unknown, unreadable, HPKI', () => {
    expect(ids(checkCard({ readers: [{ name: 'R1', cardPresent: false, cardType: null }] }, undefined, NOW))).toEqual([
      'warning:card.none',
    ]);
    expect(ids(checkCard(oneReader, { reader: 'R1', cardType: 'jpki' }, NOW))).toEqual(['error:card.my-number']);
    expect(ids(checkCard(oneReader, { reader: 'R1', cardType: 'unknown' }, NOW))).toEqual(['error:card.unknown']);
    expect(
      ids(
        checkCard(
          oneReader,
          { reader: 'R1', cardType: 'hpki', error: { code: 'ERR_HPKI_CARD_REMOVED', message: 'gone' } },
          NOW,
        ),
      ),
    ).toEqual(['ok:card.hpki', 'error:certificate.unreadable']);
    const full = checkCard(
      oneReader,
      {
        reader: 'R1',
        cardType: 'hpki',
        certificate: cert('2026-01-01', '2031-01-01'),
        pin: { retriesLeft: 15, maxRetries: 15 },
      },
      NOW,
    );
    expect(ids(full)).toEqual(['ok:card.hpki', 'ok:certificate.valid', 'ok:pin.ok']);
    expect(full[1]?.message.ja).toContain('日医　太郎');
    // No reader: the card check says nothing more than the reader check did.
    expect(checkCard({ readers: [] }, undefined, NOW)).toEqual([]);
  });

  it('certificate: expired, not yet valid, expiring within 60 days, valid', () => {
    expect(ids(checkCertificate(cert('2022-01-01', '2027-05-31T23:59:59Z'), NOW))).toEqual([
      'error:certificate.expired',
    ]);
    expect(ids(checkCertificate(cert('2027-06-02', '2032-01-01'), NOW))).toEqual(['error:certificate.not-yet-valid']);
    expect(ids(checkCertificate(cert('2022-01-01', '2027-07-30T00:00:00Z'), NOW))).toEqual([
      'warning:certificate.expires-soon',
    ]);
    expect(checkCertificate(cert('2022-01-01', '2027-07-30T00:00:00Z'), NOW)[0]?.message.en).toContain(
      'expires in 59 days',
    );
    expect(ids(checkCertificate(cert('2022-01-01', '2027-07-31T00:00:00Z'), NOW))).toEqual(['ok:certificate.valid']);
  });

  it('PIN: blocked, low, fine', () => {
    expect(ids(checkPin({ retriesLeft: 0, maxRetries: 15 }))).toEqual(['error:pin.blocked']);
    expect(ids(checkPin({ retriesLeft: 4, maxRetries: 15 }))).toEqual(['warning:pin.low']);
    expect(ids(checkPin({ retriesLeft: 5, maxRetries: 15 }))).toEqual(['ok:pin.ok']);
  });
});

const EXPECTED: ExpectedIds = {
  chromeOrigins: ['chrome-extension://abcdefghijklmnopabcdefghijklmnop/'],
  firefoxId: 'hpki-login@hpkilogin.jp',
  development: ['chrome-extension://fcmabpbdamoojefpfgeogfoggebghnfh/', 'hpki-login-dev@hpkilogin.jp'],
};
const launcherOk = { path: '/l', exists: true, executable: true, runs: [{ path: '/usr/bin/node', exists: true }] };
function manifest(over: Partial<ManifestFacts>): ManifestFacts {
  return {
    browser: 'chrome',
    scope: 'user',
    path: '/m.json',
    flavor: 'chrome',
    state: 'present',
    name: 'jp.hpkilogin.host',
    allowedOrigins: EXPECTED.chromeOrigins,
    launcher: launcherOk,
    ...over,
  };
}

describe('manifests, launchers and PKCS#11', () => {
  it('a healthy manifest and launcher', () => {
    expect(ids(checkManifests([manifest({})], EXPECTED))).toEqual(['ok:manifest.present', 'ok:launcher.ok']);
  });

  it('missing everywhere is an error; missing for one browser only informs', () => {
    expect(
      ids(
        checkManifests(
          [manifest({ state: 'missing' }), manifest({ browser: 'firefox', flavor: 'firefox', state: 'missing' })],
          EXPECTED,
        ),
      ),
    ).toEqual(['info:manifest.missing', 'info:manifest.missing', 'error:manifest.none']);
    expect(
      ids(
        checkManifests([manifest({}), manifest({ browser: 'firefox', flavor: 'firefox', state: 'missing' })], EXPECTED),
      ),
    ).toEqual(['ok:manifest.present', 'ok:launcher.ok', 'info:manifest.missing']);
  });

  it('invalid, wrong name, missing extension ids, unset ids, Firefox id', () => {
    expect(ids(checkManifests([manifest({ state: 'invalid' })], EXPECTED))).toEqual(['error:manifest.invalid']);
    expect(ids(checkManifests([manifest({ name: 'org.other' })], EXPECTED))).toEqual(['error:manifest.wrong-name']);
    expect(ids(checkManifests([manifest({ allowedOrigins: [] })], EXPECTED))).toEqual([
      'ok:manifest.present',
      'warning:manifest.ids-missing',
      'ok:launcher.ok',
    ]);
    expect(ids(checkManifests([manifest({})], { ...EXPECTED, chromeOrigins: [] }))).toEqual([
      'ok:manifest.present',
      'warning:ids.unset',
      'ok:launcher.ok',
    ]);
    expect(
      ids(
        checkManifests([manifest({ browser: 'firefox', flavor: 'firefox', allowedExtensions: ['other@x'] })], EXPECTED),
      ),
    ).toEqual(['ok:manifest.present', 'error:manifest.firefox-id', 'ok:launcher.ok']);
  });

  it('launcher: missing, not executable, runtime gone', () => {
    expect(ids(checkManifests([manifest({ launcher: { ...launcherOk, exists: false } })], EXPECTED))).toContain(
      'error:launcher.missing',
    );
    expect(ids(checkManifests([manifest({ launcher: { ...launcherOk, executable: false } })], EXPECTED))).toContain(
      'error:launcher.not-executable',
    );
    expect(
      ids(
        checkManifests(
          [manifest({ launcher: { ...launcherOk, runs: [{ path: '/old/node', exists: false }] } })],
          EXPECTED,
        ),
      ),
    ).toContain('error:launcher.target-missing');
  });

  it('PKCS#11 module', () => {
    expect(ids(checkPkcs11({ module: '/m.so', readers: 1, cards: 1 }))).toEqual(['ok:pkcs11.ok']);
    expect(ids(checkPkcs11({ module: '/m.so', error: { code: 'ERR_HPKI_INTERNAL', message: 'no' } }))).toEqual([
      'error:pkcs11.error',
    ]);
  });

  it('reports: one line per finding plus its fix; JSON with ok=false on errors', () => {
    const fs = checkPcscd({ socket: false, process: false });
    const text = formatText(fs);
    expect(text.split('\n')[0]).toMatch(/^\[error\] pcscd .* \/ pcscd \(the smart card service\) is not running\.$/);
    expect(text.split('\n')[1]).toMatch(/^ +→ sudo systemctl/);
    expect(JSON.parse(formatJson(fs))).toEqual({ ok: false, findings: fs });
  });
});

describe('gathering manifest facts from the disk', () => {
  let work: string;
  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), 'doctor-'));
  });
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  it('a missing manifest, then an installed one, then a launcher that lost its execute bit', async () => {
    const home = join(work, 'home');
    const query = { os: 'linux' as const, home, browsers: ['chromium' as const] };
    const before = await gatherManifestFacts(query);
    expect(before.map((m) => m.state)).toEqual(['missing', 'missing']);
    expect(ids(checkManifests(before, EXPECTED))).toEqual(['info:manifest.missing', 'error:manifest.none']);

    const cli = join(work, 'cli.mjs');
    writeFileSync(cli, '');
    await installHost(
      parseInstallOptions(['--browser', 'chromium', '--home', home, '--cli', cli], work),
      {
        chrome: { development: 'fcmabpbdamoojefpfgeogfoggebghnfh', store: ['abcdefghijklmnopabcdefghijklmnop'] },
        firefox: { development: 'hpki-login-dev@hpkilogin.jp', release: 'hpki-login@hpkilogin.jp' },
      },
      () => undefined,
    );
    const after = await gatherManifestFacts(query);
    expect(ids(checkManifests(after, EXPECTED))).toEqual(['ok:manifest.present', 'ok:launcher.ok']);
    expect(after[0]?.launcher?.runs).toEqual([
      { path: process.execPath, exists: true },
      { path: cli, exists: true },
    ]);

    chmodSync(after[0]?.launcher?.path ?? '', 0o644);
    rmSync(cli);
    expect(ids(checkManifests(await gatherManifestFacts(query), EXPECTED))).toContain('error:launcher.not-executable');
    chmodSync(after[0]?.launcher?.path ?? '', 0o755);
    expect(ids(checkManifests(await gatherManifestFacts(query), EXPECTED))).toContain('error:launcher.target-missing');
  });

  it('a manifest that is not JSON is invalid', async () => {
    const dir = join(work, 'home/.mozilla/native-messaging-hosts');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'jp.hpkilogin.host.json'), '{ not json');
    const facts = await gatherManifestFacts({ os: 'linux', home: join(work, 'home'), browsers: ['firefox'] });
    expect(facts[0]?.state).toBe('invalid');
  });
});
