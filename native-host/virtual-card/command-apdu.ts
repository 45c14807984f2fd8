import { SW } from './status-words.js';

/**
 * Command APDU parsing (ISO/IEC 7816-4 §5.1): the four cases in short and extended form. Anything
 * that is not exactly one of them is a wrong length, answered 6700 by the card.
 */

export interface CommandApdu {
  cla: number;
  ins: number;
  p1: number;
  p2: number;
  /** The command data field (Nc bytes, possibly empty). */
  data: Uint8Array;
  /** Ne: the most response bytes the host accepts; undefined when there is no Le field. */
  ne: number | undefined;
  /** True when Le was all zeros: "as many as available", no warning when fewer come back. */
  neIsMaximum: boolean;
}

export type ParsedCommand = { ok: true; command: CommandApdu } | { ok: false; sw: number };

const wrongLength: ParsedCommand = { ok: false, sw: SW.WRONG_LENGTH };

export function parseCommandApdu(bytes: Uint8Array): ParsedCommand {
  if (bytes.length < 4) return wrongLength;
  const header = { cla: bytes[0]!, ins: bytes[1]!, p1: bytes[2]!, p2: bytes[3]! };
  const body = bytes.subarray(4);
  const make = (data: Uint8Array, le: number | undefined, max: number): ParsedCommand => ({
    ok: true,
    command: { ...header, data, ne: le === undefined ? undefined : le === 0 ? max : le, neIsMaximum: le === 0 },
  });
  if (body.length === 0) return make(body, undefined, 0);
  if (body.length === 1) return make(new Uint8Array(0), body[0]!, 256);
  if (body[0] !== 0) {
    const lc = body[0]!;
    if (body.length === 1 + lc) return make(body.subarray(1), undefined, 0);
    if (body.length === 2 + lc) return make(body.subarray(1, 1 + lc), body[1 + lc]!, 256);
    return wrongLength;
  }
  // Extended: a zero byte, then two-byte Lc and/or Le.
  if (body.length === 3) return make(new Uint8Array(0), (body[1]! << 8) | body[2]!, 65536);
  if (body.length < 3) return wrongLength;
  const lc = (body[1]! << 8) | body[2]!;
  if (lc === 0) return wrongLength;
  if (body.length === 3 + lc) return make(body.subarray(3), undefined, 0);
  if (body.length === 5 + lc) return make(body.subarray(3, 3 + lc), (body[3 + lc]! << 8) | body[4 + lc]!, 65536);
  return wrongLength;
}

/**
 * Whether a command is in the extended form (a zero byte, then two-byte Lc and/or Le): what a card
 * without extended length answers 6700.
 */
export function isExtendedLength(bytes: Uint8Array): boolean {
  return bytes.length >= 7 && bytes[4] === 0;
}
