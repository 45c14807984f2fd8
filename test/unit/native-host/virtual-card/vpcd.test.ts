import { mkdtempSync, rmSync } from 'node:fs';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateMockPki } from '../../../../native-host/mock-pki/index.js';
import {
  type CardFile,
  createCardFile,
  createVirtualCard,
  HPKI_ATR,
  loadCardFile,
  serveOverVpcd,
  type VpcdService,
} from '../../../../native-host/virtual-card/index.js';
import { digestInfoSha256, emsaPkcs1v15 } from '../../../../protocol/signed-data.js';
import { AUTH_AID, bytes, hexOf } from '../../../helpers/card-apdu.js';

/**
 * pcscd's side of vpcd, played by a TCP server in the test: it accepts the card's connection and
 * exchanges 2-byte-length frames with it, as the vpcd reader driver does.
 */

const framed = (payload: Uint8Array): Buffer =>
  Buffer.concat([Buffer.from([payload.length >> 8, payload.length & 0xff]), payload]);
const block = emsaPkcs1v15(digestInfoSha256(new TextEncoder().encode('content')), 256);
const pso = Uint8Array.from([0x00, 0x2a, 0x9e, 0x9a, 0x00, 0x01, 0x00, ...block, 0x00, 0x00]);

interface Peer {
  socket: Socket;
  /** Next frame the card sends, or rejects after `ms`. */
  nextFrame(ms?: number): Promise<Uint8Array>;
  /** Sends a frame and waits for the card's answer. */
  exchange(payload: Uint8Array | string): Promise<Uint8Array>;
  closed: Promise<void>;
}

function peerOf(socket: Socket): Peer {
  let buffer = Buffer.alloc(0);
  const frames: Uint8Array[] = [];
  const waiters: ((frame: Uint8Array) => void)[] = [];
  socket.on('data', (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    while (buffer.length >= 2 && buffer.length >= 2 + buffer.readUInt16BE(0)) {
      const frame = new Uint8Array(buffer.subarray(2, 2 + buffer.readUInt16BE(0)));
      buffer = buffer.subarray(2 + frame.length);
      const waiter = waiters.shift();
      if (waiter === undefined) frames.push(frame);
      else waiter(frame);
    }
  });
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  const nextFrame = (ms = 2000): Promise<Uint8Array> => {
    const ready = frames.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(done), 1);
        reject(new Error('no frame from the card'));
      }, ms);
      const done = (frame: Uint8Array): void => {
        clearTimeout(timer);
        resolve(frame);
      };
      waiters.push(done);
    });
  };
  return {
    socket,
    nextFrame,
    closed,
    exchange(payload) {
      socket.write(framed(typeof payload === 'string' ? bytes(payload) : payload));
      return nextFrame();
    },
  };
}

interface FakeVpcd {
  port: number;
  server: Server;
  connections: Peer[];
  nextConnection(ms?: number): Promise<Peer>;
  close(): Promise<void>;
}

async function startFakeVpcd(port = 0): Promise<FakeVpcd> {
  const connections: Peer[] = [];
  const waiters: ((peer: Peer) => void)[] = [];
  let seen = 0;
  const server = createServer((socket) => {
    const peer = peerOf(socket);
    connections.push(peer);
    waiters.shift()?.(peer);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    server,
    connections,
    nextConnection(ms = 3000) {
      const index = seen++;
      const existing = connections[index];
      if (existing !== undefined) return Promise.resolve(existing);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('the card did not connect')), ms);
        waiters.push((peer) => {
          clearTimeout(timer);
          resolve(peer);
        });
      });
    },
    async close() {
      for (const peer of connections) peer.socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

let dir: string;
let data: CardFile;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vpcd-'));
  const pki = await loadOrCreateMockPki(join(dir, 'pki'));
  await createCardFile(join(dir, 'c.card'), { pki, name: 'Nichii Taro', role: 'Medical Doctor', pin: '1234' });
  data = loadCardFile(join(dir, 'c.card'));
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function setup(
  options: { signDelayMs?: number } = {},
): Promise<{ vpcd: FakeVpcd; service: VpcdService; events: string[] }> {
  const vpcd = await startFakeVpcd();
  cleanups.push(() => vpcd.close());
  const events: string[] = [];
  const card = createVirtualCard(
    { data },
    options.signDelayMs === undefined ? {} : { signDelayMs: options.signDelayMs },
  );
  const service = serveOverVpcd(card, {
    port: vpcd.port,
    reconnectDelayMs: 50,
    onConnect: () => events.push('connect'),
    onDisconnect: () => events.push('disconnect'),
  });
  cleanups.push(() => service.stop());
  return { vpcd, service, events };
}

const sw = (response: Uint8Array): string => hexOf(response.subarray(-2));

describe('vpcd client', () => {
  it('connects, answers the ATR request and APDUs, and sends nothing for power controls', async () => {
    const { vpcd, service } = await setup();
    const peer = await vpcd.nextConnection();
    await service.connected;
    expect(hexOf(await peer.exchange('04'))).toBe(hexOf(HPKI_ATR));
    peer.socket.write(framed(bytes('01')));
    const select = await peer.exchange(`00a4040010${AUTH_AID}00`);
    expect(hexOf(select)).toBe(`6f128410${AUTH_AID}9000`);
  });

  it('reassembles frames split into single bytes and answers frames sent together in order', async () => {
    const { vpcd } = await setup();
    const peer = await vpcd.nextConnection();
    const wire = framed(bytes(`00a4040010${AUTH_AID}00`));
    for (const b of wire) {
      peer.socket.write(Uint8Array.of(b));
      await sleep(2);
    }
    expect(sw(await peer.nextFrame())).toBe('9000');
    peer.socket.write(Buffer.concat([framed(bytes('00200088')), framed(bytes('00b0910000')), framed(bytes('04'))]));
    expect(hexOf(await peer.nextFrame())).toBe('63cf');
    expect(hexOf((await peer.nextFrame()).subarray(0, 2))).toBe('a806');
    expect(hexOf(await peer.nextFrame())).toBe(hexOf(HPKI_ATR));
  });

  it('resets the card on power off, power on and reset', async () => {
    const { vpcd } = await setup();
    const peer = await vpcd.nextConnection();
    for (const control of ['00', '01', '02']) {
      expect(sw(await peer.exchange(`00a4040010${AUTH_AID}00`))).toBe('9000');
      expect(sw(await peer.exchange('0020008804 31323334'))).toBe('9000');
      peer.socket.write(framed(bytes(control)));
      expect(sw(await peer.exchange('00b0000004'))).toBe('6986');
      expect(sw(await peer.exchange('00200088'))).toBe('6a82');
    }
  });

  it('skips a frame larger than any command and answers it 6700, staying in step', async () => {
    const { vpcd } = await setup();
    const peer = await vpcd.nextConnection();
    const huge = new Uint8Array(5000).fill(0xaa);
    expect(hexOf(await peer.exchange(huge))).toBe('6700');
    expect(sw(await peer.exchange(`00a4040010${AUTH_AID}00`))).toBe('9000');
  });

  it('reconnects after the connection drops, with the card reset as if pulled', async () => {
    const { vpcd, events } = await setup();
    const first = await vpcd.nextConnection();
    expect(sw(await first.exchange(`00a4040010${AUTH_AID}00`))).toBe('9000');
    expect(sw(await first.exchange('0020008804 31323334'))).toBe('9000');
    first.socket.destroy();
    const second = await vpcd.nextConnection();
    expect(sw(await second.exchange(`00a4040010${AUTH_AID}00`))).toBe('9000');
    expect(sw(await second.exchange('002241b6048402000c'))).toBe('9000');
    expect(sw(await second.exchange(pso))).toBe('6982');
    expect(events).toEqual(['connect', 'disconnect', 'connect']);
  });

  it('keeps trying until vpcd listens', async () => {
    const probe = await startFakeVpcd();
    const port = probe.port;
    await probe.close();
    const card = createVirtualCard({ data });
    const service = serveOverVpcd(card, { port, reconnectDelayMs: 20 });
    cleanups.push(() => service.stop());
    await sleep(150);
    const vpcd = await startFakeVpcd(port);
    cleanups.push(() => vpcd.close());
    const peer = await vpcd.nextConnection();
    await service.connected;
    expect(hexOf(await peer.exchange('04'))).toBe(hexOf(HPKI_ATR));
  });

  it('drops a signature in progress when the card is pulled, then serves the next connection', async () => {
    const { vpcd } = await setup({ signDelayMs: 400 });
    const first = await vpcd.nextConnection();
    expect(sw(await first.exchange(`00a4040010${AUTH_AID}00`))).toBe('9000');
    expect(sw(await first.exchange('0020008804 31323334'))).toBe('9000');
    expect(sw(await first.exchange('002241b6048402000c'))).toBe('9000');
    first.socket.write(framed(pso));
    await sleep(50);
    first.socket.destroy();
    await expect(first.nextFrame(600)).rejects.toThrow(/no frame/);
    const second = await vpcd.nextConnection();
    expect(sw(await second.exchange(`00a4040010${AUTH_AID}00`))).toBe('9000');
    expect(sw(await second.exchange('0020008804 31323334'))).toBe('9000');
    expect(sw(await second.exchange('002241b6048402000c'))).toBe('9000');
    // Nothing of the pulled command leaks into the new connection.
    await expect(second.nextFrame(50)).rejects.toThrow(/no frame/);
    const started = Date.now();
    const signature = await second.exchange(pso);
    expect(Date.now() - started).toBeGreaterThanOrEqual(390);
    expect(signature).toHaveLength(258);
    expect(sw(signature)).toBe('9000');
  });

  it('stops: closes the connection and does not come back', async () => {
    const { vpcd, service } = await setup();
    const peer = await vpcd.nextConnection();
    await service.stop();
    await peer.closed;
    await sleep(300);
    expect(vpcd.connections).toHaveLength(1);
  });

  it('rejects `connected` when stopped before it ever connected', async () => {
    const probe = await startFakeVpcd();
    const port = probe.port;
    await probe.close();
    const service = serveOverVpcd(createVirtualCard({ data }), { port, reconnectDelayMs: 20 });
    await sleep(50);
    await service.stop();
    await expect(service.connected).rejects.toThrow(/stopped/);
  });
});
