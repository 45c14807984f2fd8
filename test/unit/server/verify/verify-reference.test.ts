import { describe, expect, it } from 'vitest';
import type { CertificateCheck, CertificateValidation } from '../../../../server/verify/index.js';
import { checkRole, createCertificateValidator } from '../../../../server/verify/index.js';
import { readSharedPemDer } from '../../../helpers/shared.js';

/** The known outcomes of hpki-reference/README.md, on the real MHLW / MEDIS certificates and lists. */

const ref = (file: string): Uint8Array => readSharedPemDer('hpki-reference', file);
const ROOT = 'mhlw-hpki-root-ca-v2.pem';
const SIGN_CA = 'medis-sign-ca2.pem';
const KAGURAZAKA = 'medis-test-ee-sign-kagurazaka.pem';
const ROKUJUNI = 'medis-test-ee-sign-rokujuni.pem';
const LISTS_2022 = ['medis-sign-ca2-crl-2022-09-28.pem', 'mhlw-sarl-2022-09-29.pem'];
const LISTS_2017 = ['medis-sign-ca2-crl-2017-04-24.pem', 'mhlw-sarl-2017-04-25.pem', 'mhlw-rarl-2017-04-25.pem'];

async function check(ee: string, crls: string[], check: CertificateCheck): Promise<CertificateValidation> {
  const validator = createCertificateValidator({
    anchors: [ref(ROOT)],
    intermediates: [ref(SIGN_CA)],
    crls: crls.map(ref),
    revocation: crls.length > 0 ? 'fail-closed' : 'off',
  });
  return validator.validate(validator.parse(ref(ee)), [], check);
}

const statuses = (v: CertificateValidation): string[] | undefined => v.revocation?.certificates.map((c) => c.status);

describe('kagurazaka (MEDIS test signing certificate, 2022–2027)', () => {
  it('is valid at 2022-09-29T12:00Z with the 2022 CRL and SARL, not revoked, Medical Doctor, purpose sign', async () => {
    const v = await check(KAGURAZAKA, LISTS_2022, { at: new Date('2022-09-29T12:00:00Z'), purpose: 'sign' });
    expect(v.error).toBeUndefined();
    expect(v.revocation?.status).toBe('good');
    // The SARL of that day was issued at 19:00Z, after the validation time: it cannot speak for 12:00Z.
    expect(statuses(v)).toEqual(['good', 'not-checked', 'not-checked']);
    expect(v.revocation?.certificates[1]?.detail).toBe('its CRLs were issued after the validation time');
    expect(v.path?.map((c) => c.info.subjectName || c.info.issuerName)).toEqual([
      'Sanjushi Kagurazaka',
      'HPKI-01-MedisSignCA2-forNonRepudiation',
      'MHLW HPKI Root CA V2',
    ]);
    const ee = v.path![0]!;
    expect(checkRole(ee.info, ['Medical Doctor'])).toBe('Medical Doctor');
    expect(ee.info.nameJa).toBe('神楽坂　三十四');
  });

  it('has its CA checked against the SARL once that list exists', async () => {
    const v = await check(KAGURAZAKA, LISTS_2022, { at: new Date('2022-09-30T00:00:00Z'), purpose: 'sign' });
    expect(v.error).toBeUndefined();
    expect(statuses(v)).toEqual(['good', 'good', 'not-checked']);
  });

  it('has no current CRL after the list’s nextUpdate, or with the 2017 list', async () => {
    expect((await check(KAGURAZAKA, LISTS_2022, { at: new Date('2022-10-03T00:00:00Z') })).error?.code).toBe(
      'ERR_REVOCATION_UNKNOWN',
    );
    expect((await check(KAGURAZAKA, LISTS_2017, { at: new Date('2022-09-29T12:00:00Z') })).error?.code).toBe(
      'ERR_REVOCATION_UNKNOWN',
    );
  });

  it('is refused for purpose auth (nonRepudiation only)', async () => {
    const v = await check(KAGURAZAKA, LISTS_2022, { at: new Date('2022-09-29T12:00:00Z'), purpose: 'auth' });
    expect(v.error?.code).toBe('ERR_CERT_PURPOSE');
  });
});

describe('rokujuni (MEDIS test signing certificate, 2017–2022)', () => {
  it('is valid at 2017-04-26T12:00Z with the three 2017 lists, every certificate checked (RARL for the root)', async () => {
    const v = await check(ROKUJUNI, LISTS_2017, { at: new Date('2017-04-26T12:00:00Z'), purpose: 'sign' });
    expect(v.error).toBeUndefined();
    expect(statuses(v)).toEqual(['good', 'good', 'good']);
    expect(v.revocation?.certificates[2]?.detail).toContain('2017-04-25T19:00:01');
  });

  it('is expired at any time after 2022-03-15', async () => {
    for (const at of ['2022-03-15T15:00:00Z', '2022-09-29T12:00:00Z', '2030-01-01T00:00:00Z']) {
      const v = await check(ROKUJUNI, [], { at: new Date(at), purpose: 'sign' });
      expect(v.error?.code).toBe('ERR_CERT_EXPIRED');
    }
  });

  it('is refused for purpose auth', async () => {
    expect(
      (await check(ROKUJUNI, LISTS_2017, { at: new Date('2017-04-26T12:00:00Z'), purpose: 'auth' })).error?.code,
    ).toBe('ERR_CERT_PURPOSE');
  });

  it('is untrusted without the MEDIS signing CA', async () => {
    const validator = createCertificateValidator({
      anchors: [ref(ROOT)],
      intermediates: [ref('medis-auth-ca2.pem')],
      revocation: 'off',
    });
    const v = await validator.validate(validator.parse(ref(ROKUJUNI)), [], { at: new Date('2017-04-26T12:00:00Z') });
    expect(v.error?.code).toBe('ERR_CERT_UNTRUSTED');
  });
});
