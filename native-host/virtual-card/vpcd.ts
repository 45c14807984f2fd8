import { createConnection, type Socket } from 'node:net';
import type { ApduResponder } from '../transport/index.js';
import { SW, statusBytes } from './status-words.js';
import type { VirtualCard } from './virtual-card.js';

/**
 * Serves a card to pcscd through the vsmartcard `vpcd` reader driver. vpcd listens (port 35963 by
 * default) and the card connects to it as a TCP client. Every message in both directions is a 2-byte
 * big-endian length and that many bytes. A 1-byte message from vpcd is a control (power off, power
 * on, reset, ATR request); anything longer is a command APDU, answered with the response APDU.
 * When the connection drops the card counts as pulled; it reconnects with a short backoff.
 */

export interface VpcdOptions {
  host?: string;
  port?: number;
  /** First wait before reconnecting; it doubles up to 2 s while vpcd stays unreachable. */
  reconnectDelayMs?: number;
  /** Called on every (re)connection. */
  onConnect?: () => void;
  /** Called when an established connection drops (not after stop()). */
  onDisconnect?: () => void;
}

export interface VpcdService {
  /** Disconnects (the card is pulled) and stops reconnecting. */
  stop(): Promise<void>;
  /** Resolves on the first connection; rejects if stop() comes first. */
  connected: Promise<void>;
}

export const VPCD_DEFAULT_PORT = 35963;
const CONTROL = { POWER_OFF: 0x00, POWER_ON: 0x01, RESET: 0x02, GET_ATR: 0x04 } as const;
/** No command to an HPKI card comes near this; longer frames are skipped and answered 6700. */
export const MAX_COMMAND_FRAME = 4096;
const MAX_FRAME = 0xffff;
const MAX_RECONNECT_DELAY_MS = 2000;

type Incoming = { kind: 'frame'; bytes: Uint8Array } | { kind: 'oversize' };

/** Splits the byte stream into frames, holding at most MAX_COMMAND_FRAME bytes of any one frame. */
function createFrameReader(): (chunk: Uint8Array) => Incoming[] {
  let header = new Uint8Array(0);
  let body: Uint8Array | undefined;
  let filled = 0;
  let skipping = 0;
  return (chunk) => {
    const out: Incoming[] = [];
    let i = 0;
    while (i < chunk.length) {
      if (skipping > 0) {
        const n = Math.min(skipping, chunk.length - i);
        skipping -= n;
        i += n;
        if (skipping === 0) out.push({ kind: 'oversize' });
        continue;
      }
      if (body === undefined) {
        const need = 2 - header.length;
        header = Uint8Array.from([...header, ...chunk.subarray(i, i + need)]);
        i += Math.min(need, chunk.length - i);
        if (header.length < 2) break;
        const length = (header[0]! << 8) | header[1]!;
        header = new Uint8Array(0);
        if (length > MAX_COMMAND_FRAME) skipping = length;
        else if (length === 0) out.push({ kind: 'frame', bytes: new Uint8Array(0) });
        else {
          body = new Uint8Array(length);
          filled = 0;
        }
        continue;
      }
      const n = Math.min(body.length - filled, chunk.length - i);
      body.set(chunk.subarray(i, i + n), filled);
      filled += n;
      i += n;
      if (filled === body.length) {
        out.push({ kind: 'frame', bytes: body });
        body = undefined;
      }
    }
    return out;
  };
}

function frame(payload: Uint8Array): Uint8Array {
  const bytes = payload.length > MAX_FRAME ? statusBytes(SW.NO_PRECISE_DIAGNOSIS) : payload;
  const out = new Uint8Array(bytes.length + 2);
  out[0] = bytes.length >> 8;
  out[1] = bytes.length & 0xff;
  out.set(bytes, 2);
  return out;
}

function hasProcessAsync(responder: ApduResponder): responder is VirtualCard {
  return typeof (responder as Partial<VirtualCard>).processAsync === 'function';
}

/** The card's answer to one message from vpcd, or undefined when vpcd expects none. */
async function answer(responder: ApduResponder, incoming: Incoming): Promise<Uint8Array | undefined> {
  if (incoming.kind === 'oversize') return statusBytes(SW.WRONG_LENGTH);
  const bytes = incoming.bytes;
  if (bytes.length === 0) return undefined;
  if (bytes.length === 1) {
    switch (bytes[0]) {
      case CONTROL.GET_ATR:
        return responder.atr();
      case CONTROL.POWER_OFF:
      case CONTROL.POWER_ON:
      case CONTROL.RESET:
        responder.reset();
        return undefined;
      default:
        return undefined;
    }
  }
  return hasProcessAsync(responder) ? responder.processAsync(bytes) : responder.process(bytes);
}

export function serveOverVpcd(responder: ApduResponder, options: VpcdOptions = {}): VpcdService {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? VPCD_DEFAULT_PORT;
  const initialDelay = options.reconnectDelayMs ?? 100;
  let delay = initialDelay;
  let stopped = false;
  let socket: Socket | undefined;
  let timer: NodeJS.Timeout | undefined;
  let onConnected: () => void = () => {};
  let onStoppedEarly: (err: Error) => void = () => {};
  const connected = new Promise<void>((resolve, reject) => {
    onConnected = resolve;
    onStoppedEarly = reject;
  });
  connected.catch(() => {});

  const connect = (): void => {
    timer = undefined;
    if (stopped) return;
    const s = createConnection({ host, port });
    socket = s;
    s.setNoDelay(true);
    const read = createFrameReader();
    let queue: Promise<void> = Promise.resolve();
    let established = false;
    const handle = async (incoming: Incoming): Promise<void> => {
      let reply: Uint8Array | undefined;
      try {
        reply = await answer(responder, incoming);
      } catch {
        // The card was pulled mid-command (no one to answer), or failed: say so if anyone listens.
        reply = statusBytes(SW.NO_PRECISE_DIAGNOSIS);
      }
      if (reply !== undefined && !s.destroyed && s.writable) s.write(frame(reply));
    };
    s.on('connect', () => {
      established = true;
      delay = initialDelay;
      onConnected();
      options.onConnect?.();
    });
    s.on('data', (chunk: Buffer) => {
      for (const incoming of read(chunk)) queue = queue.then(() => handle(incoming));
    });
    s.on('error', () => {
      // 'close' follows and decides what happens next.
    });
    s.on('close', () => {
      if (socket === s) socket = undefined;
      // A dropped connection is a pulled card: whatever it was doing is forgotten.
      responder.reset();
      if (established && !stopped) options.onDisconnect?.();
      if (stopped) return;
      timer = setTimeout(connect, delay);
      delay = Math.min(delay * 2, MAX_RECONNECT_DELAY_MS);
    });
  };

  connect();
  return {
    connected,
    async stop() {
      if (stopped) return;
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      onStoppedEarly(new Error('vpcd service stopped before it connected'));
      const s = socket;
      if (s !== undefined && !s.destroyed) {
        await new Promise<void>((resolve) => {
          s.once('close', () => resolve());
          s.destroy();
        });
      }
    },
  };
}
