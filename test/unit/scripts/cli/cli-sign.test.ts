import { createHash, createPrivateKey, sign } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCardFile, readKeyPair } from '../../../../native-host/virtual-card/index.js';
import * as w from '../../../../protocol/der-writer.js';
import { createTestPki, makeCrl, toPem } from '../../../../scripts/dev/test-pki.js';
import { startTestTsa, type TestTsa } from '../../../../scripts/dev/test-tsa.js';
import { parseCertificate } from '../../../../server/cert/index.js';
import { assembleSignedData } from '../../../../server/documents/cms/cms-builder.js';
import { encodeSigningCertificateV2 } from '../../../../server/documents/cms/ess.js';
import { CMS_OID } from '../../../../server/documents/cms/index.js';
import { compareDer } from '../../../../server/documents/cms/signed-attributes.js';
import { cli, opensslCmsVerifies } from '../../../helpers/sign-cli.js';

/**
 * `hpki-login sign --format cades` and `verify-signature` as operators run them (the built CLI) with
 * the virtual card through the mock backend: openssl accepts what sign wrote and verify-signature
 * agrees with it on the file and on a changed byte; a wrong signing PIN is reported once, never
 * retried, never echoed; --timestamp gives CAdES-T; --at and --tsa-anchor as §11 says; usage errors
 * exit 2 in Japanese and English. Over pcscd + vpcd: test/integration/sign-cli-pcsc.test.ts.
 */

const LOGIN_PIN = '1234';
const SIGN_PIN = '246813';

let dir: string;
let card: string;
let root: string;
let crl: string;
let doc: string;
const base: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hpki-cli-sign-'));
  card = join(dir, 'doctor.card');
  const created = await cli([
    'mock-card',
    'create',
    '--out',
    card,
    '--pki',
    join(dir, 'pki'),
    '--pin',
    LOGIN_PIN,
    '--sign-pin',
    SIGN_PIN,
  ]);
  expect(created.code).toBe(0);
  root = join(dir, 'pki', 'root.pem');
  crl = join(dir, 'pki', 'sign-ca.crl.pem');
  doc = join(dir, 'letter.txt');
  writeFileSync(doc, '診療情報提供書\n');
  base.push('--backend', 'mock', '--card', card, '--cache-dir', join(dir, 'cache'));
}, 60_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('sign --format cades with the virtual card', () => {
  it('writes a CAdES-BES that openssl and verify-signature accept, and both refuse after a byte changes', async () => {
    const out = join(dir, 'letter.p7s');
    const signed = await cli(['sign', doc, '--out', out, '--format', 'cades', '--pin-stdin', ...base], `${SIGN_PIN}\n`);
    expect(signed).toMatchObject({ code: 0, json: { out, format: 'cades', level: 'BES' } });
    expect(signed.stdout + signed.stderr).not.toContain(SIGN_PIN);
    expect(await opensslCmsVerifies(out, doc, root)).toBe(true);
    const verified = await cli(['verify-signature', out, '--data', doc, '--anchor', root, '--crl', crl]);
    expect(verified).toMatchObject({
      code: 0,
      json: { valid: true, format: 'cades', level: 'BES', hcRole: 'Medical Doctor', revocation: 'good' },
    });
    const changed = join(dir, 'letter-changed.txt');
    const bytes = readFileSync(doc);
    bytes[2]! ^= 0x01;
    writeFileSync(changed, bytes);
    expect(await opensslCmsVerifies(out, changed, root)).toBe(false);
    const refused = await cli(['verify-signature', out, '--data', changed, '--anchor', root, '--crl', crl]);
    expect(refused).toMatchObject({ code: 1, json: { valid: false, error: 'ERR_DOCUMENT_MODIFIED' } });
    // A changed byte of the signature file itself.
    const cms = readFileSync(out);
    cms[cms.length - 10]! ^= 0x01;
    writeFileSync(join(dir, 'broken.p7s'), cms);
    expect(await opensslCmsVerifies(join(dir, 'broken.p7s'), doc, root)).toBe(false);
    const broken = await cli(['verify-signature', join(dir, 'broken.p7s'), '--data', doc, '--anchor', root]);
    expect(broken.code).toBe(1);
  });

  it('--at: certificates checked at that time (before the card was issued: not yet valid)', async () => {
    const out = join(dir, 'at.p7s');
    await cli(['sign', doc, '--out', out, '--format', 'cades', '--pin-stdin', ...base], `${SIGN_PIN}\n`);
    const early = await cli(['verify-signature', out, '--data', doc, '--anchor', root, '--at', '2001-01-01T00:00:00Z']);
    expect(early).toMatchObject({ code: 1, json: { valid: false, error: 'ERR_CERT_NOT_YET_VALID' } });
    const role = await cli(['verify-signature', out, '--data', doc, '--anchor', root, '--role', 'Pharmacist']);
    expect(role).toMatchObject({ code: 1, json: { error: 'ERR_ROLE_NOT_ALLOWED' } });
  });

  it('a wrong signing PIN: exit 1 with the tries left, counted once, never retried, never echoed', async () => {
    const out = join(dir, 'wrong.p7s');
    const first = await cli(['sign', doc, '--out', out, '--format', 'cades', '--pin-stdin', ...base], '999999\n');
    expect(first.code).toBe(1);
    expect(first.stderr).toMatch(/ERR_HPKI_PIN_INCORRECT: 署名用 PIN が違います（残り 14 回）/);
    expect(first.stdout + first.stderr).not.toContain('999999');
    // The login PIN is not the signing PIN: another wrong try, of the signing PIN only.
    const second = await cli(
      ['sign', doc, '--out', out, '--format', 'cades', '--pin-stdin', ...base],
      `${LOGIN_PIN}\n`,
    );
    expect(second.stderr).toMatch(/残り 13 回/);
    const right = await cli(['sign', doc, '--out', out, '--format', 'cades', '--pin-stdin', ...base], `${SIGN_PIN}\n`);
    expect(right.code).toBe(0);
  });

  it('a PIN no card holds (too short, too long, a space, full-width): exit 2, nothing sent, no try taken', async () => {
    const out = join(dir, 'malformed.p7s');
    const tries = (): number => {
      const file = loadCardFile(card);
      if (file.kind !== 'hpki') throw new Error('not an HPKI card file');
      return file.applications.sign.pin.retriesLeft;
    };
    const before = tries();
    for (const pin of ['246', '24681357924681357', '2468 13', '２４６８１３']) {
      const refused = await cli(['sign', doc, '--out', out, '--format', 'cades', '--pin-stdin', ...base], `${pin}\n`);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/PIN は半角英数記号 4〜16 文字です。カードには何も送っていません/);
      expect(refused.stdout + refused.stderr).not.toContain(pin);
      expect(tries()).toBe(before);
    }
  });
});

describe('verify-signature agrees with openssl on tampered copies', () => {
  it('a swapped certificate and a missing SigningCertificateV2: both refuse, verify-signature with its code', async () => {
    const otherCard = join(dir, 'other.card');
    await cli([
      'mock-card',
      'create',
      '--out',
      otherCard,
      '--pki',
      join(dir, 'pki'),
      '--name',
      'Betsu Hanako',
      '--pin',
      LOGIN_PIN,
    ]);
    const own = readKeyPair(loadCardFile(card), 'sign');
    const other = readKeyPair(loadCardFile(otherCard), 'sign');
    const key = createPrivateKey({ key: Buffer.from(own.privateKeyPkcs8), format: 'der', type: 'pkcs8' });
    const data = readFileSync(doc);
    const attr = (type: string, value: Uint8Array) => w.sequence(w.objectIdentifier(type), w.set(value));
    const common = [
      attr(CMS_OID.contentType, w.objectIdentifier(CMS_OID.data)),
      attr(CMS_OID.messageDigest, w.octetString(new Uint8Array(createHash('sha256').update(data).digest()))),
    ];
    const cases: Array<[string, Uint8Array[], Uint8Array, RegExp]> = [
      // Signed as the own card (its SigningCertificateV2), delivered under another doctor's certificate.
      [
        'swapped',
        [...common, attr(CMS_OID.signingCertificateV2, encodeSigningCertificateV2(parseCertificate(own.certificate)))],
        other.certificate,
        /ERR_SIGNATURE_INVALID/,
      ],
      // Correctly signed by the certificate it carries, but without SigningCertificateV2.
      ['no-v2', common, own.certificate, /ERR_SIGNED_ATTRIBUTE_INVALID/],
    ];
    for (const [name, attributes, certificate, code] of cases) {
      const signedAttributes = w.set(...attributes.sort(compareDer));
      const file = join(dir, `${name}.p7s`);
      const cms = await assembleSignedData({
        hashAlgorithm: 'SHA-256',
        signedAttributes,
        signature: new Uint8Array(sign('sha256', signedAttributes, key)),
        certificate: parseCertificate(certificate),
        intermediates: own.caCertificates.slice(0, 1),
      });
      writeFileSync(file, cms);
      expect(await opensslCmsVerifies(file, doc, root)).toBe(false);
      const r = await cli(['verify-signature', file, '--data', doc, '--anchor', root, '--crl', crl]);
      expect(r.code).toBe(1);
      expect(String(r.json?.error)).toMatch(code);
    }
  });
});

describe('sign refuses before the card is asked', () => {
  it('an OUT that cannot be written: exit 2, no PIN read', async () => {
    const r = await cli(
      ['sign', doc, '--out', join(dir, 'no-such-folder', 'x.p7s'), '--format', 'cades', '--pin-stdin', ...base],
      '999999\n',
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/に書き込めません \/ cannot write/);
  });
});

describe('sign --timestamp', () => {
  let tsa: TestTsa;
  let tsaRoot: string;
  let tsaCrl: string;
  beforeAll(async () => {
    const pki = createTestPki();
    tsa = await startTestTsa({ tsa: pki.issueTsa(), chain: [pki.root.certificate] });
    tsaRoot = join(dir, 'tsa-root.pem');
    writeFileSync(tsaRoot, toPem(pki.root.certificate, 'CERTIFICATE'));
    tsaCrl = join(dir, 'tsa-root.crl.pem');
    const list = makeCrl({
      issuer: pki.root.name,
      signingKey: pki.root.key,
      thisUpdate: new Date(Date.now() - 60_000),
      nextUpdate: new Date(Date.now() + 86_400_000),
    });
    writeFileSync(tsaCrl, toPem(list, 'X509 CRL'));
  });
  afterAll(async () => tsa?.stop());

  it('writes CAdES-T; verify-signature checks the timestamp against --tsa-anchor', async () => {
    const out = join(dir, 'letter-t.p7s');
    const signed = await cli(
      ['sign', doc, '--out', out, '--format', 'cades', '--pin-stdin', '--timestamp', tsa.url, ...base],
      `${SIGN_PIN}\n`,
    );
    expect(signed).toMatchObject({ code: 0, json: { level: 'T' } });
    expect(await opensslCmsVerifies(out, doc, root)).toBe(true);
    const trust = ['--anchor', root, '--crl', crl, '--crl', tsaCrl];
    const verified = await cli(['verify-signature', out, '--data', doc, ...trust, '--tsa-anchor', tsaRoot]);
    expect(verified).toMatchObject({
      code: 0,
      json: { valid: true, level: 'T', timestamp: { tsa: expect.stringMatching(/Test TSA/) } },
    });
    const untrusted = await cli(['verify-signature', out, '--data', doc, ...trust]);
    expect(untrusted).toMatchObject({ code: 1, json: { valid: false, level: 'T', error: 'ERR_TSA_UNTRUSTED' } });
  });

  it('an unreachable TSA: exit 1 with ERR_TSA_UNAVAILABLE, nothing written', async () => {
    const out = join(dir, 'never.p7s');
    const r = await cli(
      ['sign', doc, '--out', out, '--format', 'cades', '--pin-stdin', '--timestamp', 'http://127.0.0.1:9/', ...base],
      `${SIGN_PIN}\n`,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/ERR_TSA_UNAVAILABLE/);
  });
});

describe('usage errors exit 2', () => {
  it.each([
    [['sign', 'x.txt', '--format', 'cades'], /--out OUT/],
    [['sign', 'x.txt', '--out', 'y', '--format', 'zip'], /--format は cades, pades, xades/],
    [['sign', 'x.txt', '--out', 'y', '--format', 'cades', '--backend', 'mock'], /--card FILE/],
    [['sign', 'x.txt', '--out', 'y', '--format', 'cades', '--timestamp', 'ftp://tsa'], /http または https/],
    [['sign', 'x.txt', '--out', 'y', '--format', 'cades', '--backend', 'mock', '--card', 'c'], /cannot read x.txt/],
    [['verify-signature', 'x.p7s'], /--anchor/],
    [['verify-signature', 'x.p7s', '--anchor', 'nothing.pem'], /nothing.pem/],
  ])('%j', async (args, message) => {
    const r = await cli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});
