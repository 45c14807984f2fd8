import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, makeCrl, type TestPki } from '../../scripts/dev/test-pki.js';
import { startTestTsa, type TestTsa } from '../../scripts/dev/test-tsa.js';
import { createTsaClient } from '../../server/documents/timestamp/index.js';
import { verifyXades } from '../../server/documents/xades/index.js';
import { verifyXadesWith } from '../../server/documents/xades/xades-verify.js';
import { systemToolsPresent } from '../helpers/system-tools.js';
import { createXadesCard, SAMPLE_CSV, type XadesCard } from '../helpers/xades-card.js';
import { dropSigningCertificateV2, flipIn, swapCertificate, type Tamper } from '../helpers/xades-tamper.js';

/**
 * Issue 23, must show: an outside verifier, xmlsec1, accepts the e-prescription XML made with the
 * virtual card's signing key (prepare → the card's `sign` through the mock backend → finish), checking
 * the three references and the signature with the chain to the mock root; and refuses it once the
 * prescription CSV in PrescriptionDocument is changed. The project's verifier agrees on both, and on
 * other tampered copies; with a timestamp from a local test TSA (openssl ts -reply) the document is
 * XAdES-T and both verifiers still accept it.
 */

const XMLSEC1 = '/usr/bin/xmlsec1';
const present = systemToolsPresent('xades-xmlsec', [XMLSEC1, '/usr/bin/openssl']);

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
let other: XadesCard;
let tsaPki: TestPki;
let tsa: TestTsa;

beforeAll(async () => {
  card = await createXadesCard();
  other = await createXadesCard('Tanin Jiro');
  writeFileSync(join(card.dir, 'root.der'), card.root);
  writeFileSync(join(card.dir, 'sign-ca.der'), card.signCa);
  tsaPki = createTestPki();
  tsa = await startTestTsa({ tsa: tsaPki.issueTsa(), chain: [tsaPki.root.certificate] });
}, 60_000);

afterAll(async () => {
  await tsa?.stop();
  for (const c of [card, other]) if (c !== undefined) rmSync(c.dir, { recursive: true, force: true });
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

const options = () => ({ anchors: [card.root], intermediates: [card.signCa], crls: card.crls });

describe.skipIf(!present)('xmlsec1 and the e-prescription XML signed with the virtual card', () => {
  it('accepts the signed XML, and refuses it after the CSV changes', async () => {
    const signed = await card.sign(SAMPLE_CSV);
    const file = join(card.dir, 'prescription.xml');
    writeFileSync(file, signed);
    const accepted = xmlsec1(file);
    expect(accepted.output).toContain('OK');
    expect(accepted.status).toBe(0);

    const report = await verifyXadesWith(signed, options(), noTimestamp);
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
    const tamperedReport = await verifyXadesWith(new TextEncoder().encode(tampered), options(), noTimestamp);
    expect(tamperedReport).toMatchObject({ valid: false, error: 'ERR_DOCUMENT_MODIFIED' });
  });

  it.each<[string, () => Tamper, string]>([
    ['a changed byte of the SignatureValue', () => flipIn('xs:SignatureValue', 40), 'ERR_SIGNATURE_INVALID'],
    ['a swapped certificate', () => swapCertificate(other.certificate), 'ERR_DOCUMENT_MODIFIED'],
    ['a missing SigningCertificateV2', () => dropSigningCertificateV2, 'ERR_SIGNED_ATTRIBUTE_INVALID'],
  ])('both refuse %s', async (name, tamper, code) => {
    const tampered = tamper()(new TextDecoder().decode(await card.sign(SAMPLE_CSV)));
    const file = join(card.dir, `${name.replaceAll(' ', '-')}.xml`);
    writeFileSync(file, tampered);
    expect(xmlsec1(file).status).not.toBe(0);
    const report = await verifyXadesWith(new TextEncoder().encode(tampered), options(), noTimestamp);
    expect(report).toMatchObject({ valid: false, error: code });
  });

  it('adds a SignatureTimeStamp from a local TSA: XAdES-T, accepted by both', async () => {
    const signed = await card.sign(SAMPLE_CSV, { timestamper: createTsaClient({ url: tsa.url }) });
    const file = join(card.dir, 'prescription-t.xml');
    writeFileSync(file, signed);
    expect(xmlsec1(file).status).toBe(0);
    const tsaRootCrl = makeCrl({
      issuer: tsaPki.root.name,
      signingKey: tsaPki.root.key,
      thisUpdate: new Date(Date.now() - 3_600_000),
      nextUpdate: new Date(Date.now() + 86_400_000),
    });
    const trust = { ...options(), crls: [...card.crls, tsaRootCrl], tsaAnchors: [tsaPki.root.certificate] };
    const report = await verifyXades(signed, trust);
    expect(report).toMatchObject({ valid: true, level: 'T', hcRole: 'Medical Doctor', revocation: 'good' });
    expect(report.timestamp?.tsa).toContain('CN=');
    expect(Math.abs(Date.parse(report.timestamp?.time ?? '') - Date.now())).toBeLessThan(120_000);
    // Another TSA root: the timestamp, hence the signature, is refused.
    const { tsaAnchors: _t, ...untrusted } = trust;
    expect(await verifyXades(signed, untrusted)).toMatchObject({ valid: false, error: 'ERR_TSA_UNTRUSTED' });
  });
});
