import { describe, expect, it } from 'vitest';
import { loginWithPin, type PinLoginModule } from '../../../../native-host/pkcs11/pin-login.js';
import { pkcs11js } from '../../../../native-host/pkcs11/pkcs11-library.js';
import { HpkiError } from '../../../../protocol/errors.js';

/**
 * C_Login against a fake module that keeps its login state across sessions, as PKCS#11 allows (and
 * some vendor modules keep even across processes): CKR_USER_ALREADY_LOGGED_IN is never a correct PIN.
 */

const lib = pkcs11js();
const PIN = '1234';
const SESSION = Buffer.from([1]);

function ckr(name: keyof typeof lib & `CKR_${string}`): Error {
  return Object.assign(new Error(name), { code: lib[name] });
}

interface FakeToken {
  loggedIn: boolean;
  /** Every PIN the module compared with the card's, in order. */
  checked: string[];
  /** A broken module whose C_Logout leaves the login in place. */
  stickyLogin?: boolean;
}

function fakeModule(token: FakeToken): PinLoginModule {
  return {
    C_Login(_session, _type, pin) {
      if (token.loggedIn) throw ckr('CKR_USER_ALREADY_LOGGED_IN');
      token.checked.push(pin ?? '');
      if (pin !== PIN) throw ckr('CKR_PIN_INCORRECT');
      token.loggedIn = true;
    },
    C_Logout() {
      if (!token.loggedIn) throw ckr('CKR_USER_NOT_LOGGED_IN');
      if (!token.stickyLogin) token.loggedIn = false;
    },
  };
}

const failures = { incorrect: () => new HpkiError('ERR_HPKI_PIN_INCORRECT', 'wrong PIN', { retriesLeft: 14 }) };

function attempt(module: PinLoginModule, pin: string): HpkiError | 'logged in' {
  try {
    loginWithPin(module, SESSION, pin, failures);
    return 'logged in';
  } catch (err) {
    if (err instanceof HpkiError) return err;
    throw err;
  }
}

describe('loginWithPin', () => {
  it('a fresh token: the right PIN logs in, checked once', () => {
    const token: FakeToken = { loggedIn: false, checked: [] };
    expect(attempt(fakeModule(token), PIN)).toBe('logged in');
    expect(token.checked).toEqual([PIN]);
  });

  it('a token still logged in from an earlier session: a wrong PIN is ERR_HPKI_PIN_INCORRECT, and the module ends logged out', () => {
    const token: FakeToken = { loggedIn: true, checked: [] };
    const result = attempt(fakeModule(token), '9999');
    expect(result).toBeInstanceOf(HpkiError);
    expect((result as HpkiError).code).toBe('ERR_HPKI_PIN_INCORRECT');
    expect(token.checked).toEqual(['9999']);
    expect(token.loggedIn).toBe(false);
  });

  it('a token still logged in: the right PIN logs out, then logs in with this PIN (checked exactly once)', () => {
    const token: FakeToken = { loggedIn: true, checked: [] };
    expect(attempt(fakeModule(token), PIN)).toBe('logged in');
    expect(token.checked).toEqual([PIN]);
    expect(token.loggedIn).toBe(true);
  });

  it('a module whose login survives C_Logout: refused, the PIN never counted as verified', () => {
    const token: FakeToken = { loggedIn: true, checked: [], stickyLogin: true };
    const result = attempt(fakeModule(token), PIN);
    expect(result).toBeInstanceOf(HpkiError);
    expect((result as HpkiError).code).toBe('ERR_HPKI_INTERNAL');
    expect((result as HpkiError).message).not.toContain(PIN);
    expect(token.checked).toEqual([]);
  });

  it('a PIN no card holds never reaches the module: ERR_HPKI_INVALID_ARGUMENT, nothing checked', () => {
    const token: FakeToken = { loggedIn: false, checked: [] };
    for (const pin of ['123', '12 34', '１２３４', '', '12341234123412341']) {
      const result = attempt(fakeModule(token), pin);
      expect((result as HpkiError).code).toBe('ERR_HPKI_INVALID_ARGUMENT');
    }
    expect(token.checked).toEqual([]);
  });

  it('a wrong PIN on a fresh token is one check, never retried', () => {
    const token: FakeToken = { loggedIn: false, checked: [] };
    expect((attempt(fakeModule(token), '0000') as HpkiError).code).toBe('ERR_HPKI_PIN_INCORRECT');
    expect(token.checked).toEqual(['0000']);
  });
});
