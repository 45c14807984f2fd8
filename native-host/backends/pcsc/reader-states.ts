import type { PcscLayout } from './layout.js';

/**
 * SCARD_READERSTATE arrays and reader-name strings in the byte layout of one system (layout.ts),
 * written into and read from plain buffers: what the FFI passes to SCardGetStatusChange, and what it
 * gets back from SCardListReaders. Pure, so the unit tests check it on every system's layout.
 */

/** One reader to wait on: its name, and the state the caller believes it is in. */
export interface ReaderStateIn {
  reader: string;
  currentState: number;
}

/** What SCardGetStatusChange says about one reader. */
export interface ReaderStateOut {
  reader: string;
  eventState: number;
  atr: Uint8Array;
}

/** A NUL-terminated reader name in the system's text encoding. */
export function encodeName(layout: PcscLayout, name: string): Buffer {
  return Buffer.from(`${name}\0`, layout.text);
}

/** The bytes per character of the system's reader names. */
export function charSize(layout: PcscLayout): 1 | 2 {
  return layout.text === 'utf16le' ? 2 : 1;
}

/** A multi-string (names each ended by NUL, the list by one more NUL) of `chars` characters. */
export function decodeMultiString(layout: PcscLayout, bytes: Uint8Array, chars: number): string[] {
  const used = Math.max(0, Math.min(bytes.length, chars * charSize(layout)));
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, used).toString(layout.text);
  return text.split('\0').filter((name) => name.length > 0);
}

function writeDword(layout: PcscLayout, buffer: Buffer, offset: number, value: number): void {
  if (layout.dword.size === 8) buffer.writeBigUInt64LE(BigInt(value), offset);
  else buffer.writeUInt32LE(value >>> 0, offset);
}

function readDword(layout: PcscLayout, buffer: Buffer, offset: number): number {
  // The flags and lengths fit in 32 bits; pcsc-lite's upper half carries nothing.
  return layout.dword.size === 8 ? Number(buffer.readBigUInt64LE(offset) & 0xffff_ffffn) : buffer.readUInt32LE(offset);
}

/**
 * The array for `states`, each szReader pointing at `nameAddresses[i]` (memory the caller keeps
 * alive until the call has returned).
 */
export function encodeReaderStates(layout: PcscLayout, states: ReaderStateIn[], nameAddresses: bigint[]): Buffer {
  const rs = layout.readerState;
  const buffer = Buffer.alloc(rs.size * states.length);
  states.forEach((state, i) => {
    const base = i * rs.size;
    buffer.writeBigUInt64LE(nameAddresses[i] ?? 0n, base);
    writeDword(layout, buffer, base + rs.currentState, state.currentState);
  });
  return buffer;
}

export function decodeReaderStates(layout: PcscLayout, buffer: Buffer, states: ReaderStateIn[]): ReaderStateOut[] {
  const rs = layout.readerState;
  return states.map((state, i) => {
    const base = i * rs.size;
    const atrLength = Math.min(readDword(layout, buffer, base + rs.atrLength), rs.atrCapacity);
    return {
      reader: state.reader,
      eventState: readDword(layout, buffer, base + rs.eventState),
      atr: new Uint8Array(buffer.subarray(base + rs.atr, base + rs.atr + atrLength)),
    };
  });
}

/** SCARD_IO_REQUEST for `protocol`: { dwProtocol, cbPciLength = its own size }. */
export function encodeIoRequest(layout: PcscLayout, protocol: number): Buffer {
  const buffer = Buffer.alloc(layout.ioRequestSize);
  writeDword(layout, buffer, 0, protocol);
  writeDword(layout, buffer, layout.dword.size, layout.ioRequestSize);
  return buffer;
}
