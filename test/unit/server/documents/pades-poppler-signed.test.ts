import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateMockPki, type MockPki, writeCurrentCrls } from '../../../../native-host/mock-pki/index.js';
import { createCardFile, loadCardFile, readKeyPair } from '../../../../native-host/virtual-card/index.js';
import type { DocumentVerifyOptions } from '../../../../server/documents/document-types.js';
import { finishPades, preparePades, verifyPades } from '../../../../server/documents/pades/index.js';
import { classicPdf } from '../../../helpers/pdf-samples.js';

/**
 * A PDF signed by someone else's code: poppler's `pdfsig -add-signature` (NSS; adbe.pkcs7.detached,
 * a BER-encoded CMS) with a virtual card's signing key and certificate imported into an NSS
 * database. verifyPades reads it as valid and refuses it after a byte changes; signing it again with
 * preparePades adds a second signature that pdfsig and verifyPades both count and accept.
 */

const run = promisify(execFile);

let dir: string;
let pki: MockPki;
let options: DocumentVerifyOptions;
let popplerSigned: Uint8Array;
let pair: ReturnType<typeof readKeyPair>;

function toPem(label: string, der: Uint8Array): string {
  return `-----BEGIN ${label}-----\n${Buffer.from(der).toString('base64')}\n-----END ${label}-----\n`;
}

async function nssDatabase(): Promise<string> {
  const db = join(dir, 'nss');
  mkdirSync(db);
  writeFileSync(join(dir, 'key.pem'), toPem('PRIVATE KEY', pair.privateKeyPkcs8));
  writeFileSync(join(dir, 'cert.pem'), toPem('CERTIFICATE', pair.certificate));
  writeFileSync(join(dir, 'ca.pem'), pair.caCertificates.map((c) => toPem('CERTIFICATE', c)).join(''));
  // biome-ignore format: one command line
  await run('openssl', ['pkcs12', '-export', '-inkey', join(dir, 'key.pem'), '-in', join(dir, 'cert.pem'), '-certfile', join(dir, 'ca.pem'), '-name', 'doctor', '-passout', 'pass:test', '-out', join(dir, 'doctor.p12')]);
  await run('certutil', ['-N', '-d', `sql:${db}`, '--empty-password']);
  await run('pk12util', ['-i', join(dir, 'doctor.p12'), '-d', `sql:${db}`, '-W', 'test']);
  return db;
}

async function pdfsigReport(pdf: Uint8Array): Promise<string> {
  const file = join(dir, `${Math.random().toString(36).slice(2)}.pdf`);
  writeFileSync(file, pdf);
  try {
    return (await run('pdfsig', ['-nocert', file])).stdout;
  } catch (err) {
    return String((err as { stdout?: string }).stdout ?? err);
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pades-poppler-'));
  pki = await loadOrCreateMockPki(join(dir, 'pki'));
  await createCardFile(join(dir, 'doctor.card'), { pki, name: 'Popura Ichiro', role: 'Medical Doctor', pin: '1234' });
  pair = readKeyPair(loadCardFile(join(dir, 'doctor.card')), 'sign');
  const crls = await writeCurrentCrls(pki);
  options = { anchors: [pki.root.certificate], crls: [crls.signCaCrl] };
  const db = await nssDatabase();
  writeFileSync(join(dir, 'letter.pdf'), classicPdf());
  const out = join(dir, 'letter-poppler.pdf');
  // pdfsig exits 0 but may print an NSS shutdown warning on stderr.
  // biome-ignore format: one command line
  await run('pdfsig', ['-nssdir', `sql:${db}`, '-add-signature', '-nick', 'doctor', '-reason', 'test', join(dir, 'letter.pdf'), out]);
  popplerSigned = new Uint8Array(readFileSync(out));
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a PDF signed by poppler (NSS)', () => {
  it('is BER inside, and verifyPades reads it as valid B-B with the holder', async () => {
    const text = Buffer.from(popplerSigned).toString('latin1');
    expect(text).toContain('/SubFilter /adbe.pkcs7.detached');
    // An indefinite length right at the start of the CMS: 30 80.
    expect(text).toMatch(/\/Contents\s*<3080/);
    expect(await verifyPades(popplerSigned, options)).toMatchObject({
      valid: true,
      format: 'pades',
      level: 'B-B',
      holder: { name: 'Popura Ichiro' },
      revocation: 'good',
    });
  });

  it('is refused by both after a byte of the signed range changes', async () => {
    const changed = popplerSigned.slice();
    const at = Buffer.from(changed).indexOf('Sample referral');
    changed[at] = changed[at]! ^ 0x01;
    expect(await pdfsigReport(changed)).toContain('Digest Mismatch');
    expect(await verifyPades(changed, options)).toMatchObject({ valid: false, error: 'ERR_DOCUMENT_MODIFIED' });
  });

  it('signed again by us: two signatures, both valid for pdfsig and for verifyPades', async () => {
    const { createPrivateKey, privateEncrypt, constants } = await import('node:crypto');
    const { buildDigestInfo } = await import('../../../../protocol/digest-info.js');
    const key = createPrivateKey({ key: Buffer.from(pair.privateKeyPkcs8), format: 'der', type: 'pkcs8' });
    const pending = preparePades({
      pdf: popplerSigned,
      certificate: pair.certificate,
      intermediates: pair.caCertificates.slice(0, 1),
    });
    const signature = privateEncrypt(
      { key, padding: constants.RSA_PKCS1_PADDING },
      buildDigestInfo('SHA-256', pending.hash),
    );
    const twice = await finishPades(pending.state, new Uint8Array(signature));
    const out = await pdfsigReport(twice);
    expect(out).toMatch(
      /Signature #1:[\s\S]*adbe\.pkcs7\.detached[\s\S]*Signature is Valid[\s\S]*Signature #2:[\s\S]*ETSI\.CAdES\.detached[\s\S]*Total document signed[\s\S]*Signature is Valid/,
    );
    const report = await verifyPades(twice, options);
    expect(report.valid).toBe(true);
    expect(report.signatures).toHaveLength(2);
  });
});
