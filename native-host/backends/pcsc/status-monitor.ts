import { setTimeout as sleep } from 'node:timers/promises';
import { cardInState, INFINITE, PNP_NOTIFICATION, SCARD_STATE_CHANGED, SCARD_STATE_UNAWARE } from './constants.js';
import { pcscKind } from './error-codes.js';
import type { PcscHandle, PcscLibrary } from './library.js';
import type { ReaderStateIn, ReaderStateOut } from './reader-states.js';

/**
 * Every wait for a card change in one process shares ONE blocking SCardGetStatusChange, on a context
 * of its own: a blocking FFI call holds a libuv pool thread for as long as it waits (4 threads by
 * default, shared with file and crypto work), so any number of waits and watches costs one thread,
 * and commands never starve. The wait starts with the first subscriber and is cancelled
 * (SCardCancel) when the last one leaves, e.g. when stdin closes; a process whose waits are all
 * cancelled can exit at once.
 */

/** Readers that hold a card, as the resource manager last said; `error` when it cannot be asked. */
export type PresenceView = { readers: string[]; withCard: string[] } | { error: unknown };

export interface StatusMonitor {
  /** Calls `listener` with the current view as soon as there is one, then on every change. */
  subscribe(listener: (view: PresenceView) => void): () => void;
  /** How many SCardGetStatusChange calls are pending now (0 or 1). */
  pendingWaits(): number;
}

/** Where the service cannot tell of readers coming and going, a wait wakes up this often to list them. */
const RELIST_MS = 1_000;
const CANCEL_REPEAT_MS = 100;
const CANCEL_ATTEMPTS = 50;

const waitMs = (library: PcscLibrary): number => (library.layout.pnpNotification ? INFINITE : RELIST_MS);

interface Round {
  states: ReaderStateIn[];
  readers: string[];
}

/** The readers to wait on, each in the state last seen (the first round asks for every state at once). */
function nextRound(library: PcscLibrary, handle: PcscHandle, known: Map<string, number>, first: boolean): Round {
  const readers = library.listReaders(handle);
  const states: ReaderStateIn[] = readers.map((reader) => ({
    reader,
    currentState: known.get(reader) ?? SCARD_STATE_UNAWARE,
  }));
  // The pseudo-reader's state carries the reader count in its upper half (pcsc-lite and winscard alike).
  if (!first && library.layout.pnpNotification) {
    states.push({ reader: PNP_NOTIFICATION, currentState: known.get(PNP_NOTIFICATION) ?? readers.length << 16 });
  }
  return { states, readers };
}

export function createStatusMonitor(library: () => Promise<PcscLibrary>): StatusMonitor {
  const listeners = new Set<(view: PresenceView) => void>();
  let view: PresenceView | undefined;
  let handle: PcscHandle | undefined;
  let running = false;
  let pending = 0;
  let wakePause: (() => void) | undefined;

  const publish = (next: PresenceView): void => {
    view = next;
    for (const listener of [...listeners]) listener(next);
  };

  /** One SCardGetStatusChange (or, with nothing to wait on, one pause); publishes what it learnt. */
  async function waitOnce(lib: PcscLibrary, h: PcscHandle, known: Map<string, number>): Promise<void> {
    const first = view === undefined;
    const round = nextRound(lib, h, known, first);
    if (round.states.length === 0 && !first) {
      await pause(RELIST_MS);
      return;
    }
    let states: ReaderStateOut[] = [];
    if (round.states.length > 0) {
      pending++;
      try {
        states = await lib.getStatusChange(h, round.states, first ? 0 : waitMs(lib));
      } catch (err) {
        const kind = pcscKind(err);
        if (kind === 'cancelled' || kind === 'timeout') return;
        throw err;
      } finally {
        pending--;
      }
    }
    known.clear();
    for (const s of states) known.set(s.reader, s.eventState & ~SCARD_STATE_CHANGED);
    publish({
      readers: round.readers,
      withCard: states.filter((s) => s.reader !== PNP_NOTIFICATION && cardInState(s.eventState)).map((s) => s.reader),
    });
  }

  async function run(): Promise<void> {
    running = true;
    const known = new Map<string, number>();
    let retryLater = false;
    try {
      const lib = await library();
      try {
        handle = lib.establishContext();
      } catch (err) {
        if (!(lib.layout.serviceStopsWithoutReaders && pcscKind(err) === 'no-service')) throw err;
        // Windows: no reader yet, so no service yet; ask again after a pause.
        publish({ readers: [], withCard: [] });
        retryLater = true;
        return;
      }
      try {
        while (listeners.size > 0) await waitOnce(lib, handle, known);
      } finally {
        const h = handle;
        handle = undefined;
        lib.releaseContext(h);
      }
    } catch (err) {
      retryLater = true;
      publish({ error: err });
    } finally {
      running = false;
      view = undefined;
      // A subscriber that came while the last round was ending starts a new one; after a failure
      // (the service is gone), not before a pause, so that a listener that stays cannot make a busy loop.
      if (listeners.size > 0) {
        if (retryLater) setTimeout(() => listeners.size > 0 && !running && void run(), RELIST_MS).unref();
        else void run();
      }
    }
  }

  /** A pause that cancel() ends early. */
  function pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        wakePause = undefined;
        resolve();
      }
      wakePause = done;
    });
  }

  /**
   * Ends the pending wait. A cancel that reaches the service before the pool thread has entered its
   * call would be lost, so it is repeated until the wait has returned.
   */
  async function cancel(): Promise<void> {
    wakePause?.();
    for (let attempt = 0; attempt < CANCEL_ATTEMPTS; attempt++) {
      const h = handle;
      if (h === undefined || pending === 0 || listeners.size > 0) return;
      try {
        (await library()).cancel(h);
      } catch {
        return; // The context is already gone: nothing waits on it.
      }
      await sleep(CANCEL_REPEAT_MS);
    }
  }

  return {
    subscribe(listener) {
      listeners.add(listener);
      if (view !== undefined) listener(view);
      if (!running) void run();
      return () => {
        if (!listeners.delete(listener) || listeners.size > 0) return;
        void cancel();
      };
    },
    pendingWaits: () => pending,
  };
}
