import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';
import { HpkiError } from '../../protocol/errors.js';
import type { PcscContext, PcscFactory, PcscReader } from './pcsclite-types.js';

/**
 * One short-lived PC/SC context: the reader list and each reader's first status, then closed. The
 * addon keeps a monitoring thread per context and per reader, so a context lives only as long as one
 * command needs it; otherwise the host could not exit promptly.
 */

export interface ReaderState {
  reader: PcscReader;
  cardPresent: boolean;
  atr: Uint8Array | undefined;
}

export interface OpenContext {
  readers: ReaderState[];
  close(): void;
}

const require = createRequire(import.meta.url);

export function loadPcscFactory(): PcscFactory {
  try {
    return require('pcsclite') as PcscFactory;
  } catch (err) {
    throw new HpkiError('ERR_HPKI_NO_READER', 'the PC/SC library (libpcsclite) could not be loaded', { cause: err });
  }
}

interface StartableContext extends PcscContext {
  start(cb: (err: Error | undefined, data: Buffer) => void): void;
}

function noService(err: unknown): HpkiError {
  const detail = err instanceof Error ? err.message : String(err);
  return new HpkiError('ERR_HPKI_NO_READER', `the PC/SC service (pcscd) is not running or not reachable (${detail})`, {
    cause: err,
  });
}

function firstStatus(reader: PcscReader, timeoutMs: number): Promise<ReaderState> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ reader, cardPresent: false, atr: undefined }), timeoutMs);
    reader.once('status', (status) => {
      clearTimeout(timer);
      const present =
        (status.state & reader.SCARD_STATE_PRESENT) !== 0 && (status.state & reader.SCARD_STATE_MUTE) === 0;
      resolve({ reader, cardPresent: present, atr: status.atr ? new Uint8Array(status.atr) : undefined });
    });
  });
}

export async function openPcscContext(factory: PcscFactory, timeoutMs = 3_000): Promise<OpenContext> {
  let context: StartableContext;
  try {
    context = factory() as StartableContext;
  } catch (err) {
    throw noService(err);
  }
  const seen: PcscReader[] = [];
  context.on('reader', (reader) => {
    reader.on('error', () => undefined);
    seen.push(reader);
  });
  const listed = new Promise<void>((resolve, reject) => {
    context.on('error', (err) => reject(noService(err)));
    // The addon delivers the reader list only through start()'s callback, which the module calls on
    // the next tick; wrap it to learn when the first list (possibly empty) has arrived.
    const start = context.start.bind(context);
    context.start = (cb) =>
      start((err, data) => {
        cb(err, data);
        if (err) reject(noService(err));
        else resolve();
      });
  });
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    for (const reader of seen) {
      reader.removeAllListeners('status');
      reader.close();
    }
    context.removeAllListeners();
    context.on('error', () => undefined);
    context.close();
  };
  try {
    await Promise.race([
      listed,
      sleep(timeoutMs).then(() => {
        throw new HpkiError('ERR_HPKI_NO_READER', 'the PC/SC service did not answer in time');
      }),
    ]);
    const readers = await Promise.all(seen.map((r) => firstStatus(r, timeoutMs)));
    return { readers, close };
  } catch (err) {
    close();
    throw err;
  }
}
