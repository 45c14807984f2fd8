import { HpkiError } from '../../protocol/errors.js';
import { type ApduTransport, ReaderRefusedError } from '../transport/index.js';
import {
  parseResponse,
  type ReadAddress,
  type ResponseApdu,
  readBinaryExtended,
  readBinaryShort,
  selectEf,
} from './apdu.js';
import { READ_BLOCK } from './constants.js';
import { describeStatusWord, meansExtendedLengthRefused, SHORT_EF_FALLBACK_STATUS, SW } from './status-words.js';

/**
 * Reading transparent EFs in as few APDUs as the card and the reader allow (HPKI-CARD.md §2):
 *
 * - the first READ BINARY of an EF names it by its short EF identifier (P1 = 80|SFI, the FIDs
 *   0001–001E doubling as SFIs, as EF.OD's `00 B0 91 00 00` does on the real card), which selects
 *   and reads in one command; a card that refuses that addressing gets SELECT EF + READ BINARY;
 * - more than 256 bytes are asked for with an extended Le; a card that answers 6700/6Cxx, or a
 *   reader that will not carry the command, gets 256-byte short reads.
 *
 * What worked is kept in `ReadModes`, which the backend holds per reader for the whole host process,
 * so a fallback costs its extra APDU once per session, not once per file.
 */

export interface ReadModes {
  /** Extended-length commands work with this card and reader; undefined until first tried. */
  extended: boolean | undefined;
  /** READ BINARY by short EF identifier works on this card; undefined until first tried. */
  shortEfId: boolean | undefined;
}

export function newReadModes(): ReadModes {
  return { extended: undefined, shortEfId: undefined };
}

/** The most an extended READ BINARY asks for: fits the PC/SC transport's 4 kB response buffer. */
export const EXTENDED_READ_MAX = 4096;
/** Short EF identifiers are five bits; 0 and 1F are reserved. */
const MAX_SHORT_EF_ID = 0x1e;

/** A READ BINARY response with the Le that was actually sent (short or extended). */
export interface ReadResponse extends ResponseApdu {
  asked: number;
}

export interface FileReader {
  /**
   * The first bytes of an EF, reading at most `want` bytes (fewer where the file ends): one APDU
   * whenever the card allows. Undefined when the EF cannot be selected.
   */
  readStart(fid: number, want: number): Promise<ReadResponse | undefined>;
  /** One more READ BINARY of the current EF at `offset`, asking for `want` bytes. */
  readAt(offset: number, want: number): Promise<ReadResponse>;
}

function cardError(step: string, sw: number): HpkiError {
  return new HpkiError('ERR_HPKI_INTERNAL', `card refused ${step}: ${describeStatusWord(sw)}`);
}

export function createFileReader(transport: ApduTransport, modes: ReadModes): FileReader {
  const send = async (command: Uint8Array): Promise<ResponseApdu> => parseResponse(await transport.transmit(command));

  /** One READ BINARY in the longest form that works; falls back to short (and remembers it) once. */
  async function read(address: ReadAddress, want: number): Promise<ReadResponse> {
    if (want > READ_BLOCK && modes.extended !== false) {
      const asked = Math.min(want, EXTENDED_READ_MAX);
      let r: ResponseApdu | undefined;
      try {
        r = await send(readBinaryExtended(address, asked));
      } catch (err) {
        if (!(err instanceof ReaderRefusedError)) throw err;
      }
      if (r !== undefined && !meansExtendedLengthRefused(r.sw)) {
        if (r.sw === SW.OK || r.sw === SW.END_OF_FILE) modes.extended = true;
        return { ...r, asked };
      }
      modes.extended = false;
    }
    const asked = Math.min(want, READ_BLOCK);
    return { ...(await send(readBinaryShort(address, asked))), asked };
  }

  return {
    async readStart(fid, want) {
      if (fid >= 1 && fid <= MAX_SHORT_EF_ID && modes.shortEfId !== false) {
        const r = await read({ shortEfId: fid }, want);
        if (!SHORT_EF_FALLBACK_STATUS.has(r.sw)) {
          if (r.sw === SW.OK || r.sw === SW.END_OF_FILE) modes.shortEfId = true;
          return r;
        }
      }
      const selected = await send(selectEf(fid));
      if (selected.sw !== SW.OK) return undefined;
      // The EF exists and SELECT found it: the card does not take it by short EF identifier.
      if (fid <= MAX_SHORT_EF_ID && modes.shortEfId === undefined) modes.shortEfId = false;
      return read({ offset: 0 }, want);
    },
    readAt: (offset, want) => read({ offset }, want),
  };
}

/** Length of a DER object from its first bytes (tag + definite length), or undefined. */
function derTotalLength(header: Uint8Array): number | undefined {
  if (header.length < 2 || header[0] !== 0x30) return undefined;
  const first = header[1]!;
  if (first < 0x80) return 2 + first;
  const count = first & 0x7f;
  if (count < 1 || count > 2 || header.length < 2 + count) return undefined;
  let length = 0;
  for (let i = 0; i < count; i++) length = (length << 8) | header[2 + i]!;
  return 2 + count + length;
}

const readOk = (r: ReadResponse): boolean => (r.sw === SW.OK || r.sw === SW.END_OF_FILE) && r.data.length > 0;

/** Fills `out` from `offset` on with further reads of the current EF. */
async function readRest(reader: FileReader, out: Uint8Array, offset: number, what: string): Promise<void> {
  for (let at = offset; at < out.length; ) {
    const block = await reader.readAt(at, out.length - at);
    if (!readOk(block)) throw cardError(`READ BINARY ${what}`, block.sw);
    out.set(block.data.subarray(0, out.length - at), at);
    at += block.data.length;
    if (block.sw === SW.END_OF_FILE && at < out.length) throw cardError(`READ BINARY ${what}`, block.sw);
  }
}

/**
 * A whole DER-encoded EF (a certificate). The first read carries the DER header, so the total length
 * is known without a separate header read; with extended length the first read is usually all.
 */
export async function readDerFile(
  reader: FileReader,
  fid: number,
  what: string,
  maxLength: number,
): Promise<Uint8Array> {
  const head = await reader.readStart(fid, maxLength);
  if (head === undefined) throw new HpkiError('ERR_HPKI_INTERNAL', `card refused SELECT ${what}`);
  if (!readOk(head) || head.data.length < 4) throw cardError(`READ BINARY ${what}`, head.sw);
  const total = derTotalLength(head.data);
  if (total === undefined || total > maxLength || (head.sw === SW.END_OF_FILE && head.data.length < total)) {
    throw new HpkiError('ERR_HPKI_INTERNAL', `${what} on the card is not a DER object of a sensible size`);
  }
  const out = new Uint8Array(total);
  const first = Math.min(head.data.length, total);
  out.set(head.data.subarray(0, first));
  await readRest(reader, out, first, what);
  return out;
}

/** The first `length` bytes of an EF (a certificate's identity), in as few reads as the card allows. */
export async function readFilePrefix(
  reader: FileReader,
  fid: number,
  length: number,
  what: string,
): Promise<Uint8Array> {
  const head = await reader.readStart(fid, length);
  if (head === undefined) throw new HpkiError('ERR_HPKI_INTERNAL', `card refused SELECT ${what}`);
  if (!readOk(head)) throw cardError(`READ BINARY ${what}`, head.sw);
  const out = new Uint8Array(length);
  const first = Math.min(head.data.length, length);
  out.set(head.data.subarray(0, first));
  if (first < length && head.sw === SW.END_OF_FILE) return out.subarray(0, first);
  await readRest(reader, out, first, what);
  return out;
}

/** A raw file (the CDF), up to `maxLength` bytes or until the card says end of file; undefined when unreadable. */
export async function readRawFile(reader: FileReader, fid: number, maxLength: number): Promise<Uint8Array | undefined> {
  let block = await reader.readStart(fid, maxLength);
  const chunks: Uint8Array[] = [];
  let length = 0;
  while (block !== undefined && readOk(block)) {
    const taken = block.data.subarray(0, maxLength - length);
    chunks.push(taken);
    length += taken.length;
    if (block.sw === SW.END_OF_FILE || length >= maxLength || block.data.length < block.asked) break;
    block = await reader.readAt(length, maxLength - length);
  }
  if (chunks.length === 0) return undefined;
  const out = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}
