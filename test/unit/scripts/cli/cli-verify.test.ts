import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readShared, readSharedPemDer, sharedPath } from '../../../helpers/shared.js';

/** `hpki-login verify-cert` / `verify-token` as operators run them: the built CLI, JSON on stdout, exit codes. */

const BIN = fileURLToPath(new URL('../../../../bin/hpki-login.js', import.meta.url));
const V = (file: string): string => sharedPath('test-vectors', file);
const R = (file: string): string => sharedPath('hpki-reference', file);

interface Run {
  code: number;
  json: Record<string, unknown> | undefined;
  stderr: string;
}

function cli(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 20_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      const line = stdout.trim();
      resolve({ code, json: line === '' ? undefined : (JSON.parse(line) as Record<string, unknown>), stderr });
    });
  });
}

const VECTOR_TRUST = [
  '--anchor',
  V('root.pem'),
  '--intermediate',
  V('authca.pem'),
  '--crl',
  V('authca-crl.pem'),
  '--at',
  '2027-06-01T00:00:00Z',
];
const REF_TRUST = ['--anchor', R('mhlw-hpki-root-ca-v2.pem'), '--intermediate', R('medis-sign-ca2.pem')];

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hpki-cli-verify-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('verify-cert on the test vectors', () => {
  it('valid auth certificate: exit 0, holder, role, chain, revocation good', async () => {
    const r = await cli('verify-cert', V('ee.pem'), ...VECTOR_TRUST, '--purpose', 'auth');
    expect(r.code).toBe(0);
    expect(r.json).toEqual({
      valid: true,
      hcRole: 'Medical Doctor',
      holder: { name: 'Nichii Taro', id: 'MOCK000001' },
      chain: [
        'C=JP, CN=Nichii Taro, serialNumber=MOCK000001',
        'C=JP, O=Mock Medical Association, OU=Mock Certificate Center, CN=HPKI-01-MockAuthCA-forAuthentication-forIndividual',
        'C=JP, O=Mock Ministry of Health\\, Labour and Welfare, OU=Mock HPKI Root CA V2',
      ],
      revocation: 'good',
    });
  });

  it('revoked: exit 1, ERR_CERT_REVOKED, revocation revoked', async () => {
    const r = await cli('verify-cert', V('ee_revoked.pem'), ...VECTOR_TRUST);
    expect(r.code).toBe(1);
    expect(r.json).toMatchObject({ valid: false, error: 'ERR_CERT_REVOKED', revocation: 'revoked' });
  });

  it('without --crl revocation is not checked', async () => {
    const r = await cli(
      'verify-cert',
      V('ee_revoked.pem'),
      '--anchor',
      V('root.pem'),
      '--intermediate',
      V('authca.pem'),
    );
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({ valid: true, revocation: 'not-checked' });
  });

  it('checks roles only when asked, and purpose as asked', async () => {
    expect((await cli('verify-cert', V('ee_pharm.pem'), ...VECTOR_TRUST)).json).toMatchObject({
      valid: true,
      hcRole: 'Pharmacist',
    });
    const doctorsOnly = await cli('verify-cert', V('ee_pharm.pem'), ...VECTOR_TRUST, '--role', 'Medical Doctor');
    expect([doctorsOnly.code, doctorsOnly.json?.error]).toEqual([1, 'ERR_ROLE_NOT_ALLOWED']);
    const both = await cli(
      'verify-cert',
      V('ee_pharm.pem'),
      ...VECTOR_TRUST,
      '--role',
      'Medical Doctor',
      '--role',
      'Pharmacist',
    );
    expect(both.code).toBe(0);
    const signAsAuth = await cli(
      'verify-cert',
      V('ee_sign.pem'),
      '--anchor',
      V('root.pem'),
      '--intermediate',
      V('signca.pem'),
      '--purpose',
      'auth',
    );
    expect([signAsAuth.code, signAsAuth.json?.error]).toEqual([1, 'ERR_CERT_PURPOSE']);
    const signAsSign = await cli(
      'verify-cert',
      V('ee_sign.pem'),
      '--anchor',
      V('root.pem'),
      '--intermediate',
      V('signca.pem'),
      '--purpose',
      'sign',
    );
    expect(signAsSign.code).toBe(0);
    const authAsSign = await cli('verify-cert', V('ee.pem'), ...VECTOR_TRUST, '--purpose', 'sign');
    expect(authAsSign.json?.error).toBe('ERR_CERT_PURPOSE');
  });

  it('takes DER files and multi-block PEM bundles, and several values after one option', async () => {
    await writeFile(join(dir, 'ee.der'), readSharedPemDer('test-vectors', 'ee.pem'));
    await writeFile(join(dir, 'root.der'), readSharedPemDer('test-vectors', 'root.pem'));
    await writeFile(
      join(dir, 'cas.pem'),
      readShared('test-vectors', 'signca.pem') + readShared('test-vectors', 'authca.pem'),
    );
    const r = await cli(
      'verify-cert',
      join(dir, 'ee.der'),
      '--anchor',
      join(dir, 'root.der'),
      '--intermediate',
      join(dir, 'cas.pem'),
      '--purpose',
      'auth',
    );
    expect([r.code, r.json?.valid]).toEqual([0, true]);
    const spaced = await cli(
      'verify-cert',
      V('ee.pem'),
      '--anchor',
      V('root.pem'),
      '--intermediate',
      V('signca.pem'),
      V('authca.pem'),
    );
    expect(spaced.code).toBe(0);
  });

  it('an unknown anchor means untrusted', async () => {
    const r = await cli(
      'verify-cert',
      V('ee.pem'),
      '--anchor',
      R('mhlw-hpki-root-ca-v2.pem'),
      '--intermediate',
      V('authca.pem'),
    );
    expect([r.code, r.json?.error, r.json?.chain]).toEqual([1, 'ERR_CERT_UNTRUSTED', undefined]);
  });

  it('a file that is not a certificate is an invalid certificate, not a crash', async () => {
    await writeFile(join(dir, 'junk.der'), Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x00));
    const r = await cli('verify-cert', join(dir, 'junk.der'), '--anchor', V('root.pem'));
    expect([r.code, r.json]).toEqual([1, { valid: false, error: 'ERR_CERT_MALFORMED', revocation: 'not-checked' }]);
  });
});

describe('verify-cert on the real HPKI reference set', () => {
  it('kagurazaka at 2022-09-29T12:00Z with the 2022 CRL + SARL: valid, Medical Doctor, purpose sign', async () => {
    const r = await cli(
      'verify-cert',
      R('medis-test-ee-sign-kagurazaka.pem'),
      ...REF_TRUST,
      '--crl',
      R('medis-sign-ca2-crl-2022-09-28.pem'),
      '--crl',
      R('mhlw-sarl-2022-09-29.pem'),
      '--at',
      '2022-09-29T12:00:00Z',
      '--purpose',
      'sign',
      '--role',
      'Medical Doctor',
    );
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({
      valid: true,
      hcRole: 'Medical Doctor',
      holder: { name: 'Sanjushi Kagurazaka', nameJa: '神楽坂　三十四', id: 'Test117120' },
      revocation: 'good',
    });
    expect(r.json?.chain).toHaveLength(3);
  });

  it('rokujuni at 2017-04-26T12:00Z with the three 2017 lists: valid', async () => {
    const r = await cli(
      'verify-cert',
      R('medis-test-ee-sign-rokujuni.pem'),
      ...REF_TRUST,
      '--crl',
      R('medis-sign-ca2-crl-2017-04-24.pem'),
      R('mhlw-sarl-2017-04-25.pem'),
      R('mhlw-rarl-2017-04-25.pem'),
      '--at',
      '2017-04-26T12:00:00Z',
      '--purpose',
      'sign',
    );
    expect([r.code, r.json?.valid, r.json?.revocation]).toEqual([0, true, 'good']);
  });

  it('rokujuni after 2022-03-15: expired', async () => {
    const r = await cli(
      'verify-cert',
      R('medis-test-ee-sign-rokujuni.pem'),
      ...REF_TRUST,
      '--at',
      '2022-03-16T00:00:00Z',
    );
    expect([r.code, r.json?.error]).toEqual([1, 'ERR_CERT_EXPIRED']);
  });

  it('either certificate for purpose auth: refused', async () => {
    for (const [file, at] of [
      ['medis-test-ee-sign-kagurazaka.pem', '2022-09-29T12:00:00Z'],
      ['medis-test-ee-sign-rokujuni.pem', '2017-04-26T12:00:00Z'],
    ] as const) {
      const r = await cli('verify-cert', R(file), ...REF_TRUST, '--at', at, '--purpose', 'auth');
      expect([r.code, r.json?.error]).toEqual([1, 'ERR_CERT_PURPOSE']);
    }
  });

  it('a stale CRL for the end entity: ERR_REVOCATION_UNKNOWN', async () => {
    const r = await cli(
      'verify-cert',
      R('medis-test-ee-sign-kagurazaka.pem'),
      ...REF_TRUST,
      '--crl',
      R('medis-sign-ca2-crl-2022-09-28.pem'),
      '--at',
      '2022-10-03T00:00:00Z',
    );
    expect([r.code, r.json?.error, r.json?.revocation]).toEqual([1, 'ERR_REVOCATION_UNKNOWN', 'not-checked']);
  });
});

describe('verify-token', () => {
  const vectors = (
    JSON.parse(readShared('test-vectors', 'vectors.json')) as {
      vectors: { origin: string; challenge: string; token: unknown }[];
    }
  ).vectors;

  it('accepts each vector token for its origin and challenge, and refuses it for another', async () => {
    for (const [i, v] of vectors.entries()) {
      const file = join(dir, `token-${i}.json`);
      await writeFile(file, JSON.stringify(v.token, null, 2));
      const ok = await cli('verify-token', file, '--challenge', v.challenge, '--origin', v.origin, ...VECTOR_TRUST);
      expect([ok.code, ok.json?.valid, ok.json?.revocation, ok.json?.hcRole]).toEqual([
        0,
        true,
        'good',
        'Medical Doctor',
      ]);
      const other = vectors[(i + 1) % vectors.length]!;
      const wrongOrigin = await cli(
        'verify-token',
        file,
        '--challenge',
        v.challenge,
        '--origin',
        other.origin,
        ...VECTOR_TRUST,
      );
      expect([wrongOrigin.code, wrongOrigin.json?.error]).toEqual([1, 'ERR_SIGNATURE_INVALID']);
      const wrongChallenge = await cli(
        'verify-token',
        file,
        '--challenge',
        other.challenge,
        '--origin',
        v.origin,
        ...VECTOR_TRUST,
      );
      expect([wrongChallenge.code, wrongChallenge.json?.error]).toEqual([1, 'ERR_SIGNATURE_INVALID']);
    }
  });

  it('a malformed token is invalid (exit 1), not a usage error', async () => {
    const file = join(dir, 'bad-token.json');
    await writeFile(file, '{"format":"hpki-login:1"}');
    const r = await cli(
      'verify-token',
      file,
      '--challenge',
      'c',
      '--origin',
      'https://a.example',
      '--anchor',
      V('root.pem'),
    );
    expect([r.code, r.json]).toEqual([1, { valid: false, error: 'ERR_TOKEN_MALFORMED', revocation: 'not-checked' }]);
  });
});

describe('verify-cert on NIST PKITS cases (the whole suite runs through the library in pkits.test.ts)', () => {
  interface PkitsCase {
    section: string;
    valid: boolean;
    ee: string;
    intermediates: string[];
    crls: string[];
    outOfProfile?: string;
  }
  const suite = JSON.parse(readShared('pkits', 'cases.json')) as { anchor: string; at: string; cases: PkitsCase[] };
  const P = (file: string): string => sharedPath('pkits', file);
  const argsOf = (c: PkitsCase): string[] => [
    'verify-cert',
    P(c.ee),
    '--anchor',
    P(suite.anchor),
    ...c.intermediates.flatMap((f) => ['--intermediate', P(f)]),
    ...c.crls.flatMap((f) => ['--crl', P(f)]),
    '--at',
    suite.at,
  ];
  // Signatures, a DSA refusal, negative serials, separate CRL keys, key rollover, name
  // constraints, an indirect CRL and delta CRLs, among them the corrupted inputs of 4.1.2 and 4.4.4.
  const sample = [
    '4.1.1',
    '4.1.2',
    '4.1.4',
    '4.4.4',
    '4.4.14',
    '4.4.15',
    '4.4.19',
    '4.4.21',
    '4.5.3',
    '4.5.6',
    '4.13.21',
    '4.14.29',
    '4.15.2',
    '4.15.4',
  ];

  it.each(sample)('%s', async (section) => {
    const c = suite.cases.find((x) => x.section === section)!;
    const r = await cli(...argsOf(c));
    if (c.outOfProfile !== undefined) {
      // DSA: outside the RSA-only profile, refused as untrusted with the reason.
      expect([r.code, r.json?.error]).toEqual([1, 'ERR_CERT_UNTRUSTED']);
      expect(r.stderr).toMatch(/not RSA/);
      return;
    }
    expect(r.json?.valid, r.stderr).toBe(c.valid);
    expect(r.code).toBe(c.valid ? 0 : 1);
    if (c.valid) expect(r.json?.revocation).toBe('good');
  });

  it('a CRL whose signature has unused bits is ignored and named on stderr: no CRL, exit 1, not a usage error', async () => {
    const c = suite.cases.find((x) => x.section === '4.4.4')!;
    const r = await cli(...argsOf(c));
    expect([r.code, r.json?.error]).toEqual([1, 'ERR_REVOCATION_UNKNOWN']);
    expect(r.stderr).toMatch(
      /ignored --crl .*BadCRLSignatureCACRL\.crl: CRL is not valid DER: BIT STRING with unused bits/,
    );
  });

  it('a corrupted intermediate is ignored and named on stderr: no path, exit 1', async () => {
    const c = suite.cases.find((x) => x.section === '4.1.2')!;
    const r = await cli(...argsOf(c));
    expect([r.code, r.json?.error]).toEqual([1, 'ERR_CERT_UNTRUSTED']);
    expect(r.stderr).toMatch(/ignored --intermediate .*BadSignedCACert\.crt: certificate is not valid DER/);
  });
});

describe('usage errors exit 2', () => {
  it.each([
    ['no arguments', ['verify-cert']],
    ['no anchor', ['verify-cert', V('ee.pem')]],
    ['missing file', ['verify-cert', V('nope.pem'), '--anchor', V('root.pem')]],
    ['missing anchor file', ['verify-cert', V('ee.pem'), '--anchor', V('nope.pem')]],
    ['anchor that is not a certificate', ['verify-cert', V('ee.pem'), '--anchor', V('vectors.json')]],
    ['CRL file that is not a CRL', ['verify-cert', V('ee.pem'), '--anchor', V('root.pem'), '--crl', V('root.pem')]],
    ['bad --at', ['verify-cert', V('ee.pem'), '--anchor', V('root.pem'), '--at', 'yesterday']],
    ['bad --purpose', ['verify-cert', V('ee.pem'), '--anchor', V('root.pem'), '--purpose', 'login']],
    ['unknown option', ['verify-cert', V('ee.pem'), '--anchor', V('root.pem'), '--fast']],
    ['two certificates', ['verify-cert', V('ee.pem'), V('ee_sign.pem'), '--anchor', V('root.pem')]],
    [
      'token without --challenge',
      ['verify-token', V('vectors.json'), '--origin', 'https://a.example', '--anchor', V('root.pem')],
    ],
    ['token without --origin', ['verify-token', V('vectors.json'), '--challenge', 'c', '--anchor', V('root.pem')]],
    [
      'token with --purpose sign',
      [
        'verify-token',
        V('vectors.json'),
        '--challenge',
        'c',
        '--origin',
        'https://a.example',
        '--anchor',
        V('root.pem'),
        '--purpose',
        'sign',
      ],
    ],
  ])('%s', async (_name, args) => {
    const r = await cli(...args);
    expect(r.code).toBe(2);
    expect(r.json).toBeUndefined();
    // One line: what is wrong, and where the usage is (printed only with --help).
    expect(r.stderr).toMatch(
      /^hpki-login verify-(cert|token): .+ \(使い方 \/ usage: hpki-login verify-(cert|token) --help\)\n$/,
    );
  });
});
