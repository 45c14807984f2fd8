import { describe, expect, it } from 'vitest';
import {
  SCARD_STATE_CHANGED,
  SCARD_STATE_EMPTY,
  SCARD_STATE_PRESENT,
} from '../../../../native-host/backends/pcsc/constants.js';
import { PcscError } from '../../../../native-host/backends/pcsc/error-codes.js';
import { PCSC_LAYOUTS } from '../../../../native-host/backends/pcsc/layout.js';
import type { PcscHandle, PcscLibrary } from '../../../../native-host/backends/pcsc/library.js';
import { createPcscPresence } from '../../../../native-host/backends/pcsc/presence.js';
import type { ReaderStateIn, ReaderStateOut } from '../../../../native-host/backends/pcsc/reader-states.js';
import { createStatusMonitor, type PresenceView } from '../../../../native-host/backends/pcsc/status-monitor.js';

/**
 * The shared status wait over an in-process fake of the PC/SC library (the real one runs in
 * test/integration/host-pcsc.test.ts): however many waits and watches, at most one blocking
 * SCardGetStatusChange is pending; the last one to leave cancels it and the context is released; a
 * cancel that comes too early is repeated.
 */

const CANCELLED = 0x80100002;
const TIMEOUT = 0x8010000a;

interface Call {
  states: ReaderStateIn[];
  resolve(out: ReaderStateOut[]): void;
  reject(err: unknown): void;
}

function fakeLibrary(options: { loseFirstCancel?: boolean } = {}) {
  const cards = new Map<string, boolean>([['Reader A', false]]);
  const calls: Call[] = [];
  let maxPending = 0;
  let openContexts = 0;
  let cancels = 0;
  let lost = options.loseFirstCancel === true;
  const pending = (): Call[] => calls.filter((c) => c.resolve !== undefined);
  const stateOf = (reader: string): number => (cards.get(reader) ? SCARD_STATE_PRESENT : SCARD_STATE_EMPTY);
  const answer = (call: Call): ReaderStateOut[] =>
    call.states.map((s) => ({
      reader: s.reader,
      eventState: s.reader.startsWith('\\\\?PnP') ? s.currentState : stateOf(s.reader) | SCARD_STATE_CHANGED,
      atr: new Uint8Array(),
    }));
  const library: PcscLibrary = {
    layout: PCSC_LAYOUTS.linux,
    establishContext: () => {
      openContexts++;
      return 1;
    },
    releaseContext: () => {
      openContexts--;
    },
    listReaders: () => [...cards.keys()],
    getStatusChange(_context: PcscHandle, states, timeoutMs) {
      const changed = states.some(
        (s) => !s.reader.startsWith('\\\\?PnP') && (s.currentState & ~SCARD_STATE_CHANGED) !== stateOf(s.reader),
      );
      if (changed) return Promise.resolve(answer({ states } as Call));
      if (timeoutMs === 0) return Promise.reject(new PcscError('SCardGetStatusChange', TIMEOUT));
      return new Promise((resolve, reject) => {
        const call: Call = { states, resolve, reject };
        calls.push(call);
        maxPending = Math.max(maxPending, calls.length);
      });
    },
    cancel() {
      cancels++;
      if (lost) {
        lost = false;
        return;
      }
      for (const call of calls.splice(0)) call.reject(new PcscError('SCardGetStatusChange', CANCELLED));
    },
    connect: () => Promise.reject(new Error('presence never connects to a card')),
    transmit: () => Promise.reject(new Error('presence never talks to a card')),
    disconnect: () => Promise.resolve(),
  };
  return {
    library,
    /** Puts a card in or takes it out, waking the pending wait as the service would. */
    setCard(reader: string, present: boolean) {
      cards.set(reader, present);
      for (const call of calls.splice(0)) call.resolve(answer(call));
    },
    pending: () => pending().length,
    maxPending: () => maxPending,
    openContexts: () => openContexts,
    cancels: () => cancels,
  };
}

const settle = (ms = 20): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('PC/SC presence: one shared status wait', () => {
  it('twenty waits and watches hold one blocking call; a card wakes them all', async () => {
    const fake = fakeLibrary();
    const presence = createPcscPresence({ library: async () => fake.library });
    const aborts = Array.from({ length: 10 }, () => new AbortController());
    const waits = aborts.map((a) => presence.waitForCard(a.signal));
    await settle();
    expect(fake.pending()).toBe(1);
    fake.setCard('Reader A', true);
    await Promise.all(waits);
    let removed = 0;
    const stops = Array.from({ length: 10 }, () => presence.watchRemoval('Reader A', () => removed++));
    await settle();
    expect(fake.pending()).toBe(1);
    expect(removed).toBe(0);
    fake.setCard('Reader A', false);
    await settle();
    expect(removed).toBe(10);
    for (const stop of stops) stop();
    await settle(150);
    expect(fake.maxPending()).toBe(1);
    expect(fake.pending()).toBe(0);
    expect(fake.openContexts()).toBe(0);
  });

  it('the last one leaving cancels the wait and releases the context', async () => {
    const fake = fakeLibrary();
    const presence = createPcscPresence({ library: async () => fake.library });
    const first = new AbortController();
    const second = new AbortController();
    const waits = [presence.waitForCard(first.signal), presence.waitForCard(second.signal)];
    await settle();
    expect(fake.pending()).toBe(1);
    first.abort(new Error('stdin closed'));
    await expect(waits[0]).rejects.toThrow('stdin closed');
    await settle();
    expect(fake.cancels()).toBe(0); // the other wait still listens
    expect(fake.pending()).toBe(1);
    second.abort(new Error('stdin closed'));
    await expect(waits[1]).rejects.toThrow('stdin closed');
    await settle(150);
    expect(fake.cancels()).toBe(1);
    expect(fake.pending()).toBe(0);
    expect(fake.openContexts()).toBe(0);
  });

  it('repeats a cancel that reached the service before the wait had begun', async () => {
    const fake = fakeLibrary({ loseFirstCancel: true });
    fake.setCard('Reader A', true);
    const presence = createPcscPresence({ library: async () => fake.library });
    let removed = 0;
    const stop = presence.watchRemoval('Reader A', () => removed++);
    await settle();
    expect(fake.pending()).toBe(1);
    stop();
    await settle(400);
    expect(fake.cancels()).toBe(2);
    expect(fake.pending()).toBe(0);
    expect(fake.openContexts()).toBe(0);
    expect(removed).toBe(0);
  });
});

describe('PC/SC presence: watches, a service that is down, Windows', () => {
  it('a watch on a reader without a card fires at once; a later wait starts a fresh context', async () => {
    const fake = fakeLibrary();
    const presence = createPcscPresence({ library: async () => fake.library });
    let removed = 0;
    presence.watchRemoval('Reader A', () => removed++);
    await settle(150);
    expect(removed).toBe(1);
    expect(fake.openContexts()).toBe(0);
    const wait = presence.waitForCard(new AbortController().signal);
    await settle();
    expect(fake.openContexts()).toBe(1);
    fake.setCard('Reader A', true);
    await wait;
    await settle(150);
    expect(fake.openContexts()).toBe(0);
  });

  it('a service that is down is told to every listener, and asked again only after a pause', async () => {
    const fake = fakeLibrary();
    let establishes = 0;
    const library: PcscLibrary = {
      ...fake.library,
      establishContext: () => {
        establishes++;
        throw new PcscError('SCardEstablishContext', 0x8010001d);
      },
    };
    const presence = createPcscPresence({ library: async () => library });
    await expect(presence.waitForCard(new AbortController().signal)).rejects.toThrow('the PC/SC service stopped');
    const monitor = createStatusMonitor(async () => library);
    const views: PresenceView[] = [];
    const stop = monitor.subscribe((view) => views.push(view));
    await settle(300);
    expect(views).toHaveLength(1);
    expect(views[0]).toMatchObject({ error: { kind: 'no-service' } });
    expect(establishes).toBe(2); // one per monitor: a listener that stays causes no busy loop
    stop();
  });

  it('Windows: no service means no reader yet; a wait goes on until the reader and its card arrive', async () => {
    const fake = fakeLibrary();
    let serviceUp = false;
    const library: PcscLibrary = {
      ...fake.library,
      layout: PCSC_LAYOUTS.win32,
      establishContext: () => {
        if (!serviceUp) throw new PcscError('SCardEstablishContext', 0x8010001d);
        return fake.library.establishContext();
      },
    };
    const presence = createPcscPresence({ library: async () => library });
    let done = false;
    const wait = presence.waitForCard(new AbortController().signal).then(() => {
      done = true;
    });
    await settle(300);
    expect(done).toBe(false);
    serviceUp = true;
    fake.setCard('Reader A', true);
    await wait;
    expect(done).toBe(true);
    const linux = createPcscPresence({ library: async () => ({ ...library, layout: PCSC_LAYOUTS.linux }) });
    serviceUp = false;
    await expect(linux.waitForCard(new AbortController().signal)).rejects.toThrow('the PC/SC service stopped');
  });
});
