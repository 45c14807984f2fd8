import { concatBytes } from '../../protocol/bytes.js';
import { FID_PRIVATE_KEY, PIN_REFERENCE } from './constants.js';

/**
 * HPKI card APDUs (HPKI-CARD.md §2) as builders. The driver speaks only through these; the identifiers
 * are in constants.ts, the status words in status-words.ts.
 */

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

/** Where a READ BINARY reads: an offset in the current EF, or the start of the EF with a short EF identifier. */
export type ReadAddress = { offset: number } | { shortEfId: number };

function readP1P2(address: ReadAddress): [number, number] {
  if ('offset' in address) {
    if (address.offset < 0 || address.offset > 0x7fff) throw new RangeError('READ BINARY offset out of range');
    return [(address.offset >> 8) & 0x7f, address.offset & 0xff];
  }
  // ISO/IEC 7816-4 §11.2.3: P1 = 100 + SFI (5 bits) selects the EF; P2 is then the offset (0 here).
  if (address.shortEfId < 1 || address.shortEfId > 0x1e) throw new RangeError('short EF identifier out of range');
  return [0x80 | address.shortEfId, 0x00];
}

/** READ BINARY with a short Le (1–256; 256 is sent as 00), at an offset or by short EF identifier. */
export function readBinaryShort(address: ReadAddress, le: number): Uint8Array {
  if (le < 1 || le > 256) throw new RangeError('short Le out of range');
  const [p1, p2] = readP1P2(address);
  return Uint8Array.of(0x00, 0xb0, p1, p2, le & 0xff);
}

/** READ BINARY with an extended Le (`00 Le1 Le2`, 1–65536; 65536 is sent as 00 00). */
export function readBinaryExtended(address: ReadAddress, le: number): Uint8Array {
  if (le < 1 || le > 65536) throw new RangeError('extended Le out of range');
  const [p1, p2] = readP1P2(address);
  return Uint8Array.of(0x00, 0xb0, p1, p2, 0x00, (le >> 8) & 0xff, le & 0xff);
}

/** VERIFY without data: asks for the retry counter, consumes no try. */
export function verifyStatus(): Uint8Array {
  return Uint8Array.of(0x00, 0x20, 0x00, PIN_REFERENCE);
}

export function verifyPin(pin: Uint8Array): Uint8Array {
  return apdu([0x00, 0x20, 0x00, PIN_REFERENCE, pin.length], pin);
}

/** CHANGE REFERENCE DATA with the current PIN and the new one (ISO/IEC 7816-4 §11.5.7, P1=00). */
export function changeReferenceData(oldPin: Uint8Array, newPin: Uint8Array): Uint8Array {
  return apdu([0x00, 0x24, 0x00, PIN_REFERENCE, oldPin.length + newPin.length], oldPin, newPin);
}

/** CHANGE REFERENCE DATA with the new PIN only (P1=01), for a card that wants a VERIFY first. */
export function changeReferenceDataNewOnly(newPin: Uint8Array): Uint8Array {
  return apdu([0x00, 0x24, 0x01, PIN_REFERENCE, newPin.length], newPin);
}

/** MSE:SET for digital signature with the AP's private key 000C. */
export function mseSetSigningKey(): Uint8Array {
  return Uint8Array.of(0x00, 0x22, 0x41, 0xb6, 0x04, 0x84, 0x02, (FID_PRIVATE_KEY >> 8) & 0xff, FID_PRIVATE_KEY & 0xff);
}

/** PSO: COMPUTE DIGITAL SIGNATURE over a host-padded block, extended Lc and Le. */
export function psoComputeSignature(block: Uint8Array): Uint8Array {
  return apdu([0x00, 0x2a, 0x9e, 0x9a, 0x00, (block.length >> 8) & 0xff, block.length & 0xff], block, [0x00, 0x00]);
}

/**
 * PSO: COMPUTE DIGITAL SIGNATURE without extended length: the block in two chained commands (CLA 10,
 * then 00 with Le = 00), ISO/IEC 7816-4 §5.3.3 and HPKI-CARD.md §2.
 */
export function psoComputeSignatureChained(block: Uint8Array): [Uint8Array, Uint8Array] {
  const half = Math.ceil(block.length / 2);
  if (half > 255) throw new RangeError('block too long for two chained commands');
  const first = block.subarray(0, half);
  const last = block.subarray(half);
  return [
    apdu([0x10, 0x2a, 0x9e, 0x9a, first.length], first),
    apdu([0x00, 0x2a, 0x9e, 0x9a, last.length], last, [0x00]),
  ];
}

/** The proprietary JPKI-style signing command: the card pads the DigestInfo itself. */
export function proprietarySign(digestInfo: Uint8Array): Uint8Array {
  return apdu([0x80, 0x2a, 0x00, 0x80, digestInfo.length], digestInfo, [0x00]);
}
