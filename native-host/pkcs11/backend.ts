import { HpkiError } from '../../protocol/errors.js';
import type { PinApplication, ReaderStatus } from '../../protocol/messages.js';
import type { CardBackend, CardCertificates, CardToken, PinStatus } from '../card/index.js';
import { signableBy } from '../card/index.js';
import type { AuthObjects } from '../pkcs11/hpki-objects.js';
import { findAuthObjects, findPrivateKey } from '../pkcs11/hpki-objects.js';
import { pinStatusFromFlags } from '../pkcs11/pin-flags.js';
import { changePinWithModule, loginWithPin } from '../pkcs11/pin-login.js';
import { pkcs11Error } from '../pkcs11/pkcs11-errors.js';
import type { Handle, Pkcs11Module } from '../pkcs11/pkcs11-library.js';
import { closeModule, openModule, pkcs11js, trimPadded } from '../pkcs11/pkcs11-library.js';

/**
 * Cards through a PKCS#11 module: the vendor's HpkiAuthP11 library, OpenSC, or SoftHSM in tests.
 * Slots are the readers; a slot with a token is a reader with a card. The session opened by
 * openToken() is the exclusive hold on the card, closed by token.close(). The signing application
 * is the token (slot) whose end-entity certificate has the HPKI signing policy; the authentication
 * application is any other (hpki-objects.ts).
 */

export interface Pkcs11BackendOptions {
  /** Path (or loader-searchable name) of the PKCS#11 module. */
  module: string;
}

/** CKF_TOKEN_PRESENT (slot flag); pkcs11js defines it but does not declare it. */
const CKF_TOKEN_PRESENT = 0x1;
/** An RSA-4096 signature is the largest an HPKI card could return. */
const MAX_SIGNATURE_BYTES = 512;

interface Slot {
  handle: Handle;
  name: string;
  tokenPresent: boolean;
}

function listSlots(module: Pkcs11Module): Slot[] {
  const seen = new Map<string, number>();
  return module.C_GetSlotList(false).map((handle) => {
    const info = module.C_GetSlotInfo(handle);
    const base = trimPadded(info.slotDescription) || 'PKCS#11 slot';
    // Two identical readers get distinct names, as PC/SC does.
    const count = (seen.get(base) ?? 0) + 1;
    seen.set(base, count);
    return {
      handle,
      name: count === 1 ? base : `${base} (${count})`,
      tokenPresent: (info.flags & CKF_TOKEN_PRESENT) !== 0,
    };
  });
}

/** The slots, with a PKCS#11 failure turned into a protocol error. */
function slotsOf(module: Pkcs11Module): Slot[] {
  try {
    return listSlots(module);
  } catch (err) {
    throw pkcs11Error(err, 'C_GetSlotList');
  }
}

function pinFlagBits(): { countLow: number; finalTry: number; locked: number } {
  const lib = pkcs11js();
  return {
    countLow: lib.CKF_USER_PIN_COUNT_LOW,
    finalTry: lib.CKF_USER_PIN_FINAL_TRY,
    locked: lib.CKF_USER_PIN_LOCKED,
  };
}

function createToken(
  module: Pkcs11Module,
  slot: Slot,
  session: Handle,
  opened: { application: PinApplication; objects: AuthObjects },
): CardToken {
  const { application, objects } = opened;
  const lib = pkcs11js();
  let closed = false;
  let loggedIn = false;
  const live = (): void => {
    if (closed) throw new HpkiError('ERR_HPKI_INTERNAL', 'the token is closed');
  };
  const incorrect = (): HpkiError => {
    const { retriesLeft } = pinStatus();
    if (retriesLeft === 0) return new HpkiError('ERR_HPKI_PIN_BLOCKED', 'the PIN is blocked');
    return new HpkiError('ERR_HPKI_PIN_INCORRECT', 'wrong PIN', { retriesLeft });
  };
  const pinStatus = (): PinStatus => {
    try {
      return pinStatusFromFlags(module.C_GetTokenInfo(slot.handle).flags, pinFlagBits());
    } catch (err) {
      throw pkcs11Error(err, 'C_GetTokenInfo');
    }
  };

  return {
    cardType: 'hpki',
    application,
    async readCertificate(): Promise<CardCertificates> {
      live();
      return { certificate: objects.endEntity.der, intermediates: objects.caCertificates };
    },
    async confirmCertificates(expected: CardCertificates): Promise<boolean> {
      live();
      // The module has read the certificate already: compare it whole.
      const der = objects.endEntity.der;
      return der.length === expected.certificate.length && der.every((b, i) => b === expected.certificate[i]);
    },
    async pinStatus(): Promise<PinStatus> {
      live();
      return pinStatus();
    },
    async verifyPin(pin: string): Promise<void> {
      live();
      loggedIn = false;
      loginWithPin(module, session, pin, { incorrect });
      loggedIn = true;
    },
    async changePin(pin: string, newPin: string): Promise<void> {
      live();
      changePinWithModule(module, slot.handle, { pin, newPin }, { incorrect });
    },
    async sign(digestInfo: Uint8Array): Promise<Uint8Array> {
      live();
      // The card signs whatever it is given: only a DigestInfo this key may sign reaches it.
      if (!signableBy(application, digestInfo))
        throw new HpkiError(
          'ERR_HPKI_INTERNAL',
          `refusing to sign anything but a DigestInfo for the ${application} key`,
        );
      if (!loggedIn) throw new HpkiError('ERR_HPKI_INTERNAL', 'sign() before a verified PIN');
      try {
        const key = findPrivateKey(module, session, objects.endEntity);
        if (key === undefined)
          throw new HpkiError(
            'ERR_HPKI_UNSUPPORTED_CARD',
            `the card holds no private key for its ${application} certificate`,
          );
        module.C_SignInit(session, { mechanism: lib.CKM_RSA_PKCS }, key);
        const signature = await module.C_SignAsync(session, Buffer.from(digestInfo), Buffer.alloc(MAX_SIGNATURE_BYTES));
        return new Uint8Array(signature);
      } catch (err) {
        throw pkcs11Error(err, 'C_Sign');
      }
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      try {
        if (loggedIn) module.C_Logout(session);
      } catch {
        // The card may be gone; closing the session is what matters.
      }
      try {
        module.C_CloseSession(session);
      } catch {
        // Already closed by the module (card removed).
      }
    },
  };
}

export function createPkcs11Backend(options: Pkcs11BackendOptions): CardBackend {
  let module: Pkcs11Module | undefined;
  const loaded = (): Pkcs11Module => {
    module ??= openModule(options.module);
    return module;
  };

  /** Opens a read-only session and looks for the application's objects; the caller closes it. */
  const inspect = (
    m: Pkcs11Module,
    slot: Slot,
    application: PinApplication = 'auth',
  ): { session: Handle; objects: AuthObjects | undefined } => {
    const lib = pkcs11js();
    let session: Handle;
    try {
      session = m.C_OpenSession(slot.handle, lib.CKF_SERIAL_SESSION);
    } catch (err) {
      throw pkcs11Error(err, 'C_OpenSession');
    }
    try {
      return { session, objects: findAuthObjects(m, session, application) };
    } catch (err) {
      m.C_CloseSession(session);
      throw pkcs11Error(err, 'C_FindObjects');
    }
  };

  return {
    name: 'pkcs11',
    async listReaders(): Promise<ReaderStatus[]> {
      const m = loaded();
      const slots = slotsOf(m);
      return slots.map((slot) => {
        if (!slot.tokenPresent) return { name: slot.name, cardPresent: false, cardType: null };
        try {
          // A token of either application is an HPKI card (the vendor gives each its own token).
          const hpki = (['auth', 'sign'] as const).some((application) => {
            const { session, objects } = inspect(m, slot, application);
            m.C_CloseSession(session);
            return objects?.isHpki === true;
          });
          return { name: slot.name, cardPresent: true, cardType: hpki ? 'hpki' : 'unknown' };
        } catch {
          return { name: slot.name, cardPresent: true, cardType: 'unknown' };
        }
      });
    },
    async openToken(
      reader?: string,
      application: PinApplication = 'auth',
    ): Promise<{ reader: string; token: CardToken }> {
      const m = loaded();
      const slots = slotsOf(m);
      if (slots.length === 0) throw new HpkiError('ERR_HPKI_NO_READER', 'the PKCS#11 module reports no slot');
      const candidates = reader === undefined ? slots : slots.filter((s) => s.name === reader);
      if (candidates.length === 0) throw new HpkiError('ERR_HPKI_NO_READER', `no reader named ${reader}`);
      const present = candidates.filter((s) => s.tokenPresent);
      if (present.length === 0) throw new HpkiError('ERR_HPKI_NO_CARD', 'no card in any reader');
      // The first token that holds this application: the vendor's modules give each its own token.
      for (const slot of present) {
        const { session, objects } = inspect(m, slot, application);
        if (objects?.isHpki === true) {
          return { reader: slot.name, token: createToken(m, slot, session, { application, objects }) };
        }
        m.C_CloseSession(session);
      }
      throw new HpkiError('ERR_HPKI_UNSUPPORTED_CARD', `the card holds no HPKI ${application} certificate`);
    },
    async close(): Promise<void> {
      if (module !== undefined) closeModule(module);
      module = undefined;
    },
  };
}
