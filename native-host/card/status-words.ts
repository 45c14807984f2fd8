import type { ClientErrorCode } from '../../protocol/errors.js';

/**
 * One table from status word to meaning (ISO/IEC 7816-4 §5.6, JAHIS annex C for what the standard
 * leaves open), in the way of OpenSC's iso7816_check_sw: the families that carry a number (63Cx,
 * 6Cxx) are recognised first, then the table is looked up. The driver decides from what
 * `checkStatusWord` says, never from if-chains of its own.
 */

export interface StatusWordEntry {
  sw: number;
  /** Stable name, also the virtual card's name for the same word. */
  name: string;
  meaning: string;
  /** The protocol error this word means when a command ends on it; undefined for success. */
  code: ClientErrorCode | undefined;
}

export const STATUS_WORDS = [
  { sw: 0x9000, name: 'OK', meaning: 'success', code: undefined },
  { sw: 0x6282, name: 'END_OF_FILE', meaning: 'end of file reached before Le bytes', code: undefined },
  { sw: 0x6700, name: 'WRONG_LENGTH', meaning: 'wrong length', code: 'ERR_HPKI_INTERNAL' },
  { sw: 0x6884, name: 'CHAINING_NOT_SUPPORTED', meaning: 'command chaining not supported', code: 'ERR_HPKI_INTERNAL' },
  {
    sw: 0x6981,
    name: 'INCOMPATIBLE_WITH_FILE',
    meaning: 'command incompatible with the file structure',
    code: 'ERR_HPKI_INTERNAL',
  },
  {
    sw: 0x6982,
    name: 'SECURITY_NOT_SATISFIED',
    meaning: 'security status not satisfied (PIN not verified)',
    code: 'ERR_HPKI_INTERNAL',
  },
  {
    sw: 0x6983,
    name: 'AUTH_METHOD_BLOCKED',
    meaning: 'authentication method blocked (PIN locked)',
    code: 'ERR_HPKI_PIN_BLOCKED',
  },
  {
    sw: 0x6984,
    name: 'REFERENCE_DATA_BLOCKED',
    meaning: 'reference data not usable (PIN locked, JAHIS C.3.4)',
    code: 'ERR_HPKI_PIN_BLOCKED',
  },
  {
    sw: 0x6985,
    name: 'CONDITIONS_NOT_SATISFIED',
    meaning: 'conditions of use not satisfied',
    code: 'ERR_HPKI_INTERNAL',
  },
  { sw: 0x6986, name: 'NO_CURRENT_EF', meaning: 'command not allowed (no current EF)', code: 'ERR_HPKI_INTERNAL' },
  { sw: 0x6a80, name: 'WRONG_DATA', meaning: 'incorrect data', code: 'ERR_HPKI_INTERNAL' },
  { sw: 0x6a81, name: 'FUNCTION_NOT_SUPPORTED', meaning: 'function not supported', code: 'ERR_HPKI_INTERNAL' },
  { sw: 0x6a82, name: 'FILE_NOT_FOUND', meaning: 'file or application not found', code: 'ERR_HPKI_INTERNAL' },
  { sw: 0x6a85, name: 'TLV_INCONSISTENT', meaning: 'Lc inconsistent with TLV structure', code: 'ERR_HPKI_INTERNAL' },
  { sw: 0x6a86, name: 'WRONG_P1P2', meaning: 'incorrect P1/P2', code: 'ERR_HPKI_INTERNAL' },
  { sw: 0x6b00, name: 'OFFSET_OUTSIDE_EF', meaning: 'offset outside the EF', code: 'ERR_HPKI_INTERNAL' },
  { sw: 0x6d00, name: 'INS_NOT_SUPPORTED', meaning: 'instruction not supported', code: 'ERR_HPKI_INTERNAL' },
  { sw: 0x6e00, name: 'CLA_NOT_SUPPORTED', meaning: 'class not supported', code: 'ERR_HPKI_INTERNAL' },
] as const satisfies readonly StatusWordEntry[];

type Entry = (typeof STATUS_WORDS)[number];
export type StatusWordName = Entry['name'];

/** Status words by name, for the driver's comparisons (`SW.OK`, `SW.END_OF_FILE`…). */
export const SW = Object.fromEntries(STATUS_WORDS.map((e) => [e.name, e.sw])) as {
  readonly [E in Entry as E['name']]: E['sw'];
};

const BY_SW: ReadonlyMap<number, StatusWordEntry> = new Map(STATUS_WORDS.map((e) => [e.sw, e]));

export type CheckedStatus =
  /** 63Cx: a wrong PIN, or the counter asked for; x tries left. */
  | { kind: 'retries'; sw: number; retriesLeft: number }
  /** 6Cxx: wrong Le; the card says the right one (0 means 256). */
  | { kind: 'wrong-le'; sw: number; le: number }
  | { kind: 'known'; sw: number; entry: StatusWordEntry }
  | { kind: 'unknown'; sw: number };

export function checkStatusWord(sw: number): CheckedStatus {
  if ((sw & 0xfff0) === 0x63c0) return { kind: 'retries', sw, retriesLeft: sw & 0x0f };
  if ((sw & 0xff00) === 0x6c00) return { kind: 'wrong-le', sw, le: sw & 0xff || 256 };
  const entry = BY_SW.get(sw);
  return entry === undefined ? { kind: 'unknown', sw } : { kind: 'known', sw, entry };
}

/** Whether the word means the PIN is locked (6983, 6984, or 63C0). */
export function meansPinBlocked(checked: CheckedStatus): boolean {
  if (checked.kind === 'retries') return checked.retriesLeft === 0;
  return checked.kind === 'known' && checked.entry.code === 'ERR_HPKI_PIN_BLOCKED';
}

export function describeStatusWord(sw: number): string {
  const hex = sw.toString(16).toUpperCase().padStart(4, '0');
  const checked = checkStatusWord(sw);
  switch (checked.kind) {
    case 'retries':
      return `${hex}: wrong PIN, ${checked.retriesLeft} tries left`;
    case 'wrong-le':
      return `${hex}: wrong Le, ${checked.le} bytes available`;
    case 'known':
      return `${hex}: ${checked.entry.meaning}`;
    case 'unknown':
      return `${hex}: unknown status`;
  }
}

/** Status words after which the driver falls back from the ISO signing form to the proprietary one. */
export const SIGN_FALLBACK_STATUS: ReadonlySet<number> = new Set([
  SW.INS_NOT_SUPPORTED,
  SW.CLA_NOT_SUPPORTED,
  SW.FUNCTION_NOT_SUPPORTED,
  SW.WRONG_P1P2,
]);

/**
 * Whether an extended-length command was refused for its length (6700 wrong length, 6Cxx wrong Le):
 * the driver then uses short commands for the rest of the session.
 */
export function meansExtendedLengthRefused(sw: number): boolean {
  return sw === SW.WRONG_LENGTH || checkStatusWord(sw).kind === 'wrong-le';
}

/**
 * Status words after which the driver stops reading by short EF identifier (P1 = 80|SFI) and selects
 * the EF by its FID instead: the card does not take that addressing, or not for this FID.
 */
export const SHORT_EF_FALLBACK_STATUS: ReadonlySet<number> = new Set([
  SW.WRONG_P1P2,
  SW.FUNCTION_NOT_SUPPORTED,
  SW.FILE_NOT_FOUND,
  SW.INCOMPATIBLE_WITH_FILE,
  SW.NO_CURRENT_EF,
]);
