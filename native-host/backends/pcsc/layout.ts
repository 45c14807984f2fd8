/**
 * How PC/SC looks in memory on each system the host runs on (64-bit only: x64 and arm64). The FFI
 * binding reads these tables and nothing else, so every difference between the systems is here:
 * docs/pcsc.md cites the headers each value comes from, and test/unit/native-host/backends/pcsc-layout.test.ts checks the
 * Linux and macOS values against pcsc-lite's installed headers.
 *
 * - Linux (pcsc-lite): DWORD and LONG are C `unsigned long`/`long` (8 bytes), SCARDCONTEXT and
 *   SCARDHANDLE are LONG; SCARD_READERSTATE has natural alignment.
 * - macOS (PCSC.framework): DWORD and LONG are 32-bit, SCARDCONTEXT/SCARDHANDLE are int32_t, and
 *   SCARD_READERSTATE is `#pragma pack(1)`.
 * - Windows (winscard.dll): DWORD and LONG are 32-bit, SCARDCONTEXT/SCARDHANDLE are ULONG_PTR (8
 *   bytes); the string functions come as A/W pairs and the host uses the W (UTF-16) ones; the ATR
 *   field of SCARD_READERSTATEW is 36 bytes.
 */

export type PcscOs = 'linux' | 'darwin' | 'win32';

/** A C integer as the FFI declares it: koffi's fixed-width type names. */
export type IntegerType = 'int32' | 'int64' | 'uint32' | 'uint64';

export interface ReaderStateLayout {
  /** sizeof(SCARD_READERSTATE): the stride of an array of them. */
  size: number;
  /** Offsets of the fields the host writes or reads (szReader is at 0, pvUserData at 8). */
  currentState: number;
  eventState: number;
  atrLength: number;
  atr: number;
  /** Bytes of rgbAtr. */
  atrCapacity: number;
}

export interface PcscLayout {
  os: PcscOs;
  /** What koffi.load() opens. */
  library: string;
  /** DWORD: sizes, flags, timeouts, protocol numbers. */
  dword: { type: IntegerType; size: 4 | 8 };
  /** LONG: every function's return code. */
  long: IntegerType;
  /** SCARDCONTEXT and SCARDHANDLE. */
  handle: IntegerType;
  /** How reader names travel: UTF-8 (char) or UTF-16LE (WCHAR, the W entry points). */
  text: 'utf8' | 'utf16le';
  /** Entry points: the W variants on Windows, the plain names elsewhere. */
  entry: {
    listReaders: string;
    getStatusChange: string;
    connect: string;
  };
  readerState: ReaderStateLayout;
  /** sizeof(SCARD_IO_REQUEST): two DWORDs. */
  ioRequestSize: number;
  /**
   * Whether SCardGetStatusChange understands the `\\?PnP?\Notification` pseudo-reader (told when a
   * reader comes or goes). Where it does not, a wait wakes up every second to list readers again.
   */
  pnpNotification: boolean;
  /**
   * Whether the resource manager stops while no reader is plugged in (Windows 8 and later start
   * SCardSvr when a reader arrives): "no service" then means "no reader yet", and a wait for a card
   * keeps waiting instead of failing.
   */
  serviceStopsWithoutReaders: boolean;
}

const POINTER = 8;

/** Natural alignment: each DWORD at a multiple of its size, the whole padded to the largest member. */
function alignedReaderState(dword: number, atrCapacity: number): ReaderStateLayout {
  const currentState = 2 * POINTER;
  const atr = currentState + 3 * dword;
  const end = atr + atrCapacity;
  return {
    size: Math.ceil(end / POINTER) * POINTER,
    currentState,
    eventState: currentState + dword,
    atrLength: currentState + 2 * dword,
    atr,
    atrCapacity,
  };
}

export const PCSC_LAYOUTS: Readonly<Record<PcscOs, PcscLayout>> = {
  linux: {
    os: 'linux',
    library: 'libpcsclite.so.1',
    dword: { type: 'uint64', size: 8 },
    long: 'int64',
    handle: 'int64',
    text: 'utf8',
    entry: { listReaders: 'SCardListReaders', getStatusChange: 'SCardGetStatusChange', connect: 'SCardConnect' },
    readerState: alignedReaderState(8, 33),
    ioRequestSize: 16,
    pnpNotification: true,
    serviceStopsWithoutReaders: false,
  },
  darwin: {
    os: 'darwin',
    library: '/System/Library/Frameworks/PCSC.framework/PCSC',
    dword: { type: 'uint32', size: 4 },
    long: 'int32',
    handle: 'int32',
    text: 'utf8',
    entry: { listReaders: 'SCardListReaders', getStatusChange: 'SCardGetStatusChange', connect: 'SCardConnect' },
    // #pragma pack(1): 8 + 8 + 4 + 4 + 4 + 33, no padding anywhere.
    readerState: { size: 61, currentState: 16, eventState: 20, atrLength: 24, atr: 28, atrCapacity: 33 },
    ioRequestSize: 8,
    pnpNotification: false,
    serviceStopsWithoutReaders: false,
  },
  win32: {
    os: 'win32',
    library: 'winscard.dll',
    dword: { type: 'uint32', size: 4 },
    long: 'int32',
    handle: 'uint64',
    text: 'utf16le',
    entry: { listReaders: 'SCardListReadersW', getStatusChange: 'SCardGetStatusChangeW', connect: 'SCardConnectW' },
    readerState: alignedReaderState(4, 36),
    ioRequestSize: 8,
    pnpNotification: true,
    serviceStopsWithoutReaders: true,
  },
};

export function isPcscOs(value: string): value is PcscOs {
  return value === 'linux' || value === 'darwin' || value === 'win32';
}

/** The layout of the system this process runs on; undefined where the host has no PC/SC binding. */
export function layoutFor(platform: string, arch: string): PcscLayout | undefined {
  if (!isPcscOs(platform) || (arch !== 'x64' && arch !== 'arm64')) return undefined;
  return PCSC_LAYOUTS[platform];
}
