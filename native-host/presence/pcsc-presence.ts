import { loadPcscFactory, openPcscContext } from '../transport/pcsc-context.js';
import type { PcscContext, PcscFactory, PcscReader } from '../transport/pcsclite-types.js';
import type { CardPresence } from './card-presence.js';

/**
 * Card presence over PC/SC: a context of its own for each wait or watch, listening to the readers'
 * status events, closed as soon as the wait or watch ends (the addon keeps a thread per context and
 * per reader, so none outlives its use).
 */

function cardIn(reader: PcscReader, state: number): boolean {
  return (state & reader.SCARD_STATE_PRESENT) !== 0 && (state & reader.SCARD_STATE_MUTE) === 0;
}

interface Watched {
  context: PcscContext;
  readers: PcscReader[];
  close(): void;
}

function openWatched(factory: PcscFactory, onReader: (reader: PcscReader) => void, onError: () => void): Watched {
  const context = factory();
  const readers: PcscReader[] = [];
  let closed = false;
  context.on('error', () => {
    if (!closed) onError();
  });
  context.on('reader', (reader) => {
    reader.on('error', () => undefined);
    readers.push(reader);
    if (!closed) onReader(reader);
  });
  return {
    context,
    readers,
    close() {
      if (closed) return;
      closed = true;
      for (const reader of readers) {
        reader.removeAllListeners('status');
        reader.removeAllListeners('end');
        reader.close();
      }
      context.removeAllListeners();
      context.on('error', () => undefined);
      context.close();
    },
  };
}

export function createPcscPresence(options: { factory?: PcscFactory } = {}): CardPresence {
  let factory = options.factory;
  const contextFactory = (): PcscFactory => (factory ??= loadPcscFactory());

  return {
    async presentReaders() {
      const context = await openPcscContext(contextFactory());
      try {
        return {
          readers: context.readers.length,
          names: context.readers.map((r) => r.reader.name),
          withCard: context.readers.filter((r) => r.cardPresent).map((r) => r.reader.name),
        };
      } finally {
        context.close();
      }
    },

    waitForCard(signal) {
      return new Promise<void>((resolve, reject) => {
        if (signal.aborted) {
          reject(signal.reason);
          return;
        }
        let watched: Watched | undefined;
        const done = (err?: unknown): void => {
          signal.removeEventListener('abort', onAbort);
          // Closed on the next turn: the addon must not be closed from inside its own callback.
          const w = watched;
          setTimeout(() => w?.close(), 0);
          if (err === undefined) resolve();
          else reject(err);
        };
        const onAbort = (): void => done(signal.reason);
        signal.addEventListener('abort', onAbort, { once: true });
        let settled = false;
        const once = (err?: unknown): void => {
          if (settled) return;
          settled = true;
          done(err);
        };
        try {
          watched = openWatched(
            contextFactory(),
            (reader) =>
              reader.on('status', (status) => {
                if (cardIn(reader, status.state)) once();
              }),
            // The service went away: waiting makes no sense any more; the caller says why.
            () => once(new Error('the PC/SC service stopped')),
          );
        } catch (err) {
          once(err);
        }
      });
    },

    watchRemoval(readerName, removed) {
      let fired = false;
      let watched: Watched | undefined;
      const stop = (): void => {
        const w = watched;
        watched = undefined;
        setTimeout(() => w?.close(), 0);
      };
      const fire = (): void => {
        if (fired) return;
        fired = true;
        stop();
        removed();
      };
      try {
        watched = openWatched(
          contextFactory(),
          (reader) => {
            if (reader.name !== readerName) return;
            reader.on('status', (status) => {
              if (!cardIn(reader, status.state)) fire();
            });
            reader.on('end', fire);
          },
          fire,
        );
      } catch {
        fire();
      }
      return () => {
        fired = true;
        stop();
      };
    },
  };
}
