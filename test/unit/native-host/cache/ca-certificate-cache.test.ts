import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCaCertificateCache } from '../../../../native-host/cache/ca-certificate-cache.js';
import { caCacheKey, caChainFits } from '../../../../native-host/cache/ca-chain-fit.js';
import { defaultCacheDir } from '../../../../native-host/cache/cache-dir.js';
import { loadOrCreateMockPki, type MockPki } from '../../../../native-host/mock-pki/index.js';
import { createCardFile, loadCardFile, readAuthKeyPair } from '../../../../native-host/virtual-card/index.js';

/**
 * The per-user CA certificate cache: keyed by the end entity's issuer and authority key identifier,
 * every entry checked against the end entity before use, corrupt or mismatched entries ignored and
 * rewritten, bounded, private to the user.
 */

let work: string;
let pki: MockPki;
/** Same names as `pki`, other keys: a CA certificate whose subject matches but whose key does not. */
let twin: MockPki;
let doctor: { certificate: Uint8Array; caCertificates: Uint8Array[] };
let twinDoctor: { certificate: Uint8Array; caCertificates: Uint8Array[] };

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'hpki-ca-cache-'));
  pki = await loadOrCreateMockPki(join(work, 'pki'));
  twin = await loadOrCreateMockPki(join(work, 'twin'));
  await createCardFile(join(work, 'a.card'), { pki, name: 'Nichii Taro', role: 'Medical Doctor', pin: '1234' });
  await createCardFile(join(work, 'b.card'), { pki: twin, name: 'Nichii Taro', role: 'Medical Doctor', pin: '1234' });
  doctor = readAuthKeyPair(loadCardFile(join(work, 'a.card')));
  twinDoctor = readAuthKeyPair(loadCardFile(join(work, 'b.card')));
}, 60_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

const hexes = (list: readonly Uint8Array[] | undefined): string[] | undefined =>
  list?.map((c) => Buffer.from(c).toString('hex'));

function freshDir(name: string): string {
  return join(work, name);
}

function entryFile(base: string): string {
  const dir = join(base, 'ca-certificates');
  const [name] = readdirSync(dir).filter((n) => n.endsWith('.json'));
  if (name === undefined) throw new Error('no cache entry');
  return join(dir, name);
}

describe('the chain check', () => {
  it('accepts the card chain and refuses a chain of other keys under the same names', () => {
    expect(caChainFits(doctor.certificate, doctor.caCertificates)).toBe(true);
    expect(caChainFits(doctor.certificate, twinDoctor.caCertificates)).toBe(false);
    expect(caChainFits(doctor.certificate, [doctor.caCertificates[1]!])).toBe(false);
    expect(caChainFits(doctor.certificate, [])).toBe(false);
    // Same issuer name, different key identifier: a different key, a different entry.
    expect(caCacheKey(doctor.certificate)).not.toBe(caCacheKey(twinDoctor.certificate));
  });
});

describe('CA certificate cache on disk', () => {
  it('a new process (a new cache object) finds what an earlier one stored; the files are private', () => {
    const dir = freshDir('warm');
    createCaCertificateCache({ dir }).store(doctor.certificate, doctor.caCertificates);
    const later = createCaCertificateCache({ dir });
    expect(hexes(later.lookup(doctor.certificate))).toEqual(hexes(doctor.caCertificates));
    expect(statSync(join(dir, 'ca-certificates')).mode & 0o777).toBe(0o700);
    expect(statSync(entryFile(dir)).mode & 0o777).toBe(0o600);
  });

  it('a corrupt entry is ignored, and the chain read from the card replaces it', () => {
    const dir = freshDir('corrupt');
    createCaCertificateCache({ dir }).store(doctor.certificate, doctor.caCertificates);
    const file = entryFile(dir);
    writeFileSync(file, '{"format":"hpki-login-ca-cache","version":1,"certificates":["AAAA');
    const later = createCaCertificateCache({ dir });
    expect(later.lookup(doctor.certificate)).toBeUndefined();
    later.store(doctor.certificate, doctor.caCertificates);
    expect(hexes(createCaCertificateCache({ dir }).lookup(doctor.certificate))).toEqual(hexes(doctor.caCertificates));
  });

  it('an entry whose CA has the right name but another key is not used, and is rewritten', () => {
    const dir = freshDir('mismatch');
    createCaCertificateCache({ dir }).store(doctor.certificate, doctor.caCertificates);
    const file = entryFile(dir);
    const planted = JSON.parse(readFileSync(file, 'utf8')) as { certificates: string[] };
    planted.certificates = twinDoctor.caCertificates.map((c) => Buffer.from(c).toString('base64'));
    writeFileSync(file, JSON.stringify(planted));
    const later = createCaCertificateCache({ dir });
    expect(later.lookup(doctor.certificate)).toBeUndefined();
    later.store(doctor.certificate, doctor.caCertificates);
    expect(readFileSync(file, 'utf8')).not.toContain(planted.certificates[0]);
    expect(hexes(createCaCertificateCache({ dir }).lookup(doctor.certificate))).toEqual(hexes(doctor.caCertificates));
  });

  it('does not keep a chain that does not fit its end entity', () => {
    const dir = freshDir('unfit');
    const cache = createCaCertificateCache({ dir });
    cache.store(doctor.certificate, twinDoctor.caCertificates);
    expect(cache.lookup(doctor.certificate)).toBeUndefined();
    expect(readdirSync(join(dir, 'ca-certificates'))).toEqual([]);
  });

  it('keeps at most maxEntries files, the most recent', () => {
    const dir = freshDir('bounded');
    const cache = createCaCertificateCache({ dir, maxEntries: 1 });
    cache.store(doctor.certificate, doctor.caCertificates);
    cache.store(twinDoctor.certificate, twinDoctor.caCertificates);
    expect(readdirSync(join(dir, 'ca-certificates'))).toHaveLength(1);
    const later = createCaCertificateCache({ dir });
    expect(later.lookup(doctor.certificate)).toBeUndefined();
    expect(hexes(later.lookup(twinDoctor.certificate))).toEqual(hexes(twinDoctor.caCertificates));
  });

  it('an unusable directory leaves the cache in memory only, never failing', () => {
    const blocker = join(work, 'not-a-dir');
    writeFileSync(blocker, 'x');
    const cache = createCaCertificateCache({ dir: blocker });
    cache.store(doctor.certificate, doctor.caCertificates);
    expect(hexes(cache.lookup(doctor.certificate))).toEqual(hexes(doctor.caCertificates));
  });
});

describe('where the cache lives', () => {
  const home = '/home/doctor';
  it.each([
    ['the override', { HPKI_LOGIN_CACHE_DIR: '/tmp/x' }, 'linux', '/tmp/x'],
    ['XDG_CACHE_HOME', { XDG_CACHE_HOME: '/var/cache/doctor' }, 'linux', '/var/cache/doctor/hpki-login'],
    ['a relative XDG_CACHE_HOME is ignored', { XDG_CACHE_HOME: 'cache' }, 'linux', '/home/doctor/.cache/hpki-login'],
    ['Linux default', {}, 'linux', '/home/doctor/.cache/hpki-login'],
    ['macOS', {}, 'darwin', '/home/doctor/Library/Caches/hpki-login'],
  ] as const)('%s', (_name, env, platform, expected) => {
    expect(defaultCacheDir({ env, platform, home })).toBe(expected);
  });
  it('Windows: under LOCALAPPDATA', () => {
    const local = 'C:\\Users\\d\\AppData\\Local';
    expect(defaultCacheDir({ env: { LOCALAPPDATA: local }, platform: 'win32', home })).toBe(
      join(local, 'hpki-login', 'cache'),
    );
  });
});
