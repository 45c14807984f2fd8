import { describe, expect, it } from 'vitest';
import { HpkiError } from '../../../../protocol/errors.js';
import type { CertificateValidation } from '../../../../server/verify/certificate-validator.js';
import { createCertificateValidator } from '../../../../server/verify/certificate-validator.js';
import { createValidationCache } from '../../../../server/verify/validation-cache.js';
import { readSharedPemDer } from '../../../helpers/shared.js';

/** The short-lived cache of successful validations: when it may answer, and when it must not. */

const validator = createCertificateValidator({ anchors: [readSharedPemDer('test-vectors', 'root.pem')] });
const ee = validator.parse(readSharedPemDer('test-vectors', 'ee.pem'));
const pharm = validator.parse(readSharedPemDer('test-vectors', 'ee_pharm.pem'));
const ca = validator.parse(readSharedPemDer('test-vectors', 'authca.pem'));
const ok: CertificateValidation = { error: undefined, path: [ee, ca], revocation: undefined };
const t0 = new Date('2027-01-01T00:00:00Z');
const at = (ms: number) => ({ at: new Date(t0.getTime() + ms), purpose: 'auth' as const });

describe('validation cache', () => {
  it('answers for the same certificate, intermediates and purpose within the window', () => {
    const cache = createValidationCache(60_000);
    cache.put(ee, [ca], at(0), ok);
    expect(cache.get(ee, [ca], at(0))).toBe(ok);
    expect(cache.get(ee, [ca], at(59_999))).toBe(ok);
  });
  it('misses after the window, before the time it was validated, and for anything else', () => {
    const cache = createValidationCache(60_000);
    cache.put(ee, [ca], at(0), ok);
    expect(cache.get(ee, [ca], at(-1))).toBeUndefined();
    expect(cache.get(pharm, [ca], at(1))).toBeUndefined();
    expect(cache.get(ee, [], at(1))).toBeUndefined();
    expect(cache.get(ee, [ca], { at: at(1).at, purpose: 'sign' })).toBeUndefined();
    expect(cache.get(ee, [ca], at(60_000))).toBeUndefined();
    expect(cache.get(ee, [ca], at(1))).toBeUndefined();
  });
  it('never answers past the first expiry on the path', () => {
    const cache = createValidationCache(10 * 365 * 24 * 3600 * 1000);
    const validatedAt = new Date(ee.info.notAfter.getTime() - 1_000);
    cache.put(ee, [ca], { at: validatedAt }, ok);
    expect(cache.get(ee, [ca], { at: new Date(validatedAt.getTime() + 999) })).toBe(ok);
    expect(cache.get(ee, [ca], { at: ee.info.notAfter })).toBeUndefined();
  });
  it('keeps no failures, and nothing when turned off', () => {
    const cache = createValidationCache(60_000);
    cache.put(ee, [ca], at(0), {
      error: new HpkiError('ERR_CERT_REVOKED', 'revoked'),
      path: [ee, ca],
      revocation: undefined,
    });
    expect(cache.get(ee, [ca], at(1))).toBeUndefined();
    const off = createValidationCache(0);
    off.put(ee, [ca], at(0), ok);
    expect(off.get(ee, [ca], at(0))).toBeUndefined();
  });
});
