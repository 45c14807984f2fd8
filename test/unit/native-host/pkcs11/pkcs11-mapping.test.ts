import { describe, expect, it } from 'vitest';
import {
  COUNT_LOW_RETRIES,
  HPKI_MAX_PIN_RETRIES,
  pinStatusFromFlags,
} from '../../../../native-host/pkcs11/pin-flags.js';
import { pkcs11Error } from '../../../../native-host/pkcs11/pkcs11-errors.js';
import { ckrCode, ckrName, pkcs11js, trimPadded } from '../../../../native-host/pkcs11/pkcs11-library.js';
import { HpkiError } from '../../../../protocol/errors.js';

/** The documented mapping from PKCS#11 token flags and return values to protocol values. */

const lib = pkcs11js();
const bits = {
  countLow: lib.CKF_USER_PIN_COUNT_LOW,
  finalTry: lib.CKF_USER_PIN_FINAL_TRY,
  locked: lib.CKF_USER_PIN_LOCKED,
};
const OTHER_FLAGS = lib.CKF_LOGIN_REQUIRED | 0x400; // CKF_LOGIN_REQUIRED | CKF_TOKEN_INITIALIZED

/** An error shaped as pkcs11js throws them (message `CKR_NAME`, numeric code). */
function ckr(name: string, code: number): Error {
  return Object.assign(new Error(name), { code });
}

describe('PIN flags → retries left (never more than may remain)', () => {
  it.each([
    ['no flag', 0, HPKI_MAX_PIN_RETRIES],
    ['count low', bits.countLow, COUNT_LOW_RETRIES],
    ['final try', bits.finalTry, 1],
    ['final try and count low', bits.finalTry | bits.countLow, 1],
    ['locked', bits.locked, 0],
    ['locked with the others', bits.locked | bits.finalTry | bits.countLow, 0],
  ])('%s', (_name, flags, retriesLeft) => {
    expect(pinStatusFromFlags(flags | OTHER_FLAGS, bits)).toEqual({ retriesLeft, maxRetries: 15 });
  });
});

describe('CKR values → protocol error codes', () => {
  it.each([
    ['CKR_TOKEN_NOT_PRESENT', lib.CKR_TOKEN_NOT_PRESENT, 'ERR_HPKI_CARD_REMOVED'],
    ['CKR_DEVICE_REMOVED', lib.CKR_DEVICE_REMOVED, 'ERR_HPKI_CARD_REMOVED'],
    ['CKR_SESSION_HANDLE_INVALID', lib.CKR_SESSION_HANDLE_INVALID, 'ERR_HPKI_CARD_REMOVED'],
    ['CKR_PIN_LOCKED', lib.CKR_PIN_LOCKED, 'ERR_HPKI_PIN_BLOCKED'],
    ['CKR_TOKEN_NOT_RECOGNIZED', lib.CKR_TOKEN_NOT_RECOGNIZED, 'ERR_HPKI_UNSUPPORTED_CARD'],
    ['CKR_DEVICE_ERROR', lib.CKR_DEVICE_ERROR, 'ERR_HPKI_INTERNAL'],
  ])('%s', (name, code, expected) => {
    const err = pkcs11Error(ckr(name, code), 'C_Test');
    expect(err.code).toBe(expected);
    expect(err.message).toContain(expected === 'ERR_HPKI_INTERNAL' ? `C_Test failed: ${name}` : '');
  });

  it('keeps HpkiErrors and wraps anything else as ERR_HPKI_INTERNAL', () => {
    const own = new HpkiError('ERR_HPKI_NO_CARD', 'x');
    expect(pkcs11Error(own, 'C_Test')).toBe(own);
    expect(pkcs11Error(new TypeError('boom'), 'C_Test').code).toBe('ERR_HPKI_INTERNAL');
    expect(ckrCode(new TypeError('boom'))).toBeUndefined();
    expect(ckrName(ckr('CKR_PIN_INCORRECT', lib.CKR_PIN_INCORRECT))).toBe('CKR_PIN_INCORRECT');
  });

  it('trims the blank padding of PKCS#11 strings', () => {
    expect(trimPadded('SoftHSM slot ID 0x1        ')).toBe('SoftHSM slot ID 0x1');
    expect(trimPadded('HPKI Application\0\0')).toBe('HPKI Application');
  });
});
