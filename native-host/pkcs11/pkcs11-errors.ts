import { HpkiError } from '../../protocol/errors.js';
import { ckrCode, ckrName, pkcs11js } from './pkcs11-library.js';

/**
 * PKCS#11 return values as protocol errors. Messages name the function and the CKR_* value only:
 * pkcs11js never echoes arguments, and neither do we, so no PIN can leak through here.
 */

export function pkcs11Error(err: unknown, operation: string): HpkiError {
  if (err instanceof HpkiError) return err;
  const code = ckrCode(err);
  const lib = pkcs11js();
  const name = ckrName(err);
  const removed = [
    lib.CKR_TOKEN_NOT_PRESENT,
    lib.CKR_DEVICE_REMOVED,
    lib.CKR_SESSION_HANDLE_INVALID,
    lib.CKR_SESSION_CLOSED,
  ];
  if (code !== undefined && removed.includes(code)) {
    return new HpkiError('ERR_HPKI_CARD_REMOVED', `the card was removed (${operation}: ${name})`, { cause: err });
  }
  if (code === lib.CKR_PIN_LOCKED) return new HpkiError('ERR_HPKI_PIN_BLOCKED', 'the PIN is blocked', { cause: err });
  if (code === lib.CKR_TOKEN_NOT_RECOGNIZED) {
    return new HpkiError(
      'ERR_HPKI_UNSUPPORTED_CARD',
      `the module does not recognise this card (${operation}: ${name})`,
      { cause: err },
    );
  }
  return new HpkiError('ERR_HPKI_INTERNAL', `PKCS#11 ${operation} failed: ${name}`, { cause: err });
}
