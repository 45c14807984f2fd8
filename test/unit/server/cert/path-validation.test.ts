import { beforeAll, describe, expect, it } from 'vitest';
import { HpkiError } from '../../../../protocol/errors.js';
import type { TestCert, TestKey, TestPki } from '../../../../scripts/dev/test-pki.js';
import {
  createTestPki,
  der,
  encodeName,
  ext,
  generateTestKey,
  makeCertificate,
  OID,
} from '../../../../scripts/dev/test-pki.js';
import { parseCertificate } from '../../../../server/cert/parsed-certificate.js';
import { MAX_PATH_DEPTH, validatePath } from '../../../../server/cert/path-validation.js';
import { checkPurpose } from '../../../../server/cert/purpose.js';
import { createSignatureBudget } from '../../../../server/cert/signature.js';
import { createTrustStore } from '../../../../server/cert/trust-store.js';
import { readSharedPemDer } from '../../../helpers/shared.js';

const DAY = 86_400_000;
let pki: TestPki;
let spareKey: TestKey;

beforeAll(() => {
  pki = createTestPki({ now: new Date('2030-06-01T00:00:00Z') });
  spareKey = generateTestKey();
});

function validate(
  ee: TestCert,
  options: { supplied?: Uint8Array[]; intermediates?: Uint8Array[]; at?: Date; anchors?: Uint8Array[] } = {},
) {
  const store = createTrustStore({
    anchors: options.anchors ?? [pki.root.certificate],
    intermediates: options.intermediates ?? [pki.authCa.certificate],
  });
  return validatePath(
    store.parse(ee.certificate),
    (options.supplied ?? []).map((d) => store.parse(d)),
    store,
    options.at ?? pki.now,
  );
}

/** A self-signed CA the verifier does not trust. */
function untrustedRoot(cn: string): TestCert {
  const key = generateTestKey();
  const name = encodeName([
    [OID.c, 'JP'],
    [OID.o, 'Untrusted'],
    [OID.cn, cn],
  ]);
  const certificate = makeCertificate({
    serial: 1,
    issuer: name,
    subject: name,
    notBefore: new Date(pki.now.getTime() - DAY),
    notAfter: new Date(pki.now.getTime() + DAY),
    subjectKey: key,
    signingKey: key,
    extensions: [ext.basicConstraints(true), ext.keyUsage([5, 6]), ext.ski(key.keyId)],
  });
  return { certificate, key, name };
}

function expectCode(result: ReturnType<typeof validate>, code: string): void {
  expect(result.ok ? 'ok' : result.code).toBe(code);
}

describe('path building', () => {
  it('builds EE → CA → root, through a configured or a token-supplied CA', () => {
    const ee = pki.issueEe();
    const configured = validate(ee);
    expect(configured.ok && configured.path.map((c) => c.info.subjectName || c.info.issuerName)).toEqual([
      'Shiken Taro',
      'HPKI-01-TestAuthCA-forAuthentication-forIndividual',
      'Test HPKI Root CA',
    ]);
    expect(validate(ee, { intermediates: [], supplied: [pki.authCa.certificate] }).ok).toBe(true);
    // Cards may carry the root too: it is recognised as the anchor, not trusted because it came along.
    const withRoot = validate(ee, { intermediates: [], supplied: [pki.root.certificate, pki.authCa.certificate] });
    expect(withRoot.ok && withRoot.path.length).toBe(3);
    const foreignRoot = createTrustStore({ anchors: [readSharedPemDer('test-vectors', 'root.pem')] });
    const supplied = [pki.authCa.certificate, pki.root.certificate].map((d) => foreignRoot.parse(d));
    expectCode(validatePath(foreignRoot.parse(ee.certificate), supplied, foreignRoot, pki.now), 'ERR_CERT_UNTRUSTED');
    expectCode(validate(ee, { intermediates: [] }), 'ERR_CERT_UNTRUSTED');
  });

  it('accepts critical certificatePolicies everywhere and needs no explicit policy chain', () => {
    // The EE policy (…2.0.1) is not in the CA's policy set (…2.3.1), like real HPKI.
    const ee = pki.issueEe({ policies: [OID.authEePolicy] });
    expect(validate(ee).ok).toBe(true);
  });

  it('refuses a certificate whose signature does not verify with the issuer key', () => {
    const forged = makeCertificate({
      serial: 99,
      issuer: pki.authCa.name,
      subject: encodeName([[OID.cn, 'Forged']]),
      notBefore: new Date(pki.now.getTime() - DAY),
      notAfter: new Date(pki.now.getTime() + DAY),
      subjectKey: pki.eeKey,
      signingKey: spareKey,
      extensions: [ext.aki(pki.authCa.key.keyId)],
    });
    const result = validate({ certificate: forged, key: pki.eeKey, name: new Uint8Array() });
    expectCode(result, 'ERR_CERT_UNTRUSTED');
    expect(result.ok ? '' : result.message).toMatch(/signature/);
  });

  it('refuses an unknown critical extension on the EE or on a CA, and ignores a non-critical one', () => {
    const unknown = (critical: boolean): Uint8Array => ext.make('1.2.3.4.5', critical, der.null());
    expectCode(validate(pki.issueEe({ extraExtensions: [unknown(true)] })), 'ERR_CERT_UNTRUSTED');
    expect(validate(pki.issueEe({ extraExtensions: [unknown(false)] })).ok).toBe(true);
    const ca = pki.issueCa({
      issuer: pki.root,
      name: 'Critical Ext CA',
      key: spareKey,
      extraExtensions: [unknown(true)],
    });
    expectCode(validate(pki.issueEe({ issuer: ca }), { supplied: [ca.certificate] }), 'ERR_CERT_UNTRUSTED');
    // Name constraints are not processed, so a critical one is refused too.
    const nc = pki.issueCa({
      issuer: pki.root,
      name: 'NC CA',
      key: spareKey,
      extraExtensions: [ext.make('2.5.29.30', true, der.seq())],
    });
    expectCode(validate(pki.issueEe({ issuer: nc }), { supplied: [nc.certificate] }), 'ERR_CERT_UNTRUSTED');
  });

  it('refuses an issuer without the CA flag or without keyCertSign', () => {
    const notCa = pki.issueCa({ issuer: pki.root, name: 'Not A CA', key: spareKey, ca: false });
    const r1 = validate(pki.issueEe({ issuer: notCa }), { supplied: [notCa.certificate] });
    expectCode(r1, 'ERR_CERT_UNTRUSTED');
    expect(r1.ok ? '' : r1.message).toMatch(/not a CA/);
    const noSign = pki.issueCa({ issuer: pki.root, name: 'CRL Only CA', key: spareKey, keyUsage: [6] });
    const r2 = validate(pki.issueEe({ issuer: noSign }), { supplied: [noSign.certificate] });
    expectCode(r2, 'ERR_CERT_UNTRUSTED');
    expect(r2.ok ? '' : r2.message).toMatch(/may not sign certificates/);
  });

  it('refuses an end-entity certificate used as a CA', () => {
    const ee = pki.issueEe({ key: spareKey });
    const below = makeCertificate({
      serial: 7,
      issuer: parseCertificate(ee.certificate).decoded.subjectDer,
      subject: encodeName([
        [OID.cn, 'Under An EE'],
        [OID.serialNumber, 'X1'],
      ]),
      notBefore: new Date(pki.now.getTime() - DAY),
      notAfter: new Date(pki.now.getTime() + DAY),
      subjectKey: pki.eeKey,
      signingKey: spareKey,
      extensions: [ext.keyUsage([0]), ext.policies([OID.authEePolicy])],
    });
    expectCode(
      validate({ certificate: below, key: pki.eeKey, name: new Uint8Array() }, { supplied: [ee.certificate] }),
      'ERR_CERT_UNTRUSTED',
    );
  });

  it('enforces pathLenConstraint', () => {
    const top = pki.issueCa({ issuer: pki.root, name: 'Top CA', key: spareKey, pathLen: 0 });
    const sub = pki.issueCa({ issuer: top, name: 'Sub CA', key: pki.eeKey });
    const ee = pki.issueEe({ issuer: sub, key: spareKey });
    expectCode(validate(ee, { supplied: [sub.certificate, top.certificate] }), 'ERR_CERT_UNTRUSTED');
    const top1 = pki.issueCa({ issuer: pki.root, name: 'Top CA 1', key: spareKey, pathLen: 1 });
    const sub1 = pki.issueCa({ issuer: top1, name: 'Sub CA 1', key: pki.eeKey });
    expect(
      validate(pki.issueEe({ issuer: sub1, key: spareKey }), { supplied: [sub1.certificate, top1.certificate] }).ok,
    ).toBe(true);
  });

  it(`stops at ${MAX_PATH_DEPTH} certificates above the end entity`, () => {
    const chain: TestCert[] = [];
    let issuer = pki.root;
    for (let i = 0; i < MAX_PATH_DEPTH; i++) {
      issuer = pki.issueCa({ issuer, name: `Level ${i}`, key: i % 2 ? spareKey : pki.eeKey });
      chain.push(issuer);
    }
    const supplied = chain.map((c) => c.certificate);
    expectCode(validate(pki.issueEe({ issuer, key: spareKey }), { supplied }), 'ERR_CERT_UNTRUSTED');
    const shorter = chain[MAX_PATH_DEPTH - 2]!;
    expect(validate(pki.issueEe({ issuer: shorter, key: spareKey }), { supplied }).ok).toBe(true);
  });

  it('chains names by RFC 5280 comparison (case, spaces, string type) and AKI/SKI', () => {
    // Issuer written in lower case and UTF8String where the CA's subject is PrintableString.
    const issuerVariant = der.seq(
      der.set(der.seq(der.oid(OID.c), der.utf8('jp'))),
      der.set(der.seq(der.oid(OID.o), der.utf8('test  medical association'))),
      der.set(der.seq(der.oid(OID.cn), der.utf8(' HPKI-01-TestAuthCA-forAuthentication-forIndividual'))),
    );
    const ee = makeCertificate({
      serial: 1234,
      issuer: issuerVariant,
      subject: encodeName([
        [OID.cn, 'Variant'],
        [OID.serialNumber, 'V1'],
      ]),
      notBefore: new Date(pki.now.getTime() - DAY),
      notAfter: new Date(pki.now.getTime() + DAY),
      subjectKey: pki.eeKey,
      signingKey: pki.authCa.key,
      extensions: [ext.keyUsage([0]), ext.aki(pki.authCa.key.keyId)],
    });
    expect(validate({ certificate: ee, key: pki.eeKey, name: issuerVariant }).ok).toBe(true);
  });

  it('picks the right one of two CAs with the same name (re-keyed) by key id and signature', () => {
    const rekeyed = pki.issueCa({
      issuer: pki.root,
      name: 'HPKI-01-TestAuthCA-forAuthentication-forIndividual',
      key: spareKey,
    });
    const ee = pki.issueEe({ issuer: rekeyed, key: pki.eeKey });
    const result = validate(ee, { intermediates: [pki.authCa.certificate, rekeyed.certificate] });
    expect(result.ok && result.path[1]!.decoded.der).toEqual(rekeyed.certificate);
  });

  it('explores every candidate issuer of the name: a cross-signed intermediate whose first certificate leads nowhere', () => {
    // One CA key, certified twice: by a root the verifier does not trust, and by its own root.
    const otherRoot = untrustedRoot('Untrusted Bridge');
    const viaOther = pki.issueCa({ issuer: otherRoot, name: 'Cross CA', key: spareKey });
    const viaRoot = pki.issueCa({ issuer: pki.root, name: 'Cross CA', key: spareKey });
    const ee = pki.issueEe({ issuer: viaRoot });
    for (const [intermediates, supplied] of [
      [[viaOther.certificate], [viaRoot.certificate]],
      [[], [viaOther.certificate, otherRoot.certificate, viaRoot.certificate]],
      [[viaOther.certificate, viaRoot.certificate], []],
    ]) {
      const result = validate(ee, { intermediates, supplied });
      expect(result.ok && result.path[1]!.decoded.der).toEqual(viaRoot.certificate);
    }
    // The twin without the second certificate has no path.
    expectCode(
      validate(ee, { intermediates: [viaOther.certificate], supplied: [otherRoot.certificate] }),
      'ERR_CERT_UNTRUSTED',
    );
  });

  it('spends no signature check on candidates that lead nowhere', () => {
    // Two dead ends three untrusted CAs deep, configured before the certificate that chains to the root.
    const deadEnd = (n: number): TestCert => {
      let issuer = untrustedRoot(`Dead End ${n}`);
      for (let level = 1; level <= 2; level++) issuer = pki.issueCa({ issuer, name: `Dead End ${n}.${level}` });
      return pki.issueCa({ issuer, name: 'Cross CA', key: spareKey });
    };
    const viaRoot = pki.issueCa({ issuer: pki.root, name: 'Cross CA', key: spareKey });
    const ee = pki.issueEe({ issuer: viaRoot });
    const store = createTrustStore({
      anchors: [pki.root.certificate],
      intermediates: [deadEnd(1).certificate, deadEnd(2).certificate, viaRoot.certificate],
    });
    // Exactly the two links of the one path: EE ← Cross CA ← root.
    const budget = createSignatureBudget(2);
    const result = validatePath(store.parse(ee.certificate), [], store, pki.now, { budget });
    expect(result.ok && result.path.length).toBe(3);
    expect(budget.remaining).toBe(0);
  });

  it('explores every candidate issuer of the name: a re-keyed CA whose key identifier is the old one', () => {
    // A renewal that kept the old subjectKeyIdentifier: only the signature tells the two apart.
    const name = encodeName([
      [OID.c, 'JP'],
      [OID.o, 'Test Medical Association'],
      [OID.cn, 'HPKI-01-TestAuthCA-forAuthentication-forIndividual'],
    ]);
    const rekeyed = makeCertificate({
      serial: 0x777,
      issuer: pki.root.name,
      subject: name,
      notBefore: new Date(pki.now.getTime() - DAY),
      notAfter: new Date(pki.now.getTime() + DAY),
      subjectKey: spareKey,
      signingKey: pki.root.key,
      extensions: [
        ext.basicConstraints(true),
        ext.keyUsage([5, 6]),
        ext.ski(pki.authCa.key.keyId),
        ext.aki(pki.root.key.keyId),
        ext.policies([OID.authCaPolicy]),
      ],
    });
    const ee = makeCertificate({
      serial: 0x778,
      issuer: name,
      subject: encodeName([
        [OID.cn, 'Rekey Taro'],
        [OID.serialNumber, 'RK1'],
      ]),
      notBefore: new Date(pki.now.getTime() - DAY),
      notAfter: new Date(pki.now.getTime() + DAY),
      subjectKey: pki.eeKey,
      signingKey: spareKey,
      extensions: [ext.keyUsage([0]), ext.aki(pki.authCa.key.keyId)],
    });
    const result = validate({ certificate: ee, key: pki.eeKey, name }, { supplied: [rekeyed] });
    expect(result.ok && result.path[1]!.decoded.der).toEqual(rekeyed);
    // The twin with only the old CA certificate: its key id matches, its key does not.
    expectCode(validate({ certificate: ee, key: pki.eeKey, name }), 'ERR_CERT_UNTRUSTED');
  });

  it('keeps looking past a candidate whose path is only out of date (an expired cross-certificate)', () => {
    const expired = pki.issueCa({
      issuer: pki.root,
      name: 'Renewed CA',
      key: spareKey,
      notBefore: new Date(pki.now.getTime() - 400 * DAY),
      notAfter: new Date(pki.now.getTime() - DAY),
    });
    const current = pki.issueCa({ issuer: pki.root, name: 'Renewed CA', key: spareKey });
    const ee = pki.issueEe({ issuer: current });
    const result = validate(ee, { intermediates: [expired.certificate, current.certificate] });
    expect(result.ok && result.path[1]!.decoded.der).toEqual(current.certificate);
    expectCode(validate(ee, { intermediates: [expired.certificate] }), 'ERR_CERT_EXPIRED');
  });

  it('verifies SHA-1, SHA-384 and SHA-512 CA signatures as well as SHA-256', () => {
    for (const hash of ['sha1', 'sha384', 'sha512'] as const) {
      const ca = pki.issueCa({ issuer: pki.root, name: `CA ${hash}`, key: spareKey, hash });
      expect(validate(pki.issueEe({ issuer: ca }), { supplied: [ca.certificate] }).ok).toBe(true);
    }
  });

  it('refuses keys below 2048 bits in the path', () => {
    const weak = generateTestKey(1024);
    const ca = pki.issueCa({ issuer: pki.root, name: 'Weak CA', key: weak });
    expectCode(validate(pki.issueEe({ issuer: ca }), { supplied: [ca.certificate] }), 'ERR_CERT_UNTRUSTED');
  });
});

describe('validity periods', () => {
  it('refuses an expired or not yet valid EE, and an expired CA', () => {
    expectCode(validate(pki.issueEe({ notAfter: new Date(pki.now.getTime() - DAY) })), 'ERR_CERT_EXPIRED');
    expectCode(validate(pki.issueEe({ notBefore: new Date(pki.now.getTime() + DAY) })), 'ERR_CERT_NOT_YET_VALID');
    const old = pki.issueCa({
      issuer: pki.root,
      name: 'Old CA',
      key: spareKey,
      notBefore: new Date(pki.now.getTime() - 900 * DAY),
      notAfter: new Date(pki.now.getTime() - DAY),
    });
    const ee = pki.issueEe({ issuer: old, notBefore: new Date(pki.now.getTime() - 800 * DAY) });
    const result = validate(ee, { supplied: [old.certificate] });
    expectCode(result, 'ERR_CERT_EXPIRED');
    expect(result.ok ? '' : result.message).toContain('Old CA');
  });

  it('says untrusted, not expired, when an expired certificate has no path', () => {
    const stranger = createTrustStore({ anchors: [readSharedPemDer('test-vectors', 'root.pem')] });
    const ee = pki.issueEe({ notAfter: new Date(pki.now.getTime() - DAY) });
    expectCode(validatePath(stranger.parse(ee.certificate), [], stranger, pki.now), 'ERR_CERT_UNTRUSTED');
  });

  it('validates the real MEDIS chain at its time and not after expiry', () => {
    const store = createTrustStore({
      anchors: [readSharedPemDer('hpki-reference', 'mhlw-hpki-root-ca-v2.pem')],
      intermediates: [readSharedPemDer('hpki-reference', 'medis-sign-ca2.pem')],
    });
    const rokujuni = store.parse(readSharedPemDer('hpki-reference', 'medis-test-ee-sign-rokujuni.pem'));
    expect(validatePath(rokujuni, [], store, new Date('2017-04-26T12:00:00Z')).ok).toBe(true);
    expectCode(validatePath(rokujuni, [], store, new Date('2022-03-15T15:00:00Z')), 'ERR_CERT_EXPIRED');
    expectCode(validatePath(rokujuni, [], store, new Date('2017-03-15T14:59:59Z')), 'ERR_CERT_NOT_YET_VALID');
  });
});

describe('purpose', () => {
  const info = (file: string) => parseCertificate(readSharedPemDer('test-vectors', file)).info;
  const code = (fn: () => void): string => {
    try {
      fn();
      return 'ok';
    } catch (err) {
      return err instanceof HpkiError ? err.code : 'other';
    }
  };

  it('auth needs digitalSignature and an auth policy; sign needs nonRepudiation and a sign policy', () => {
    expect(code(() => checkPurpose(info('ee.pem'), 'auth'))).toBe('ok');
    expect(code(() => checkPurpose(info('ee_sign.pem'), 'auth'))).toBe('ERR_CERT_PURPOSE');
    expect(code(() => checkPurpose(info('ee_sign.pem'), 'sign'))).toBe('ok');
    expect(code(() => checkPurpose(info('ee.pem'), 'sign'))).toBe('ERR_CERT_PURPOSE');
    expect(code(() => checkPurpose(info('authca.pem'), 'auth'))).toBe('ERR_CERT_PURPOSE');
  });

  it('checks the policy against the configured arcs', () => {
    const wrongPolicy = parseCertificate(pki.issueEe({ policies: ['1.2.392.100495.1.5.1.1.0.1'] }).certificate).info;
    expect(code(() => checkPurpose(wrongPolicy, 'auth'))).toBe('ERR_CERT_POLICY');
    expect(code(() => checkPurpose(info('ee.pem'), 'auth', ['1.2.392.100495.1.5.1.2.0.1']))).toBe('ok');
    expect(code(() => checkPurpose(info('ee.pem'), 'auth', ['1.2.392.100495.1.5.1.2.0.2']))).toBe('ERR_CERT_POLICY');
    // An arc matches on whole components only.
    expect(code(() => checkPurpose(info('ee.pem'), 'auth', ['1.2.392.100495.1.5.1.2.0']))).toBe('ok');
    expect(code(() => checkPurpose(info('ee.pem'), 'auth', ['1.2.392.100495.1.5.1.2.']))).toBe('ERR_CERT_POLICY');
  });
});
