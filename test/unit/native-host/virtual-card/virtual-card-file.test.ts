import { createHash, createPrivateKey, sign, verify, X509Certificate } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateMockPki, type MockPki } from '../../../../native-host/mock-pki/index.js';
import { X509Crl } from '../../../../native-host/mock-pki/x509.js';
import {
  type CardFile,
  createCardFile,
  createVirtualCard,
  loadCardFile,
  readAuthKeyPair,
} from '../../../../native-host/virtual-card/index.js';
import { AUTH_AID, hexOf, selectAid, sw, verifyPin } from '../../../helpers/card-apdu.js';

const selectAuth = selectAid(AUTH_AID);

let dir: string;
let pki: MockPki;
let cardPath: string;

function hpki(file: CardFile): Extract<CardFile, { kind: 'hpki' }> {
  if (file.kind !== 'hpki') throw new Error('expected an HPKI card file');
  return file;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'virtual-card-file-'));
  pki = await loadOrCreateMockPki(join(dir, 'pki'));
  cardPath = join(dir, 'doctor.card');
  await createCardFile(cardPath, {
    pki,
    name: 'Nichii Taro',
    nameJa: '日医　太郎',
    role: 'Medical Doctor',
    pin: '1234',
  });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('card file', () => {
  it('stores the PIN only as a salted SHA-256, in a 0600 file', () => {
    expect(statSync(cardPath).mode & 0o777).toBe(0o600);
    const file = hpki(loadCardFile(cardPath));
    expect(readFileSync(cardPath, 'utf8')).not.toContain('"1234"');
    for (const app of [file.applications.auth, file.applications.sign]) {
      expect(Object.keys(app.pin).sort()).toEqual(['maxRetries', 'retriesLeft', 'salt', 'sha256']);
      const expected = createHash('sha256').update(Buffer.from(app.pin.salt, 'hex')).update('1234').digest('hex');
      expect(app.pin.sha256).toBe(expected);
      expect(app.pin).toMatchObject({ retriesLeft: 15, maxRetries: 15 });
    }
    expect(file.holder).toEqual({ name: 'Nichii Taro', nameJa: '日医　太郎', role: 'Medical Doctor' });
  });

  it('persists the counter on every change, so a reloaded card remembers it', () => {
    const path = join(dir, 'counter.card');
    writeFileSync(path, readFileSync(cardPath));
    const first = createVirtualCard({ path });
    expect(sw(first, selectAuth)).toBe('9000');
    expect(sw(first, verifyPin('0000'))).toBe('63ce');
    expect(sw(first, verifyPin('1111'))).toBe('63cd');
    expect(hpki(loadCardFile(path)).applications.auth.pin.retriesLeft).toBe(13);
    const second = createVirtualCard({ path });
    expect(sw(second, selectAuth)).toBe('9000');
    expect(sw(second, '00200088')).toBe('63cd');
    expect(sw(second, verifyPin('1234'))).toBe('9000');
    expect(hpki(loadCardFile(path)).applications.auth.pin.retriesLeft).toBe(15);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('keeps a locked card locked when it is served again', () => {
    const path = join(dir, 'locked.card');
    writeFileSync(path, readFileSync(cardPath));
    const card = createVirtualCard({ path });
    expect(sw(card, selectAuth)).toBe('9000');
    for (let i = 0; i < 15; i++) sw(card, verifyPin('0000'));
    const again = createVirtualCard({ path });
    expect(sw(again, selectAuth)).toBe('9000');
    expect(sw(again, '00200088')).toBe('63c0');
    expect(sw(again, verifyPin('1234'))).toBe('6984');
  });

  it('keeps counters in memory only for a card made from data', () => {
    const data = loadCardFile(cardPath);
    const before = readFileSync(cardPath, 'utf8');
    const card = createVirtualCard({ data });
    expect(sw(card, selectAuth)).toBe('9000');
    expect(sw(card, verifyPin('0000'))).toBe('63ce');
    expect(hpki(data).applications.auth.pin.retriesLeft).toBe(15);
    expect(readFileSync(cardPath, 'utf8')).toBe(before);
  });

  it('refuses files that are not card files', () => {
    const bad = join(dir, 'bad.card');
    const good = JSON.parse(readFileSync(cardPath, 'utf8')) as Record<string, unknown>;
    const attempt = (content: string): (() => CardFile) => {
      writeFileSync(bad, content);
      return () => loadCardFile(bad);
    };
    expect(attempt('{not json')).toThrow(/not JSON/);
    expect(attempt(JSON.stringify({ ...good, format: 'other' }))).toThrow(/not a virtual card file/);
    expect(attempt(JSON.stringify({ ...good, extra: 1 }))).toThrow(/not a virtual card file/);
    const file = hpki(structuredClone(good) as CardFile);
    file.applications.auth.pin.retriesLeft = 16;
    expect(attempt(JSON.stringify(file))).toThrow(/retriesLeft/);
    const badBase64 = hpki(structuredClone(good) as CardFile);
    badBase64.applications.auth.certificate = `${badBase64.applications.auth.certificate.slice(0, -4)}!!!!`;
    expect(attempt(JSON.stringify(badBase64))).toThrow(/base64/);
    expect(attempt(' '.repeat(70 * 1024))).toThrow(/too large/);
  });

  it('refuses a card whose key does not belong to its certificate', () => {
    const file = hpki(loadCardFile(cardPath));
    file.applications.auth.privateKeyPkcs8 = file.applications.sign.privateKeyPkcs8;
    expect(() => createVirtualCard({ data: file })).toThrow(/does not match/);
  });

  it('reads the auth key pair out for export: certificate, key and CA certificates that belong together', () => {
    const file = loadCardFile(cardPath);
    const pair = readAuthKeyPair(file);
    const certificate = new X509Certificate(pair.certificate);
    expect(certificate.subject).toContain('CN=Nichii Taro');
    const key = createPrivateKey({ key: Buffer.from(pair.privateKeyPkcs8), format: 'der', type: 'pkcs8' });
    const signature = sign('sha256', Buffer.from('export'), key);
    expect(verify('sha256', Buffer.from('export'), certificate.publicKey, signature)).toBe(true);
    expect(pair.caCertificates.map(hexOf)).toEqual([hexOf(pki.authCa.certificate), hexOf(pki.root.certificate)]);
    expect(certificate.checkIssued(new X509Certificate(pair.caCertificates[0]!))).toBe(true);
  });

  it('makes expired and revoked cards as asked, with fresh CRLs beside the PKI', async () => {
    const expiredPath = join(dir, 'expired.card');
    await createCardFile(expiredPath, { pki, name: 'Old Doctor', role: 'Medical Doctor', pin: '5678', expired: true });
    const expired = new X509Certificate(readAuthKeyPair(loadCardFile(expiredPath)).certificate);
    expect(new Date(expired.validTo).getTime()).toBeLessThan(Date.now());
    const revokedPath = join(dir, 'revoked.card');
    await createCardFile(revokedPath, { pki, name: 'Gone Doctor', role: 'Pharmacist', pin: '5678', revoked: true });
    const revoked = new X509Certificate(readAuthKeyPair(loadCardFile(revokedPath)).certificate);
    const crl = new X509Crl(readFileSync(join(pki.dir, 'auth-ca.crl.pem'), 'utf8'));
    expect(crl.findRevoked(revoked.serialNumber.toLowerCase())).not.toBeNull();
    expect(crl.findRevoked(expired.serialNumber.toLowerCase())).toBeNull();
    expect(Math.abs(crl.thisUpdate.getTime() - Date.now())).toBeLessThan(60_000);
    await expect(
      createCardFile(join(dir, 'x.card'), { pki, name: 'X', role: 'Medical Doctor', pin: '12' }),
    ).rejects.toThrow(/PIN/);
  });
});

describe('My Number (JPKI) card', () => {
  it('answers the JPKI AID, not the HPKI ones, with its own ATR', async () => {
    const path = join(dir, 'mynumber.card');
    await createCardFile(path, { pki, name: 'Anyone', role: 'Medical Doctor', pin: '1234', kind: 'jpki' });
    const card = createVirtualCard({ path });
    expect(hexOf(card.atr().subarray(4, 12))).toBe('000041e0b381a100');
    expect(
      card
        .atr()
        .subarray(1)
        .reduce((x, b) => x ^ b, 0),
    ).toBe(0);
    expect(sw(card, '00a4040c0ad392f000260100000001')).toBe('9000');
    expect(sw(card, selectAuth)).toBe('6a82');
    expect(sw(card, '00a4040005e828bd080f00')).toBe('6a82');
    expect(sw(card, '00ca000000')).toBe('6d00');
    expect(() => readAuthKeyPair(loadCardFile(path))).toThrow(/My Number/);
  });
});
