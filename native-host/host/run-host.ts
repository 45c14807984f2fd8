import type { Readable, Writable } from 'node:stream';
import { HpkiError } from '../../protocol/errors.js';
import type { Backend, HostResponse } from '../../protocol/messages.js';
import type { CardBackend } from '../card/index.js';
import { createSeenCertificates } from '../commands/index.js';
import type { CardPresence } from '../presence/index.js';
import { dispatch, type SessionContext } from './dispatcher.js';
import { createFrameDecoder, encodeFrame } from './framing.js';
import { writeHello } from './hello.js';

/**
 * The native messaging host's loop (PROTOCOL.md §2): hello first, then requests answered in order,
 * one at a time, until stdin closes. The backend is created on the first request so the hello goes
 * out as soon as Node has started.
 */

export interface HostOptions {
  input: Readable;
  output: Writable;
  backendName: Backend;
  createBackend: () => Promise<CardBackend>;
  /** Card presence for `find-cards` and `watch-card` (none: those do not wait or watch). */
  createPresence?: () => Promise<CardPresence | undefined>;
  version: string;
  /** Diagnostics (stderr in production): never receives message contents. */
  log?: (line: string) => void;
  /** True when the caller has already written the hello frame (see hello.ts). */
  helloSent?: boolean;
}

/** Resolves with the process exit code: 0 after a clean EOF, 1 after an unrecoverable frame or a frame cut off by EOF. */
export function runHost(options: HostOptions): Promise<number> {
  const { input, output } = options;
  const decoder = createFrameDecoder();
  let backend: Promise<CardBackend> | undefined;
  let chain: Promise<void> = Promise.resolve();
  const seen = createSeenCertificates();
  let finished = false;
  /** An oversized frame was read: its answer closes the host once the requests before it are answered. */
  let closing = false;

  const ended = new AbortController();
  let presence: Promise<CardPresence | undefined> | undefined;
  let stopWatch: (() => void) | undefined;
  const session: SessionContext = {
    emit(event, forRequest) {
      if (finished) return;
      output.write(encodeFrame(forRequest === undefined ? { event } : { id: forRequest, event }));
    },
    presence() {
      presence ??= (options.createPresence?.() ?? Promise.resolve(undefined)).catch(() => undefined);
      return presence;
    },
    setWatch(stop) {
      stopWatch?.();
      stopWatch = stop;
    },
    signal: ended.signal,
  };

  const write = (message: HostResponse): void => {
    let frame: Uint8Array;
    try {
      frame = encodeFrame(message);
    } catch {
      frame = encodeFrame({ id: message.id, error: new HpkiError('ERR_HPKI_INTERNAL', 'response too large').toWire() });
    }
    output.write(frame);
  };

  const getBackend = (): Promise<CardBackend> => {
    backend ??= options.createBackend().catch((err: unknown) => {
      backend = undefined; // a later request may find the service started
      throw err;
    });
    return backend;
  };

  return new Promise<number>((resolve) => {
    const finish = (code: number): void => {
      if (finished) return;
      finished = true;
      ended.abort();
      session.setWatch(undefined);
      input.removeAllListeners('data');
      input.pause();
      // Let a command that is still talking to the card end (it resets the card), but not for long.
      const settle = Promise.race([chain, new Promise((r) => setTimeout(r, 500))]);
      void settle
        .then(() => backend?.then((b) => b.close()).catch(() => undefined))
        .then(() => output.write(new Uint8Array(0), () => resolve(code)));
    };

    if (!options.helloSent) writeHello(output, options.backendName, options.version);

    input.on('data', (chunk: Buffer) => {
      const frames = decoder.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
      // The decoder has its own copy: the chunk (which may hold a PIN) is wiped at once.
      chunk.fill(0);
      for (const frame of frames) {
        if (frame.kind === 'oversized') {
          options.log?.(`frame of ${frame.length} bytes exceeds the limit; closing`);
          // Nothing after it can be read in step: stop reading, answer the requests before it, then it.
          closing = true;
          input.removeAllListeners('data');
          input.pause();
          const tooLarge = new HpkiError('ERR_HPKI_INVALID_ARGUMENT', 'message too large').toWire();
          chain = chain.then(() => {
            if (!finished) write({ id: null, error: tooLarge });
            finish(1);
          });
          return;
        }
        // Every answer goes through the chain, so answers leave in the order their frames came.
        const answer =
          frame.kind === 'malformed'
            ? async (): Promise<HostResponse> => ({
                id: null,
                error: new HpkiError('ERR_HPKI_INVALID_ARGUMENT', frame.reason).toWire(),
              })
            : (): Promise<HostResponse> => dispatch(frame.value, getBackend, { seen, session, log: options.log });
        chain = chain.then(async () => {
          if (!finished) write(await answer());
        });
      }
    });
    input.once('end', () => {
      if (closing) return;
      // A frame cut off by the end of input has no id to answer and nobody left to read it: exit non-zero.
      if (decoder.pending() > 0) options.log?.(`input ended inside a frame (${decoder.pending()} bytes); closing`);
      finish(decoder.pending() > 0 ? 1 : 0);
    });
    input.once('error', () => finish(1));
    output.once('error', () => finish(1));
  });
}
