import { concatBytes } from '../../protocol/bytes.js';

/**
 * HPKI card APDUs (HPKI-CARD.md §2) as named constants and builders, and one table from status word to
 * meaning. The driver speaks only through these.
 */

export const HPKI_RID = Uint8Array.of(0xe8, 0x28, 0xbd, 0x08, 0x0f);
export const HPKI_SIGN_AID = Uint8Array.of(0xe8, 0x28, 0xbd, 0x08, 0x0f, 0xa0, 0, 0, 0x03, 0x91, 0, 0, 0, 0, 0, 0x01);
export const HPKI_AUTH_AID = Uint8Array.of(0xe8, 0x28, 0xbd, 0x08, 0x0f, 0xa0, 0, 0, 0x03, 0x91, 0, 0, 0, 0, 0, 0x02);
/** My Number card (JPKI) AP: not an HPKI card, recognised to say so. */
export const JPKI_AID = Uint8Array.of(0xd3, 0x92, 0xf0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01);

export const FID_CERTIFICATE = 0x0016;
export const FID_PRIVATE_KEY = 0x000c;
export const FID_CDF = 0x0004;
/** VERIFY reference of each AP's PIN. */
export const PIN_REFERENCE = 0x88;
export const MAX_PIN_RETRIES = 15;
/** The largest file the driver reads: certificates are 1–2 kB; this bounds a hostile card. */
export const MAX_FILE_LENGTH = 8 * 1024;
/** READ BINARY block size that every card supports (short Le = 00). */
export const READ_BLOCK = 256;

export const SW = {
  OK: 0x9000,
  END_OF_FILE: 0x6282,
  WRONG_LENGTH: 0x6700,
  SECURITY_NOT_SATISFIED: 0x6982,
  AUTH_METHOD_BLOCKED: 0x6983,
  REFERENCE_DATA_UNUSABLE: 0x6984,
  CONDITIONS_NOT_SATISFIED: 0x6985,
  WRONG_DATA: 0x6a80,
  FUNCTION_NOT_SUPPORTED: 0x6a81,
  FILE_NOT_FOUND: 0x6a82,
  WRONG_P1P2: 0x6a86,
  INS_NOT_SUPPORTED: 0x6d00,
  CLA_NOT_SUPPORTED: 0x6e00,
} as const;

const SW_MEANING: ReadonlyMap<number, string> = new Map([
  [SW.OK, 'success'],
  [SW.END_OF_FILE, 'end of file reached before Le bytes'],
  [SW.WRONG_LENGTH, 'wrong length'],
  [SW.SECURITY_NOT_SATISFIED, 'security status not satisfied (PIN not verified)'],
  [SW.AUTH_METHOD_BLOCKED, 'authentication method blocked (PIN locked)'],
  [SW.REFERENCE_DATA_UNUSABLE, 'reference data not usable (PIN locked)'],
  [SW.CONDITIONS_NOT_SATISFIED, 'conditions of use not satisfied'],
  [SW.WRONG_DATA, 'incorrect data'],
  [SW.FUNCTION_NOT_SUPPORTED, 'function not supported'],
  [SW.FILE_NOT_FOUND, 'file or application not found'],
  [SW.WRONG_P1P2, 'incorrect P1/P2'],
  [SW.INS_NOT_SUPPORTED, 'instruction not supported'],
  [SW.CLA_NOT_SUPPORTED, 'class not supported'],
]);

export function describeStatusWord(sw: number): string {
  const hex = sw.toString(16).toUpperCase().padStart(4, '0');
  if ((sw & 0xfff0) === 0x63c0) return `${hex}: wrong PIN, ${sw & 0x0f} tries left`;
  return `${hex}: ${SW_MEANING.get(sw) ?? 'unknown status'}`;
}

/** Tries left when `sw` is 63Cx, else undefined. */
export function retriesFromStatus(sw: number): number | undefined {
  return (sw & 0xfff0) === 0x63c0 ? sw & 0x0f : undefined;
}

/** Status words after which a driver falls back from the ISO signing form to the proprietary one. */
export const SIGN_FALLBACK_STATUS: ReadonlySet<number> = new Set([
  SW.INS_NOT_SUPPORTED,
  SW.CLA_NOT_SUPPORTED,
  SW.FUNCTION_NOT_SUPPORTED,
  SW.WRONG_P1P2,
]);

export interface ResponseApdu {
  data: Uint8Array;
  sw: number;
}

export function parseResponse(response: Uint8Array): ResponseApdu {
  if (response.length < 2) throw new RangeError('response APDU shorter than its status word');
  const n = response.length;
  return { data: response.subarray(0, n - 2), sw: (response[n - 2]! << 8) | response[n - 1]! };
}

/** Header bytes, data, trailer bytes: an APDU. */
function apdu(...parts: (Uint8Array | number[])[]): Uint8Array {
  return concatBytes(parts.map((p) => (p instanceof Uint8Array ? p : Uint8Array.from(p))));
}

/** SELECT by DF name (AID), asking for the FCI. */
export function selectAid(aid: Uint8Array, p2 = 0x00): Uint8Array {
  return apdu([0x00, 0xa4, 0x04, p2, aid.length], aid, [0x00]);
}

/** SELECT by AID without FCI (the JPKI probe). */
export function selectAidNoFci(aid: Uint8Array): Uint8Array {
  return apdu([0x00, 0xa4, 0x04, 0x0c, aid.length], aid);
}

/** SELECT EF by file identifier, no FCI. */
export function selectEf(fid: number): Uint8Array {
  return Uint8Array.of(0x00, 0xa4, 0x02, 0x0c, 0x02, (fid >> 8) & 0xff, fid & 0xff);
}

/** READ BINARY of the current EF; le 256 is sent as 00. */
export function readBinary(offset: number, le: number): Uint8Array {
  if (offset < 0 || offset > 0x7fff || le < 1 || le > 256) throw new RangeError('READ BINARY out of range');
  return Uint8Array.of(0x00, 0xb0, (offset >> 8) & 0x7f, offset & 0xff, le & 0xff);
}

/** VERIFY without data: asks for the retry counter, consumes no try. */
export function verifyStatus(): Uint8Array {
  return Uint8Array.of(0x00, 0x20, 0x00, PIN_REFERENCE);
}

export function verifyPin(pin: Uint8Array): Uint8Array {
  return apdu([0x00, 0x20, 0x00, PIN_REFERENCE, pin.length], pin);
}

/** MSE:SET for digital signature with the AP's private key 000C. */
export function mseSetSigningKey(): Uint8Array {
  return Uint8Array.of(0x00, 0x22, 0x41, 0xb6, 0x04, 0x84, 0x02, (FID_PRIVATE_KEY >> 8) & 0xff, FID_PRIVATE_KEY & 0xff);
}

/** PSO: COMPUTE DIGITAL SIGNATURE over a host-padded block, extended Lc and Le. */
export function psoComputeSignature(block: Uint8Array): Uint8Array {
  return apdu([0x00, 0x2a, 0x9e, 0x9a, 0x00, (block.length >> 8) & 0xff, block.length & 0xff], block, [0x00, 0x00]);
}

/** The proprietary JPKI-style signing command: the card pads the DigestInfo itself. */
export function proprietarySign(digestInfo: Uint8Array): Uint8Array {
  return apdu([0x80, 0x2a, 0x00, 0x80, digestInfo.length], digestInfo, [0x00]);
}
