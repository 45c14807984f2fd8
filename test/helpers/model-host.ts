import type { NativeConnector, NativePort } from '../../extension/background/native-host.js';
import type { WireError } from '../../protocol/errors.js';
import { certificateAnswer, TOKEN } from './extension-harness.js';

/**
 * A model of the native host and two card readers, at the native-messaging boundary, for the card
 * flow's property test: the host's answers follow PROTOCOL.md §2 as the real host gives them
 * (`find-cards` waits for a card and says `waiting-for-card`, `watch-card` reports a pull once, a
 * pulled card fails `authenticate` with ERR_HPKI_CARD_REMOVED, the PIN counter goes down and
 * locks), and the test moves cards in and out and crashes the host between any two steps.
 * Answers come on a later microtask, as a port's messages do.
 */

export const READERS = ['Virtual PCD 00 00', 'Virtual PCD 00 01'] as const;
export const PIN = '1234';

interface ModelCard {
  holder: { name: string; nameJa: string; role: string };
  retries: number;
}

type Listener<T> = (value: T) => void;

interface PortState {
  open: boolean;
  messages: Listener<unknown>[];
  disconnects: Listener<{ error?: { message?: string } | null }>[];
  /** A `find-cards` waiting for a card. */
  waiting: { id: unknown; timer: ReturnType<typeof setTimeout> } | undefined;
  watched: string | undefined;
}

export interface ModelHost {
  connector: NativeConnector;
  insert(slot: 0 | 1): void;
  pull(slot: 0 | 1): void;
  /** Every running host process dies (its ports close with an error). */
  crash(): void;
  /** Whether the card whose holder is `name` is in its reader. */
  holds(name: string): boolean;
  /** Ports connected and not yet closed by either side. */
  openPorts(): number;
  connects(): number;
}

interface Readers {
  cards: [ModelCard, ModelCard];
  present: [boolean, boolean];
}

function send(port: PortState, message: unknown): void {
  void Promise.resolve().then(() => {
    if (port.open) for (const l of port.messages) l(JSON.parse(JSON.stringify(message)));
  });
}

function describeCard(r: Readers, slot: 0 | 1): unknown {
  const base = (certificateAnswer(r.cards[slot].retries) as { result: Record<string, unknown> }).result;
  return { ...base, reader: READERS[slot], holder: r.cards[slot].holder };
}

function found(r: Readers): { cards: unknown[]; others: unknown[] } | undefined {
  const slots = ([0, 1] as const).filter((s) => r.present[s]);
  return slots.length === 0 ? undefined : { cards: slots.map((s) => describeCard(r, s)), others: [] };
}

function authenticate(r: Readers, params: Record<string, unknown>): { result: unknown } | { error: WireError } {
  const slot = READERS.indexOf(params.reader as (typeof READERS)[number]);
  if (slot < 0 || !r.present[slot as 0 | 1])
    return { error: { code: 'ERR_HPKI_CARD_REMOVED', message: 'the card was removed' } };
  const card = r.cards[slot as 0 | 1];
  if (card.retries === 0) return { error: { code: 'ERR_HPKI_PIN_BLOCKED', message: 'card blocked' } };
  if (params.pin === PIN) {
    card.retries = slot === 0 ? 15 : 2;
    return { result: { token: TOKEN } };
  }
  card.retries--;
  return card.retries === 0
    ? { error: { code: 'ERR_HPKI_PIN_BLOCKED', message: 'card blocked' } }
    : { error: { code: 'ERR_HPKI_PIN_INCORRECT', message: 'wrong PIN', retriesLeft: card.retries } };
}

/** The answer now, or none while the host waits for a card. */
function findCards(r: Readers, port: PortState, id: unknown, params: Record<string, unknown> | undefined): unknown {
  const now = found(r);
  if (now !== undefined) return { id, result: now };
  const waitMs = Number(params?.waitMs ?? 0);
  if (waitMs === 0) return { id, error: { code: 'ERR_HPKI_NO_CARD', message: 'no card' } };
  send(port, { id, event: { type: 'waiting-for-card' } });
  const timer = setTimeout(() => {
    port.waiting = undefined;
    send(port, { id, error: { code: 'ERR_HPKI_NO_CARD', message: 'no card was put in while waiting' } });
  }, waitMs);
  port.waiting = { id, timer };
  return undefined;
}

function watchCard(r: Readers, port: PortState, id: unknown, reader: string): unknown {
  port.watched = reader;
  const slot = READERS.indexOf(reader as (typeof READERS)[number]);
  // Watching a reader that is already empty reports the removal at once, after the answer.
  if (slot >= 0 && !r.present[slot as 0 | 1]) void Promise.resolve().then(() => removed(port));
  return { id, result: {} };
}

function answer(
  r: Readers,
  port: PortState,
  request: { id: unknown; command: string; params?: Record<string, unknown> },
): unknown {
  const { id, command, params } = request;
  if (command === 'find-cards') return findCards(r, port, id, params);
  if (command === 'watch-card') return watchCard(r, port, id, String(params?.reader));
  if (command === 'authenticate') return { id, ...authenticate(r, params ?? {}) };
  return { id, error: { code: 'ERR_HPKI_INVALID_ARGUMENT', message: `unknown ${command}` } };
}

function removed(port: PortState): void {
  const reader = port.watched;
  port.watched = undefined;
  send(port, { event: { type: 'card-removed', reader } });
}

function close(port: PortState, error: { message: string } | undefined): void {
  if (!port.open) return;
  port.open = false;
  if (port.waiting) clearTimeout(port.waiting.timer);
  port.waiting = undefined;
  if (error !== undefined) for (const l of port.disconnects) l({ error });
}

function connectorOver(r: Readers, ports: PortState[], counted: () => void): NativeConnector {
  return {
    connectNative() {
      counted();
      const state: PortState = { open: true, messages: [], disconnects: [], waiting: undefined, watched: undefined };
      ports.push(state);
      const port: NativePort = {
        postMessage(message) {
          if (!state.open) throw new Error('port closed');
          const reply = answer(r, state, message as { id: unknown; command: string; params?: Record<string, unknown> });
          if (reply !== undefined) send(state, reply);
        },
        disconnect: () => close(state, undefined),
        onMessage: { addListener: (l) => void state.messages.push(l) },
        onDisconnect: { addListener: (l) => void state.disconnects.push(l) },
      };
      send(state, { hello: { protocol: 1, version: '0.1.0', backend: 'pcsc' } });
      return port;
    },
  };
}

/** Card A (15 tries) belongs in reader 0, card B (2 tries, so that it can lock) in reader 1. */
export function modelHost(): ModelHost {
  const r: Readers = {
    cards: [
      { holder: { name: 'Nichii Taro', nameJa: '日医　太郎', role: 'Medical Doctor' }, retries: 15 },
      { holder: { name: 'Iryo Hanako', nameJa: '医療　花子', role: 'Medical Doctor' }, retries: 2 },
    ],
    present: [false, false],
  };
  const ports: PortState[] = [];
  let connects = 0;
  const connector = connectorOver(r, ports, () => connects++);

  return {
    connector,
    insert(slot) {
      if (r.present[slot]) return;
      r.present[slot] = true;
      for (const port of ports) {
        if (!port.open || port.waiting === undefined) continue;
        clearTimeout(port.waiting.timer);
        const { id } = port.waiting;
        port.waiting = undefined;
        // The host lists the readers when it wakes, a turn later: cards put in together are seen together.
        void Promise.resolve().then(() => {
          const now = found(r);
          send(
            port,
            now === undefined ? { id, error: { code: 'ERR_HPKI_NO_CARD', message: 'no card' } } : { id, result: now },
          );
        });
      }
    },
    pull(slot) {
      if (!r.present[slot]) return;
      r.present[slot] = false;
      for (const port of ports) if (port.open && port.watched === READERS[slot]) removed(port);
    },
    crash() {
      for (const port of ports) close(port, { message: 'Native host has exited.' });
    },
    holds: (name) => ([0, 1] as const).some((s) => r.present[s] && r.cards[s].holder.name === name),
    openPorts: () => ports.filter((p) => p.open).length,
    connects: () => connects,
  };
}
