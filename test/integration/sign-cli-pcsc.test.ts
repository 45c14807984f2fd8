import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PcscdHandle, startPcscd, VPCD_READER } from '../../scripts/dev/pcscd.js';
import {
  createCardFile,
  type ServedCard,
  serveCard,
  waitForCardPresence,
} from '../../scripts/dev/virtual-card-process.js';
import { cli, opensslCmsVerifies } from '../helpers/sign-cli.js';

/**
 * Issue 23 over the real parts: `hpki-login sign --format cades --backend pcsc` signs a file with the
 * virtual card in a real pcscd through vpcd (signing PIN apart from the login PIN); `openssl cms
 * -verify -cades` accepts the file and refuses it after one byte of the content changes, and
 * `verify-signature` agrees. The card's log shows one VERIFY and one PSO:CDS for the signature.
 */

const SIGN_PIN = '5678';

let pcscd: PcscdHandle;
let dir: string;
let card: ServedCard;

beforeAll(async () => {
  pcscd = await startPcscd();
  dir = mkdtempSync(join(tmpdir(), 'hpki-sign-cli-pcsc-'));
  const file = join(dir, 'doctor.card');
  await createCardFile(file, join(dir, 'pki'), ['--pin', '1234', '--sign-pin', SIGN_PIN]);
  card = await serveCard(file, ['--log-apdus']);
  await waitForCardPresence(VPCD_READER, true);
}, 300_000);

afterAll(async () => {
  await card?.stop();
  await pcscd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('hpki-login sign over pcscd + vpcd', () => {
  it('signs CAdES with the card; openssl and verify-signature accept it and refuse a changed byte', {
    timeout: 120_000,
  }, async () => {
    const doc = join(dir, 'letter.txt');
    writeFileSync(doc, '診療情報提供書: 紹介先 検証病院\n');
    const out = join(dir, 'letter.p7s');
    const before = card.apdus().length;
    // biome-ignore format: one command line
    const signed = await cli(['sign', doc, '--out', out, '--format', 'cades', '--backend', 'pcsc', '--reader', VPCD_READER, '--pin-stdin', '--cache-dir', join(dir, 'cache')], `${SIGN_PIN}\n`);
    expect(signed).toMatchObject({ code: 0, json: { format: 'cades', level: 'BES' } });
    const apdus = card.apdus().slice(before);
    // One VERIFY carrying the PIN (a 4-byte VERIFY is the counter read), one PSO:COMPUTE DIGITAL SIGNATURE.
    expect(apdus.filter((a) => /^apdu 00 20 00 88 \(\d+ B\)/.test(a) && !/\(4 B\)/.test(a))).toHaveLength(1);
    expect(apdus.filter((a) => /^apdu [01]0 2A 9E 9A/.test(a))).toHaveLength(1);
    const root = join(dir, 'pki', 'root.pem');
    expect(await opensslCmsVerifies(out, doc, root)).toBe(true);
    const crl = join(dir, 'pki', 'sign-ca.crl.pem');
    const verified = await cli(['verify-signature', out, '--data', doc, '--anchor', root, '--crl', crl]);
    expect(verified).toMatchObject({ code: 0, json: { valid: true, hcRole: 'Medical Doctor', revocation: 'good' } });
    const changed = join(dir, 'letter-changed.txt');
    const bytes = readFileSync(doc);
    bytes[bytes.length - 2]! ^= 0x01;
    writeFileSync(changed, bytes);
    expect(await opensslCmsVerifies(out, changed, root)).toBe(false);
    const refused = await cli(['verify-signature', out, '--data', changed, '--anchor', root, '--crl', crl]);
    expect(refused).toMatchObject({ code: 1, json: { valid: false, error: 'ERR_DOCUMENT_MODIFIED' } });
  });
});
