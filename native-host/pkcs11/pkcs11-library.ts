import { createRequire } from 'node:module';
import type * as Pkcs11Api from 'pkcs11js';
import { HpkiError } from '../../protocol/errors.js';

/**
 * pkcs11js is a CommonJS native addon: it is required lazily, so that hosts using PC/SC or the
 * virtual card never load it, and a machine without it still runs them.
 */

export type Pkcs11Js = typeof Pkcs11Api;
export type Pkcs11Module = Pkcs11Api.PKCS11;
export type Handle = Pkcs11Api.Handle;

const require = createRequire(import.meta.url);
let cached: Pkcs11Js | undefined;

export function pkcs11js(): Pkcs11Js {
  if (cached === undefined) {
    try {
      cached = require('pkcs11js') as Pkcs11Js;
    } catch (err) {
      throw new HpkiError('ERR_HPKI_INTERNAL', 'the pkcs11js addon is not available', { cause: err });
    }
  }
  return cached;
}

/**
 * Loads and initialises a PKCS#11 module. A module already initialised in this process (another
 * backend, or an export into SoftHSM) is accepted as it is.
 */
export function openModule(path: string): Pkcs11Module {
  const lib = pkcs11js();
  const module = new lib.PKCS11();
  try {
    module.load(path);
  } catch (err) {
    throw new HpkiError('ERR_HPKI_INTERNAL', `PKCS#11 module ${path} could not be loaded`, { cause: err });
  }
  try {
    module.C_Initialize();
  } catch (err) {
    if (ckrCode(err) !== lib.CKR_CRYPTOKI_ALREADY_INITIALIZED) {
      module.close();
      throw new HpkiError('ERR_HPKI_INTERNAL', `PKCS#11 module ${path} failed to initialise (${ckrName(err)})`, {
        cause: err,
      });
    }
  }
  return module;
}

export function closeModule(module: Pkcs11Module): void {
  try {
    module.C_Finalize();
  } catch {
    // Already finalised, or the module is gone: nothing left to release but the handle.
  }
  module.close();
}

/** The CKR_* value of a pkcs11js error, or undefined for anything else. */
export function ckrCode(err: unknown): number | undefined {
  if (err instanceof Error && 'code' in err && typeof err.code === 'number' && /^CKR_/.test(err.message))
    return err.code;
  return undefined;
}

/** The CKR_* name of a pkcs11js error (its message is exactly that name), for error messages. */
export function ckrName(err: unknown): string {
  if (err instanceof Error && /^CKR_[A-Z0-9_]+$/.test(err.message)) return err.message;
  return err instanceof Error ? err.name : 'unknown error';
}

/** PKCS#11 pads labels and descriptions with blanks. */
export function trimPadded(value: string): string {
  return value.replace(/[\s\0]+$/u, '');
}
