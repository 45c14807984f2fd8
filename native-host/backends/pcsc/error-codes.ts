import { type ClientErrorCode, HpkiError } from '../../../protocol/errors.js';

/**
 * The one table of PC/SC return codes (SCARD_E_*, SCARD_F_*, SCARD_W_*: the same 32-bit values in
 * winscard.h, PCSC.framework and pcsc-lite) and what each means for the host. Every PC/SC failure
 * becomes an HpkiError through `pcscFailure()`, so a card pulled between or during commands answers
 * ERR_HPKI_CARD_REMOVED or ERR_HPKI_NO_CARD, never ERR_HPKI_INTERNAL.
 */

/**
 * - `no-service`: the resource manager (pcscd, the Smart Card service) is not there.
 * - `no-reader`: no reader, or the named one is gone.
 * - `card-gone`: no card, or it went away, was reset or stopped answering.
 * - `link-failed`: the exchange failed on the way: the card was pulled mid-command, or the reader
 *   refused the command (an extended-length APDU on a reader without it); the transport tells which.
 * - `busy`: another program holds the card.
 * - `unsupported-card`: the reader cannot talk to this card at all.
 * - `cancelled` / `timeout`: a wait ended by SCardCancel or by its own timeout.
 * - `internal`: a fault of the host or the service.
 */
export type PcscErrorKind =
  | 'no-service'
  | 'no-reader'
  | 'card-gone'
  | 'link-failed'
  | 'busy'
  | 'unsupported-card'
  | 'cancelled'
  | 'timeout'
  | 'internal';

interface PcscCode {
  name: string;
  kind: PcscErrorKind;
}

const code = (name: string, kind: PcscErrorKind): PcscCode => ({ name, kind });

export const PCSC_CODES: ReadonlyMap<number, PcscCode> = new Map([
  [0x80100001, code('SCARD_F_INTERNAL_ERROR', 'internal')],
  [0x80100002, code('SCARD_E_CANCELLED', 'cancelled')],
  [0x80100003, code('SCARD_E_INVALID_HANDLE', 'internal')],
  [0x80100004, code('SCARD_E_INVALID_PARAMETER', 'internal')],
  [0x80100005, code('SCARD_E_INVALID_TARGET', 'internal')],
  [0x80100006, code('SCARD_E_NO_MEMORY', 'internal')],
  [0x80100007, code('SCARD_F_WAITED_TOO_LONG', 'internal')],
  [0x80100008, code('SCARD_E_INSUFFICIENT_BUFFER', 'internal')],
  [0x80100009, code('SCARD_E_UNKNOWN_READER', 'no-reader')],
  [0x8010000a, code('SCARD_E_TIMEOUT', 'timeout')],
  [0x8010000b, code('SCARD_E_SHARING_VIOLATION', 'busy')],
  [0x8010000c, code('SCARD_E_NO_SMARTCARD', 'card-gone')],
  [0x8010000d, code('SCARD_E_UNKNOWN_CARD', 'unsupported-card')],
  [0x8010000e, code('SCARD_E_CANT_DISPOSE', 'internal')],
  [0x8010000f, code('SCARD_E_PROTO_MISMATCH', 'unsupported-card')],
  [0x80100010, code('SCARD_E_NOT_READY', 'card-gone')],
  [0x80100011, code('SCARD_E_INVALID_VALUE', 'internal')],
  [0x80100012, code('SCARD_E_SYSTEM_CANCELLED', 'no-service')],
  [0x80100013, code('SCARD_F_COMM_ERROR', 'link-failed')],
  [0x80100014, code('SCARD_F_UNKNOWN_ERROR', 'internal')],
  [0x80100015, code('SCARD_E_INVALID_ATR', 'unsupported-card')],
  [0x80100016, code('SCARD_E_NOT_TRANSACTED', 'link-failed')],
  [0x80100017, code('SCARD_E_READER_UNAVAILABLE', 'card-gone')],
  [0x80100018, code('SCARD_P_SHUTDOWN', 'no-service')],
  [0x80100019, code('SCARD_E_PCI_TOO_SMALL', 'internal')],
  [0x8010001a, code('SCARD_E_READER_UNSUPPORTED', 'no-reader')],
  [0x8010001b, code('SCARD_E_DUPLICATE_READER', 'internal')],
  [0x8010001c, code('SCARD_E_CARD_UNSUPPORTED', 'unsupported-card')],
  [0x8010001d, code('SCARD_E_NO_SERVICE', 'no-service')],
  [0x8010001e, code('SCARD_E_SERVICE_STOPPED', 'no-service')],
  // pcsc-lite also names 0x8010001F SCARD_E_UNSUPPORTED_FEATURE; Windows has that at 0x80100022.
  [0x8010001f, code('SCARD_E_UNEXPECTED', 'internal')],
  [0x80100020, code('SCARD_E_ICC_INSTALLATION', 'internal')],
  [0x80100021, code('SCARD_E_ICC_CREATEORDER', 'internal')],
  [0x80100022, code('SCARD_E_UNSUPPORTED_FEATURE', 'internal')],
  [0x80100023, code('SCARD_E_DIR_NOT_FOUND', 'internal')],
  [0x80100024, code('SCARD_E_FILE_NOT_FOUND', 'internal')],
  [0x80100025, code('SCARD_E_NO_DIR', 'internal')],
  [0x80100026, code('SCARD_E_NO_FILE', 'internal')],
  [0x80100027, code('SCARD_E_NO_ACCESS', 'internal')],
  [0x80100028, code('SCARD_E_WRITE_TOO_MANY', 'internal')],
  [0x80100029, code('SCARD_E_BAD_SEEK', 'internal')],
  [0x8010002a, code('SCARD_E_INVALID_CHV', 'internal')],
  [0x8010002b, code('SCARD_E_UNKNOWN_RES_MNG', 'internal')],
  [0x8010002c, code('SCARD_E_NO_SUCH_CERTIFICATE', 'internal')],
  [0x8010002d, code('SCARD_E_CERTIFICATE_UNAVAILABLE', 'internal')],
  [0x8010002e, code('SCARD_E_NO_READERS_AVAILABLE', 'no-reader')],
  [0x8010002f, code('SCARD_E_COMM_DATA_LOST', 'link-failed')],
  [0x80100030, code('SCARD_E_NO_KEY_CONTAINER', 'internal')],
  [0x80100031, code('SCARD_E_SERVER_TOO_BUSY', 'no-service')],
  [0x80100065, code('SCARD_W_UNSUPPORTED_CARD', 'unsupported-card')],
  [0x80100066, code('SCARD_W_UNRESPONSIVE_CARD', 'card-gone')],
  [0x80100067, code('SCARD_W_UNPOWERED_CARD', 'card-gone')],
  [0x80100068, code('SCARD_W_RESET_CARD', 'card-gone')],
  [0x80100069, code('SCARD_W_REMOVED_CARD', 'card-gone')],
  [0x8010006a, code('SCARD_W_SECURITY_VIOLATION', 'internal')],
  [0x8010006b, code('SCARD_W_WRONG_CHV', 'internal')],
  [0x8010006c, code('SCARD_W_CHV_BLOCKED', 'internal')],
  [0x8010006d, code('SCARD_W_EOF', 'internal')],
  [0x8010006e, code('SCARD_W_CANCELLED_BY_USER', 'internal')],
  [0x8010006f, code('SCARD_W_CARD_NOT_AUTHENTICATED', 'internal')],
]);

/** A PC/SC function returned something other than SCARD_S_SUCCESS. */
export class PcscError extends Error {
  readonly code: number;
  readonly kind: PcscErrorKind;
  constructor(fn: string, returned: number | bigint) {
    // LONG is 64-bit on Linux and 32-bit elsewhere: the low 32 bits are the code on every system.
    const value = Number(BigInt.asUintN(32, BigInt(returned)));
    const known = PCSC_CODES.get(value);
    super(`${fn}: ${known?.name ?? 'unknown PC/SC error'} (0x${value.toString(16).toUpperCase().padStart(8, '0')})`);
    this.name = 'PcscError';
    this.code = value;
    this.kind = known?.kind ?? 'internal';
  }
}

export function pcscKind(err: unknown): PcscErrorKind | undefined {
  return err instanceof PcscError ? err.kind : undefined;
}

/** Where the failure happened: the same code means "no card" before a command and "removed" in one. */
export type PcscPhase = 'service' | 'connect' | 'transmit';

const SERVICE_DOWN = 'the PC/SC service (pcscd, or the Smart Card service on Windows) is not running or not reachable';

function codeFor(kind: PcscErrorKind, phase: PcscPhase): ClientErrorCode {
  switch (kind) {
    case 'no-service':
      return 'ERR_HPKI_NO_READER';
    case 'no-reader':
      return phase === 'transmit' ? 'ERR_HPKI_CARD_REMOVED' : 'ERR_HPKI_NO_READER';
    case 'card-gone':
    case 'link-failed':
      return phase === 'transmit' ? 'ERR_HPKI_CARD_REMOVED' : 'ERR_HPKI_NO_CARD';
    case 'busy':
      return 'ERR_HPKI_BUSY';
    case 'unsupported-card':
      return 'ERR_HPKI_UNSUPPORTED_CARD';
    default:
      return 'ERR_HPKI_INTERNAL';
  }
}

function messageFor(kind: PcscErrorKind, code: ClientErrorCode, detail: string): string {
  if (kind === 'no-service') return `${SERVICE_DOWN} (${detail})`;
  switch (code) {
    case 'ERR_HPKI_NO_READER':
      return `no smart card reader is connected (${detail})`;
    case 'ERR_HPKI_NO_CARD':
      return `no card in the reader (${detail})`;
    case 'ERR_HPKI_CARD_REMOVED':
      return `the card was removed during the operation (${detail})`;
    case 'ERR_HPKI_BUSY':
      return 'another program is using the card';
    case 'ERR_HPKI_UNSUPPORTED_CARD':
      return `the reader cannot talk to this card (${detail})`;
    default:
      return `PC/SC failed: ${detail}`;
  }
}

/** The HpkiError a PC/SC failure means in `phase`; anything else passes through as it is. */
export function pcscFailure(err: unknown, phase: PcscPhase): unknown {
  if (!(err instanceof PcscError)) return err;
  const code = codeFor(err.kind, phase);
  return new HpkiError(code, messageFor(err.kind, code, err.message), { cause: err });
}
