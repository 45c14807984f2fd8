import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { createPcscPresence } from '../../native-host/presence/pcsc-presence.js';
import type { PcscContext, PcscFactory, PcscReader } from '../../native-host/transport/pcsclite-types.js';

// Card presence from the reader service's status events, over a fake of the pcsclite addon: a card
// is in when PRESENT is set and MUTE is not; every context is closed once its wait or watch ends.

const PRESENT = 0x20;
const MUTE = 0x200;

class FakeReader extends EventEmitter {
  SCARD_SHARE_EXCLUSIVE = 1;
  SCARD_SHARE_SHARED = 2;
  SCARD_PROTOCOL_T0 = 1;
  SCARD_PROTOCOL_T1 = 2;
  SCARD_STATE_PRESENT = PRESENT;
  SCARD_STATE_MUTE = MUTE;
  SCARD_LEAVE_CARD = 0;
  SCARD_RESET_CARD = 1;
  connected = false;
  closed = false;
  constructor(readonly name: string) {
    super();
  }
  connect(): void {
    throw new Error('presence never connects to a card');
  }
  disconnect(): void {}
  transmit(): void {
    throw new Error('presence never talks to a card');
  }
  close(): void {
    this.closed = true;
  }
  status(state: number): void {
    this.emit('status', { state });
  }
}

function fakeService() {
  const contexts: Array<EventEmitter & { closed: boolean }> = [];
  const factory: PcscFactory = () => {
    const context = Object.assign(new EventEmitter(), {
      closed: false,
      readers: {},
      close() {
        context.closed = true;
      },
    });
    contexts.push(context);
    return context as unknown as PcscContext;
  };
  const plug = (name: string): FakeReader => {
    const reader = new FakeReader(name);
    contexts.at(-1)?.emit('reader', reader as unknown as PcscReader);
    return reader;
  };
  return { factory, contexts, plug };
}

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('PC/SC card presence', () => {
  it('waits until a reader reports a card that answers (not mute), then closes its context', async () => {
    const service = fakeService();
    const presence = createPcscPresence({ factory: service.factory });
    let done = false;
    const waiting = presence.waitForCard(new AbortController().signal).then(() => {
      done = true;
    });
    const reader = service.plug('R0');
    reader.status(0);
    reader.status(PRESENT | MUTE);
    await tick();
    expect(done).toBe(false);
    // A reader plugged in meanwhile counts too.
    const late = service.plug('R1');
    late.status(PRESENT);
    await waiting;
    await tick();
    expect(service.contexts[0]!.closed).toBe(true);
    expect(reader.closed && late.closed).toBe(true);
  });

  it('gives up on abort, with its reason, and closes', async () => {
    const service = fakeService();
    const presence = createPcscPresence({ factory: service.factory });
    const controller = new AbortController();
    const waiting = presence.waitForCard(controller.signal);
    controller.abort(new Error('session over'));
    await expect(waiting).rejects.toThrow('session over');
    await tick();
    expect(service.contexts[0]!.closed).toBe(true);
  });

  it("tells once when the watched reader's card leaves, and not for another reader", async () => {
    const service = fakeService();
    const presence = createPcscPresence({ factory: service.factory });
    const removed: string[] = [];
    presence.watchRemoval('R1', () => removed.push('R1'));
    const other = service.plug('R0');
    const watched = service.plug('R1');
    watched.status(PRESENT);
    other.status(0);
    await tick();
    expect(removed).toEqual([]);
    watched.status(0);
    watched.status(0);
    await tick();
    expect(removed).toEqual(['R1']);
    expect(service.contexts[0]!.closed).toBe(true);
  });

  it('an unplugged reader counts as a pulled card; a stopped watch tells nothing', async () => {
    const service = fakeService();
    const presence = createPcscPresence({ factory: service.factory });
    const removed: string[] = [];
    presence.watchRemoval('R0', () => removed.push('unplugged'));
    service.plug('R0').emit('end');
    const stop = presence.watchRemoval('R0', () => removed.push('stopped'));
    const again = service.plug('R0');
    stop();
    again.status(0);
    await tick();
    expect(removed).toEqual(['unplugged']);
    expect(service.contexts.every((c) => c.closed)).toBe(true);
  });
});
