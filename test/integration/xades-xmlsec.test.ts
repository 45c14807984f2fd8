import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyXadesWith } from '../../server/documents/xades/xades-verify.js';
import { systemToolsPresent } from '../helpers/system-tools.js';
import { createXadesCard, SAMPLE_CSV, type XadesCard } from '../helpers/xades-card.js';

/**
 * Issue 23, must show: an outside verifier, xmlsec1, accepts the e-prescription XML made with the
 * virtual card's signing key (prepare → the card's `sign` through the mock backend → finish), checking
 * the three references and the signature with the chain to the mock root; and refuses it once the
 * prescription CSV in PrescriptionDocument is changed. The project's verifier agrees on both.
 */

const XMLSEC1 = '/usr/bin/xmlsec1';
const present = systemToolsPresent('xades-xmlsec', [XMLSEC1]);

/** The ID attributes of the layout, as the samples' README gives them to xmlsec1. */
const ID_FLAGS = [
  '--id-attr:id',
  'PrescriptionDocument',
  '--id-attr:Id',
  'Signature',
  '--id-attr:Id',
  'http://www.w3.org/2000/09/xmldsig#:KeyInfo',
  '--id-attr:Id',
  'http://uri.etsi.org/01903/v1.3.2#:SignedProperties',
];

let card: XadesCard;

beforeAll(async () => {
  card = await createXadesCard();
  writeFileSync(join(card.dir, 'root.der'), card.root);
  writeFileSync(join(card.dir, 'sign-ca.der'), card.signCa);
}, 60_000);

afterAll(() => {
  if (card !== undefined) rmSync(card.dir, { recursive: true, force: true });
});

function xmlsec1(file: string): { status: number | null; output: string } {
  const run = spawnSync(
    XMLSEC1,
    [
      '--verify',
      ...ID_FLAGS,
      '--trusted-der',
      join(card.dir, 'root.der'),
      '--untrusted-der',
      join(card.dir, 'sign-ca.der'),
      file,
    ],
    { encoding: 'utf8', timeout: 20_000 },
  );
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

const noTimestamp = async (): Promise<never> => {
  throw new Error('a XAdES-BES document has no timestamp to verify');
};

describe.skipIf(!present)('xmlsec1 and the e-prescription XML signed with the virtual card', () => {
  it('accepts the signed XML, and refuses it after the CSV changes', async () => {
    const signed = await card.sign(SAMPLE_CSV);
    const file = join(card.dir, 'prescription.xml');
    writeFileSync(file, signed);
    const accepted = xmlsec1(file);
    expect(accepted.output).toContain('OK');
    expect(accepted.status).toBe(0);

    const options = { anchors: [card.root], intermediates: [card.signCa], crls: card.crls };
    const report = await verifyXadesWith(signed, options, noTimestamp);
    expect(report).toMatchObject({ valid: true, level: 'BES', hcRole: 'Medical Doctor', revocation: 'good' });

    // Another CSV in PrescriptionDocument (one more line): the signed base64 changes.
    const text = new TextDecoder().decode(signed);
    const csv = Buffer.from(SAMPLE_CSV).toString('base64');
    const otherCsv = Buffer.from(`${new TextDecoder().decode(SAMPLE_CSV)}201,2,1,1,2,662640683,アルメタ軟膏,1,1,本\n`);
    expect(text).toContain(csv);
    const tampered = text.replace(csv, otherCsv.toString('base64'));
    const tamperedFile = join(card.dir, 'tampered.xml');
    writeFileSync(tamperedFile, tampered);
    const refused = xmlsec1(tamperedFile);
    expect(refused.status).not.toBe(0);
    expect(refused.output).toMatch(/FAIL|digest/i);
    const tamperedReport = await verifyXadesWith(new TextEncoder().encode(tampered), options, noTimestamp);
    expect(tamperedReport).toMatchObject({ valid: false, error: 'ERR_DOCUMENT_MODIFIED' });
  });
});
