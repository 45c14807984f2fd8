import { HpkiError } from '../../protocol/errors.js';
import { refuseMalformedPin } from '../card/index.js';
import { pkcs11Error } from './pkcs11-errors.js';
import type { Handle, Pkcs11Module } from './pkcs11-library.js';
import { ckrCode, pkcs11js } from './pkcs11-library.js';

/**
 * C_Login with the PIN of this command, and nothing else counts as a verified PIN. PKCS#11 keeps the
 * login state per token for the whole application (every session of the process, and in some modules
 * longer), so C_Login may answer CKR_USER_ALREADY_LOGGED_IN without looking at the PIN at all: taking
 * that as success would let a wrong PIN sign. Then the module is logged out and this PIN is presented
 * once more; the first C_Login never reached the card, so the card still sees this PIN exactly once.
 */

export type PinLoginModule = Pick<Pkcs11Module, 'C_Login' | 'C_Logout'>;

export interface PinLoginFailures {
  /** Builds the error for CKR_PIN_INCORRECT (it reads the PIN flags for the retries left). */
  incorrect(): HpkiError;
}

function mapLoginError(err: unknown, failures: PinLoginFailures): HpkiError {
  const lib = pkcs11js();
  const code = ckrCode(err);
  if (code === lib.CKR_PIN_INCORRECT) return failures.incorrect();
  if (code === lib.CKR_PIN_LEN_RANGE)
    return new HpkiError('ERR_HPKI_INVALID_ARGUMENT', 'the PIN length is outside what the card accepts');
  if (code === lib.CKR_USER_ALREADY_LOGGED_IN)
    return new HpkiError('ERR_HPKI_INTERNAL', 'the PKCS#11 module stays logged in after C_Logout; refusing to sign');
  return pkcs11Error(err, 'C_Login');
}

/** Resolves only after a C_Login with `pin` itself succeeded; throws the protocol error otherwise. */
export function loginWithPin(module: PinLoginModule, session: Handle, pin: string, failures: PinLoginFailures): void {
  refuseMalformedPin(pin);
  const lib = pkcs11js();
  try {
    module.C_Login(session, lib.CKU_USER, pin);
    return;
  } catch (err) {
    if (ckrCode(err) !== lib.CKR_USER_ALREADY_LOGGED_IN) throw mapLoginError(err, failures);
  }
  // Someone else's login (an earlier command, another session of this process): end it first.
  try {
    module.C_Logout(session);
  } catch (err) {
    if (ckrCode(err) !== lib.CKR_USER_NOT_LOGGED_IN) throw pkcs11Error(err, 'C_Logout');
  }
  try {
    module.C_Login(session, lib.CKU_USER, pin);
  } catch (err) {
    throw mapLoginError(err, failures);
  }
}

export type SetPinModule = Pick<Pkcs11Module, 'C_OpenSession' | 'C_SetPIN' | 'C_CloseSession'>;

/**
 * C_SetPIN in a read-write session of its own (PKCS#11 changes the user PIN only there), with the
 * current PIN presented once: CKR_PIN_INCORRECT → `failures.incorrect()`. Never retried.
 */
export function changePinWithModule(
  module: SetPinModule,
  slot: Handle,
  pins: { pin: string; newPin: string },
  failures: PinLoginFailures,
): void {
  refuseMalformedPin(pins.pin);
  refuseMalformedPin(pins.newPin, 'new PIN');
  const lib = pkcs11js();
  let session: Handle;
  try {
    session = module.C_OpenSession(slot, lib.CKF_SERIAL_SESSION | lib.CKF_RW_SESSION);
  } catch (err) {
    throw pkcs11Error(err, 'C_OpenSession (read-write)');
  }
  try {
    module.C_SetPIN(session, pins.pin, pins.newPin);
  } catch (err) {
    throw mapLoginError(err, failures);
  } finally {
    module.C_CloseSession(session);
  }
}
