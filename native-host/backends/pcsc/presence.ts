import type { CardPresence } from '../../presence/index.js';
import { openCommandContext } from './command-context.js';
import { loadPcscLibrary, type PcscLibrary } from './library.js';
import { createStatusMonitor, type PresenceView, type StatusMonitor } from './status-monitor.js';

/**
 * Card presence over PC/SC, from the resource manager's reader states (never by talking to a card).
 * Every wait and watch of the process listens to one status monitor (status-monitor.ts), so they
 * hold at most one libuv pool thread together, and all of them end with SCardCancel.
 */

export interface PcscPresence extends CardPresence {
  /** The shared monitor (tests read how many blocking waits are pending). */
  monitor: StatusMonitor;
}

function serviceStopped(view: PresenceView): unknown {
  return 'error' in view ? view.error : undefined;
}

export function createPcscPresence(options: { library?: () => Promise<PcscLibrary> } = {}): PcscPresence {
  const library = options.library ?? loadPcscLibrary;
  const monitor = createStatusMonitor(library);

  return {
    monitor,

    async presentReaders() {
      const context = await openCommandContext(await library());
      try {
        return {
          readers: context.readers.length,
          names: context.readers.map((r) => r.name),
          withCard: context.readers.filter((r) => r.cardPresent).map((r) => r.name),
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
        let stop: (() => void) | undefined;
        let settled = false;
        const settle = (err?: unknown): void => {
          if (settled) return;
          settled = true;
          signal.removeEventListener('abort', onAbort);
          // Left on the next turn: the first view may arrive inside subscribe() itself.
          queueMicrotask(() => stop?.());
          if (err === undefined) resolve();
          else reject(err);
        };
        const onAbort = (): void => settle(signal.reason);
        signal.addEventListener('abort', onAbort, { once: true });
        stop = monitor.subscribe((view) => {
          const stopped = serviceStopped(view);
          // The service went away: waiting makes no sense any more; the caller says why.
          if (stopped !== undefined) settle(new Error('the PC/SC service stopped', { cause: stopped }));
          else if (!('error' in view) && view.withCard.length > 0) settle();
        });
      });
    },

    watchRemoval(reader, removed) {
      let fired = false;
      let stop: (() => void) | undefined;
      const fire = (): void => {
        if (fired) return;
        fired = true;
        queueMicrotask(() => stop?.());
        removed();
      };
      stop = monitor.subscribe((view) => {
        if ('error' in view || !view.withCard.includes(reader)) fire();
      });
      return () => {
        fired = true;
        stop?.();
      };
    },
  };
}
