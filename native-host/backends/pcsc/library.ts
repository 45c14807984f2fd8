import { HpkiError } from '../../../protocol/errors.js';
import { SCARD_SCOPE_SYSTEM } from './constants.js';
import { PcscError } from './error-codes.js';
import { layoutFor, type PcscLayout } from './layout.js';
import {
  charSize,
  decodeMultiString,
  decodeReaderStates,
  encodeIoRequest,
  encodeName,
  encodeReaderStates,
  type ReaderStateIn,
  type ReaderStateOut,
} from './reader-states.js';

/**
 * The PC/SC API through koffi (a prebuilt FFI: no compiler anywhere), on the system's own library:
 * winscard.dll, PCSC.framework or libpcsclite.so.1. Every byte layout comes from layout.ts.
 *
 * Calls that may wait on a card or on a change (connect, transmit, disconnect, status changes) run
 * on a libuv pool thread (koffi's `.async`), so the host keeps answering meanwhile; the quick calls
 * to the resource manager (contexts, reader lists, cancel) run on the main thread. A pool thread is
 * held for the whole of a blocking call: see status-monitor.ts for how waits share one.
 */

/** SCARDCONTEXT or SCARDHANDLE, as the library handed it out (a bigint only if it does not fit a number). */
export type PcscHandle = number | bigint;

export interface PcscLibrary {
  readonly layout: PcscLayout;
  establishContext(): PcscHandle;
  releaseContext(context: PcscHandle): void;
  /** Reader names; none when the service says there are no readers. */
  listReaders(context: PcscHandle): string[];
  /**
   * SCardGetStatusChange on a pool thread: resolves with each reader's new state when one differs
   * from `currentState`, or when `timeoutMs` passes (then each `eventState` is the current one).
   */
  getStatusChange(context: PcscHandle, states: ReaderStateIn[], timeoutMs: number): Promise<ReaderStateOut[]>;
  /** Ends a pending getStatusChange on `context` (it rejects with SCARD_E_CANCELLED). */
  cancel(context: PcscHandle): void;
  connect(
    context: PcscHandle,
    reader: string,
    shareMode: number,
    protocols: number,
  ): Promise<{ card: PcscHandle; protocol: number }>;
  /** Sends `command` (the buffer is not copied: the caller may wipe it afterwards). */
  transmit(card: PcscHandle, protocol: number, command: Buffer, maxResponse: number): Promise<Uint8Array>;
  disconnect(card: PcscHandle, disposition: number): Promise<void>;
}

type Koffi = typeof import('koffi').default;
type Native = ((...args: unknown[]) => unknown) & {
  async: (...args: unknown[]) => void;
};

const SUCCESS = 0;

function check(fn: string, returned: unknown): void {
  const value = typeof returned === 'bigint' ? returned : BigInt(Number(returned));
  if (value !== BigInt(SUCCESS)) throw new PcscError(fn, value);
}

function callAsync(fn: string, native: Native, args: unknown[]): Promise<void> {
  return new Promise((resolve, reject) => {
    native.async(...args, (err: unknown, returned: unknown) => {
      if (err) reject(err instanceof Error ? err : new Error(String(err)));
      else {
        try {
          check(fn, returned);
          resolve();
        } catch (e) {
          reject(e);
        }
      }
    });
  });
}

interface Natives {
  establish: Native;
  release: Native;
  list: Native;
  statusChange: Native;
  cancel: Native;
  connect: Native;
  transmit: Native;
  disconnect: Native;
}

function declare(koffi: Koffi, layout: PcscLayout): Natives {
  const lib = koffi.load(layout.library);
  const { long, handle } = layout;
  const dword = layout.dword.type;
  const fn = (name: string, args: (string | ReturnType<Koffi['out']>)[]): Native =>
    lib.func(name, long, args) as unknown as Native;
  const outHandle = koffi.out(koffi.pointer(handle));
  const outDword = koffi.out(koffi.pointer(dword));
  const inoutDword = koffi.inout(koffi.pointer(dword));
  return {
    establish: fn('SCardEstablishContext', [dword, 'void *', 'void *', outHandle]),
    release: fn('SCardReleaseContext', [handle]),
    list: fn(layout.entry.listReaders, [handle, 'void *', 'void *', inoutDword]),
    statusChange: fn(layout.entry.getStatusChange, [handle, dword, 'void *', dword]),
    cancel: fn('SCardCancel', [handle]),
    connect: fn(layout.entry.connect, [handle, 'void *', dword, dword, outHandle, outDword]),
    transmit: fn('SCardTransmit', [handle, 'void *', 'void *', dword, 'void *', 'void *', inoutDword]),
    disconnect: fn('SCardDisconnect', [handle, dword]),
  };
}

const NO_READERS = 0x8010002e;

function bind(koffi: Koffi, layout: PcscLayout): PcscLibrary {
  const n = declare(koffi, layout);
  return {
    layout,
    establishContext() {
      const out: PcscHandle[] = [0];
      check('SCardEstablishContext', n.establish(SCARD_SCOPE_SYSTEM, null, null, out));
      return out[0]!;
    },
    releaseContext(context) {
      check('SCardReleaseContext', n.release(context));
    },
    listReaders(context) {
      const length = [0];
      try {
        check('SCardListReaders', n.list(context, null, null, length));
        const bytes = Buffer.alloc(Number(length[0]) * charSize(layout));
        check('SCardListReaders', n.list(context, null, bytes, length));
        return decodeMultiString(layout, bytes, Number(length[0]));
      } catch (err) {
        if (err instanceof PcscError && err.code === NO_READERS) return [];
        throw err;
      }
    },
    async getStatusChange(context, states, timeoutMs) {
      const names = states.map((s) => encodeName(layout, s.reader));
      const buffer = encodeReaderStates(
        layout,
        states,
        names.map((name) => koffi.address(name)),
      );
      // `names` stays referenced until the call has returned: szReader points into them.
      await callAsync('SCardGetStatusChange', n.statusChange, [context, timeoutMs, buffer, states.length]);
      void names;
      return decodeReaderStates(layout, buffer, states);
    },
    cancel(context) {
      check('SCardCancel', n.cancel(context));
    },
    async connect(context, reader, shareMode, protocols) {
      const card: PcscHandle[] = [0];
      const protocol = [0];
      await callAsync('SCardConnect', n.connect, [
        context,
        encodeName(layout, reader),
        shareMode,
        protocols,
        card,
        protocol,
      ]);
      return { card: card[0]!, protocol: Number(protocol[0]) };
    },
    async transmit(card, protocol, command, maxResponse) {
      const response = Buffer.alloc(maxResponse);
      const length = [maxResponse];
      try {
        await callAsync('SCardTransmit', n.transmit, [
          card,
          encodeIoRequest(layout, protocol),
          command,
          command.length,
          null,
          response,
          length,
        ]);
        return new Uint8Array(response.subarray(0, Math.min(Number(length[0]), maxResponse)));
      } finally {
        // The card's answer may hold what the host must not keep (nothing secret today; cheap to wipe).
        response.fill(0);
      }
    },
    disconnect(card, disposition) {
      return callAsync('SCardDisconnect', n.disconnect, [card, disposition]);
    },
  };
}

let loaded: Promise<PcscLibrary> | undefined;

/**
 * The system's PC/SC library, loaded once per process. Fails with ERR_HPKI_NO_READER (saying why)
 * when this system has no binding, or koffi or the library cannot be loaded.
 */
export function loadPcscLibrary(): Promise<PcscLibrary> {
  loaded ??= (async () => {
    const layout = layoutFor(process.platform, process.arch);
    if (layout === undefined)
      throw new HpkiError('ERR_HPKI_NO_READER', `no PC/SC binding for ${process.platform}-${process.arch}`);
    try {
      const koffi = (await import('koffi')).default;
      return bind(koffi, layout);
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      throw new HpkiError(
        'ERR_HPKI_NO_READER',
        `the PC/SC library (${layout.library}) could not be loaded: ${detail}`,
        {
          cause: err,
        },
      );
    }
  })();
  loaded.catch(() => {
    loaded = undefined;
  });
  return loaded;
}
