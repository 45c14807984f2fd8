import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIGNED_SAMPLES_DIR, SIGNED_SAMPLES_NOTE, SIGNED_SAMPLES_PRESENT } from '../helpers/signed-samples.js';
import { createXadesCard, SAMPLE_CSV, SIGN_PIN, type XadesCard } from '../helpers/xades-card.js';

/**
 * `hpki-login sign --format xades` and `verify-signature` on e-prescriptions, as operators run them
 * (the built CLI): an e-prescription CSV signed with the virtual card (mock backend, PIN on stdin)
 * verifies, exit 0; a changed byte of it is refused, exit 1; the published samples verify with their
 * own project's verdicts from the command line.
 */

const BIN = fileURLToPath(new URL('../../bin/hpki-login.js', import.meta.url));

interface Run {
  code: number;
  json: Record<string, unknown> | undefined;
  stderr: string;
}

function cli(args: string[], stdin?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [BIN, ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      const line = stdout.trim();
      resolve({ code, json: line === '' ? undefined : (JSON.parse(line) as Record<string, unknown>), stderr });
    });
    child.stdin?.end(stdin ?? '');
  });
}

let card: XadesCard;
const file = (name: string): string => join(card.dir, name);

beforeAll(async () => {
  card = await createXadesCard();
  writeFileSync(file('prescription.csv'), SAMPLE_CSV);
  writeFileSync(file('root.der'), card.root);
  writeFileSync(file('sign-ca.der'), card.signCa);
  writeFileSync(file('sign-ca.crl'), card.crls[0] ?? new Uint8Array());
}, 60_000);

afterAll(() => {
  if (card !== undefined) rmSync(card.dir, { recursive: true, force: true });
});

const trust = () => ['--anchor', file('root.der'), '--intermediate', file('sign-ca.der'), '--crl', file('sign-ca.crl')];

describe('hpki-login sign --format xades and verify-signature', () => {
  it('signs an e-prescription CSV with the virtual card and verifies it; a changed byte is refused', async () => {
    const signed = await cli(
      [
        'sign',
        file('prescription.csv'),
        '--out',
        file('prescription.xml'),
        '--format',
        'xades',
        '--backend',
        'mock',
        '--card',
        card.cardPath,
        '--pin-stdin',
      ],
      `${SIGN_PIN}\n`,
    );
    expect(signed.stderr).toBe('');
    expect(signed).toMatchObject({ code: 0, json: { out: file('prescription.xml'), format: 'xades', level: 'BES' } });
    const xml = readFileSync(file('prescription.xml'), 'utf8');
    expect(xml).toContain(
      `<PrescriptionDocument id="PrescriptionDocument">${Buffer.from(SAMPLE_CSV).toString('base64')}<`,
    );

    const verified = await cli(['verify-signature', file('prescription.xml'), ...trust()]);
    expect(verified).toMatchObject({
      code: 0,
      json: { valid: true, format: 'xades', level: 'BES', hcRole: 'Medical Doctor', revocation: 'good' },
    });

    writeFileSync(
      file('tampered.xml'),
      xml.replace('id="PrescriptionDocument">U0ox', 'id="PrescriptionDocument">U0oy'),
    );
    const refused = await cli(['verify-signature', file('tampered.xml'), ...trust()]);
    expect(refused).toMatchObject({ code: 1, json: { valid: false, format: 'xades', error: 'ERR_DOCUMENT_MODIFIED' } });
    expect(refused.stderr).toContain('ERR_DOCUMENT_MODIFIED');
  });

  it('refuses a wrong signing PIN once, without writing anything', async () => {
    const r = await cli(
      [
        'sign',
        file('prescription.csv'),
        '--out',
        file('never.xml'),
        '--format',
        'xades',
        '--backend',
        'mock',
        '--card',
        card.cardPath,
        '--pin-stdin',
      ],
      '0000\n',
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ERR_HPKI_PIN_INCORRECT');
    expect(r.stderr).toContain('14');
    expect(() => readFileSync(file('never.xml'))).toThrow();
  });
});

if (!SIGNED_SAMPLES_PRESENT) console.warn(`cli-xades: ${SIGNED_SAMPLES_NOTE}`);

describe.skipIf(!SIGNED_SAMPLES_PRESENT)('verify-signature on the published e-prescription samples', () => {
  const S = (name: string): string => join(SIGNED_SAMPLES_DIR, name);
  // No --crl: revocation from the CRLs the files embed (soft-fail), which the test TSA's own CRL needs
  // (its CA carries keyCertSign without the cA flag; docs/signing.md, XAdES).
  const SAMPLE_TRUST = [
    '--anchor',
    S('mhlw-hpki-root-ca-v2.pem'),
    '--intermediate',
    S('medis-sign-ca2.pem'),
    '--tsa-anchor',
    S('tsa-test-root.pem'),
    '--at',
    '2022-09-09T00:00:00Z',
  ];

  it.each([
    ['Prescription-004_01.xml', 'Medical Doctor', '2022-09-07T08:08:01Z', 'XL', 1],
    ['Dispensing-005_03.xml', 'Pharmacist', '2022-09-08T09:25:11Z', 'A', 2],
  ])('%s: valid, %s, SigningTime %s, level %s', async (name, role, signingTime, level, count) => {
    const r = await cli(['verify-signature', S(name), ...SAMPLE_TRUST]);
    expect(r).toMatchObject({
      code: 0,
      json: { valid: true, format: 'xades', level, hcRole: role, signingTime },
    });
    expect(r.json?.signatures).toHaveLength(count);
  });
});
