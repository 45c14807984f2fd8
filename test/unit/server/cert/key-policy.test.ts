import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { TestCert, TestKey, TestPki } from '../../../../scripts/dev/test-pki.js';
import {
  createTestPki,
  encodeName,
  ext,
  generateTestKey,
  makeCertificate,
  OID,
  signLoginToken,
  withPublicExponent,
} from '../../../../scripts/dev/test-pki.js';
import { checkKeyPolicy, HPKI_KEY_POLICY } from '../../../../server/cert/key-policy.js';
import { MAX_PATH_SIGNATURE_CHECKS } from '../../../../server/cert/path-validation.js';
import type { CertificateValidatorOptions } from '../../../../server/verify/index.js';
import { createCertificateValidator, createTokenVerifier } from '../../../../server/verify/index.js';

/**
 * The key policy (default: RSA 2048–4096 bits, e = 65537, what every real HPKI certificate has) on
 * every key of a path, and what a token full of hostile CA certificates can cost. Costs are counted
 * as calls of crypto.verify, the RSA operation itself, not timed.
 */

const rsa = vi.hoisted(() => ({ verifications: 0 }));
vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  const verify = new Proxy(actual.verify, {
    apply(target, thisArg, args) {
      rsa.verifications++;
      return Reflect.apply(target, thisArg, args);
    },
  });
  return { ...actual, verify };
});

const ORIGIN = 'https://harenet.example.jp';
const CHALLENGE = 'c'.repeat(43);
const DAY = 86_400_000;

let pki: TestPki;
let weak: TestKey;
let smallExponent: TestKey;
let large: TestKey;
let hugeExponent: TestKey;
let attacker: TestKey;

beforeAll(() => {
  pki = createTestPki({ now: new Date('2030-06-01T00:00:00Z') });
  weak = generateTestKey(1024);
  smallExponent = generateTestKey(2048, 3);
  large = generateTestKey(4096);
  attacker = generateTestKey();
  // A 2048-bit exponent: one verification with it costs hundreds of normal ones.
  hugeExponent = withPublicExponent(attacker, (1n << 2047n) + 1n);
});

beforeEach(() => {
  rsa.verifications = 0;
});

function validatorOf(extra: Partial<CertificateValidatorOptions> = {}) {
  return createCertificateValidator({
    anchors: [pki.root.certificate],
    intermediates: [pki.authCa.certificate],
    revocation: 'off',
    validationCacheMs: 0,
    ...extra,
  });
}

async function outcome(
  ee: TestCert,
  supplied: readonly Uint8Array[] = [],
  extra: Partial<CertificateValidatorOptions> = {},
): Promise<string> {
  const validator = validatorOf(extra);
  const v = await validator.validate(
    validator.parse(ee.certificate),
    supplied.map((d) => validator.parse(d)),
    { at: pki.now },
  );
  return v.error === undefined ? 'valid' : `${v.error.code}: ${v.error.message}`;
}

/**
 * A CA certificate named like the real auth CA with its key identifier (so a candidate issuer of
 * its end entities, as an attacker would make it), with any subject key.
 */
function lookalikeCa(key: TestKey, serial: number, signer: TestKey = pki.root.key): Uint8Array {
  return makeCertificate({
    serial,
    issuer: pki.root.name,
    subject: pki.authCa.name,
    notBefore: new Date(pki.now.getTime() - DAY),
    notAfter: new Date(pki.now.getTime() + DAY),
    subjectKey: key,
    signingKey: signer,
    extensions: [
      ext.basicConstraints(true),
      ext.keyUsage([5, 6]),
      ext.ski(pki.authCa.key.keyId),
      ext.aki(pki.root.key.keyId),
      ext.policies([OID.authCaPolicy]),
    ],
  });
}

describe('the default key policy', () => {
  it('is the HPKI one and cannot be loosened below 1024 bits or to even exponents', () => {
    expect(HPKI_KEY_POLICY).toEqual({ minRsaBits: 2048, maxRsaBits: 4096, rsaExponents: [65537] });
    expect(() => checkKeyPolicy({ minRsaBits: 512, maxRsaBits: 4096, rsaExponents: [65537] })).toThrow(/keyPolicy/);
    expect(() => checkKeyPolicy({ minRsaBits: 4096, maxRsaBits: 2048, rsaExponents: [65537] })).toThrow(/keyPolicy/);
    expect(() => checkKeyPolicy({ minRsaBits: 2048, maxRsaBits: 4096, rsaExponents: [65536] })).toThrow(/keyPolicy/);
    expect(() => checkKeyPolicy({ minRsaBits: 2048, maxRsaBits: 4096, rsaExponents: [] })).toThrow(/keyPolicy/);
  });

  it('refuses an RSA-1024 end entity (and accepts it only under an explicit weaker policy)', async () => {
    const ee = pki.issueEe({ key: weak });
    expect(await outcome(ee)).toMatch(/^ERR_CERT_UNTRUSTED: .*RSA-1024 key/);
    expect(await outcome(ee, [], { keyPolicy: { minRsaBits: 1024, maxRsaBits: 4096, rsaExponents: [65537] } })).toBe(
      'valid',
    );
  });

  it('refuses an end entity with e = 3', async () => {
    expect(await outcome(pki.issueEe({ key: smallExponent }))).toMatch(/^ERR_CERT_UNTRUSTED: .*exponent 3 /);
  });

  it('refuses a CA with e = 3 before verifying anything with its key', async () => {
    const ca = pki.issueCa({ issuer: pki.root, name: 'Small Exponent CA', key: smallExponent });
    const ee = pki.issueEe({ issuer: ca, key: pki.eeKey });
    expect(await outcome(ee, [ca.certificate])).toMatch(
      /^ERR_CERT_UNTRUSTED: .*Small Exponent CA: RSA public exponent 3 /,
    );
    expect(rsa.verifications).toBe(0);
  });

  it('refuses a token whose CA has a huge public exponent, without one RSA operation', async () => {
    const hostile = lookalikeCa(hugeExponent, 900);
    const ee = pki.issueEe();
    const verifier = createTokenVerifier({ anchors: [pki.root.certificate], revocation: 'off', now: () => pki.now });
    const token = signLoginToken({
      certificate: ee.certificate,
      privateKey: pki.eeKey.privateKey,
      origin: ORIGIN,
      challenge: CHALLENGE,
      intermediates: [hostile],
    });
    const report = await verifier.verifyWithReport(token, {
      origin: ORIGIN,
      takeChallenge: () => Promise.resolve({ status: 'ok', challenge: CHALLENGE }),
    });
    expect(report.error?.code).toBe('ERR_CERT_UNTRUSTED');
    expect(report.error?.message).toMatch(/RSA public exponent a 2048-bit number/);
    expect(rsa.verifications).toBe(0);
  });

  it('accepts an RSA-4096 CA with e = 65537', async () => {
    const ca = pki.issueCa({ issuer: pki.root, name: 'Large Key CA', key: large });
    expect(await outcome(pki.issueEe({ issuer: ca }), [ca.certificate])).toBe('valid');
  });

  it('refuses an RSA key above the policy maximum', async () => {
    const ee = pki.issueEe({ key: large });
    expect(await outcome(ee, [], { keyPolicy: { minRsaBits: 2048, maxRsaBits: 3072, rsaExponents: [65537] } })).toMatch(
      /RSA-4096 key \(the key policy accepts 2048–3072 bits\)/,
    );
  });
});

describe('hostile CA certificates in a token', () => {
  /** 64 certificates named like the auth CA: huge exponents, e = 3, and sound keys with forged signatures. */
  function hostileLot(): Uint8Array[] {
    return Array.from({ length: 64 }, (_, i) =>
      lookalikeCa(
        i % 4 === 0 ? hugeExponent : i % 4 === 1 ? smallExponent : attacker,
        1000 + i,
        i % 4 === 3 ? attacker : pki.root.key,
      ),
    );
  }

  it('64 of them next to the configured CA cost two RSA verifications (the real path), not 64', async () => {
    const ee = pki.issueEe();
    expect(await outcome(ee, hostileLot())).toBe('valid');
    expect(rsa.verifications).toBeLessThanOrEqual(2);
  });

  it('a full token with hostile intermediates costs at most three RSA verifications, its own signature included', async () => {
    const ee = pki.issueEe();
    const verifier = createTokenVerifier({
      anchors: [pki.root.certificate],
      intermediates: [pki.authCa.certificate],
      revocation: 'off',
      now: () => pki.now,
    });
    const token = signLoginToken({
      certificate: ee.certificate,
      privateKey: pki.eeKey.privateKey,
      origin: ORIGIN,
      challenge: CHALLENGE,
      intermediates: hostileLot().slice(0, 4),
    });
    const result = await verifier.verify(token, {
      origin: ORIGIN,
      takeChallenge: () => Promise.resolve({ status: 'ok', challenge: CHALLENGE }),
    });
    expect(result.hcRole).toBe('Medical Doctor');
    expect(rsa.verifications).toBeLessThanOrEqual(3);
  });

  it('without a configured CA, 64 of them stop after the signature budget of one path', async () => {
    const ee = pki.issueEe();
    const lot = hostileLot().filter((_, i) => i % 4 >= 2);
    const result = await outcome(ee, [...lot, pki.authCa.certificate], { intermediates: [] });
    expect(result).toMatch(/^ERR_CERT_UNTRUSTED: too many signature checks/);
    expect(rsa.verifications).toBeLessThanOrEqual(MAX_PATH_SIGNATURE_CHECKS);
  });

  it('a lookalike CA with a sound key but a forged signature is not trusted', async () => {
    const forged = lookalikeCa(attacker, 77, attacker);
    const ee = makeCertificate({
      serial: 78,
      issuer: pki.authCa.name,
      subject: encodeName([
        [OID.cn, 'Mallory'],
        [OID.serialNumber, 'M1'],
      ]),
      notBefore: new Date(pki.now.getTime() - DAY),
      notAfter: new Date(pki.now.getTime() + DAY),
      subjectKey: pki.eeKey,
      signingKey: attacker,
      extensions: [ext.keyUsage([0]), ext.aki(pki.authCa.key.keyId), ext.policies([OID.authEePolicy])],
    });
    expect(
      await outcome({ certificate: ee, key: pki.eeKey, name: new Uint8Array() }, [forged], { intermediates: [] }),
    ).toMatch(/does not verify with the key of .*Test HPKI Root CA/);
  });
});
