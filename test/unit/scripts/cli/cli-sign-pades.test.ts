import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { xrefStreamPdf } from '../../../helpers/pdf-samples.js';
import { cli } from '../../../helpers/sign-cli.js';

/**
 * `hpki-login sign --format pades` and `verify-signature` on a PDF, as operators run them (the built
 * CLI) with the virtual card through the mock backend: pdfsig says the signature is valid and covers
 * the whole document, verify-signature recognises the PDF and agrees; after a changed byte both
 * refuse it.
 */

const run = promisify(execFile);
const SIGN_PIN = '246813';

let dir: string;
let root: string;
let crl: string;
const base: string[] = [];

async function pdfsig(file: string): Promise<string> {
  try {
    return (await run('pdfsig', ['-nocert', file])).stdout;
  } catch (err) {
    return String((err as { stdout?: string }).stdout ?? err);
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hpki-cli-pades-'));
  const card = join(dir, 'doctor.card');
  const created = await cli([
    'mock-card',
    'create',
    '--out',
    card,
    '--pki',
    join(dir, 'pki'),
    '--pin',
    '1234',
    '--sign-pin',
    SIGN_PIN,
  ]);
  expect(created.code).toBe(0);
  root = join(dir, 'pki', 'root.pem');
  crl = join(dir, 'pki', 'sign-ca.crl.pem');
  base.push('--backend', 'mock', '--card', card, '--cache-dir', join(dir, 'cache'));
}, 60_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('sign --format pades with the virtual card', () => {
  it('writes a PAdES B-B that pdfsig and verify-signature accept, and both refuse after a byte changes', async () => {
    const letter = join(dir, 'letter.pdf');
    const out = join(dir, 'letter-signed.pdf');
    writeFileSync(letter, xrefStreamPdf());
    const signed = await cli(
      ['sign', letter, '--out', out, '--format', 'pades', '--pin-stdin', ...base],
      `${SIGN_PIN}\n`,
    );
    expect(signed).toMatchObject({ code: 0, json: { out, format: 'pades', level: 'B-B' } });
    const report = await pdfsig(out);
    expect(report).toContain('Signature Validation: Signature is Valid.');
    expect(report).toContain('Total document signed');
    const verified = await cli(['verify-signature', out, '--anchor', root, '--crl', crl]);
    expect(verified).toMatchObject({
      code: 0,
      json: { valid: true, format: 'pades', level: 'B-B', hcRole: 'Medical Doctor', revocation: 'good' },
    });
    const bytes = readFileSync(out);
    bytes[bytes.indexOf('Sample referral')]! ^= 0x01;
    const changed = join(dir, 'letter-changed.pdf');
    writeFileSync(changed, bytes);
    expect(await pdfsig(changed)).toContain('Signature Validation: Digest Mismatch.');
    const refused = await cli(['verify-signature', changed, '--anchor', root, '--crl', crl]);
    expect(refused).toMatchObject({ code: 1, json: { valid: false, format: 'pades', error: 'ERR_DOCUMENT_MODIFIED' } });
  });

  it('a file that is not a PDF with --format pades: exit 1 with ERR_DOCUMENT_MALFORMED', async () => {
    const fake = join(dir, 'fake.pdf');
    writeFileSync(fake, '%PDF-1.7\nnot really\n');
    const refused = await cli(['verify-signature', fake, '--anchor', root]);
    expect(refused).toMatchObject({
      code: 1,
      json: { valid: false, format: 'pades', error: 'ERR_DOCUMENT_MALFORMED' },
    });
  });
});
