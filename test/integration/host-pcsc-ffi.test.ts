import { createHash, pbkdf2 } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPcscBackend } from '../../native-host/backends/pcsc/backend.js';
import { createPcscPresence } from '../../native-host/backends/pcsc/presence.js';
import { type NativeClient, startCliHost } from '../../scripts/dev/native-client.js';
import { type PcscdHandle, startPcscd, VPCD_READER } from '../../scripts/dev/pcscd.js';
import {
  createCardFile,
  type ServedCard,
  serveCard,
  waitForCardPresence,
} from '../../scripts/dev/virtual-card-process.js';

/**
 * The koffi binding over a real pcscd with the vpcd reader: the host answers while a blocking wait
 * is pending, exits at once when stdin closes in the middle of one, a card pulled between or during
 * commands is ERR_HPKI_NO_CARD / ERR_HPKI_CARD_REMOVED with the host alive, many waits in one
 * process hold one pool thread, and the host process maps koffi and no compiled PC/SC addon.
 */

const ORIGIN = 'https://harenet.example.jp';
const CHALLENGE = 'q1Yk3hV0b7mX9sQ2pL4nR8tW6zA5cE1dF0gH3jK7mN0';
const GONE = ['ERR_HPKI_CARD_REMOVED', 'ERR_HPKI_NO_CARD'];

let pcscd: PcscdHandle;
let dir: string;
let pki: string;
let cardFile: string;

beforeAll(async () => {
  pcscd = await startPcscd();
  dir = mkdtempSync(join(tmpdir(), 'hpki-pcsc-ffi-'));
  pki = join(dir, 'pki');
  cardFile = join(dir, 'doctor.card');
  await createCardFile(cardFile, pki, ['--pin', '1234']);
}, 300_000);

afterAll(async () => {
  await pcscd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function insert(extra: string[] = []): Promise<ServedCard> {
  const card = await serveCard(cardFile, extra);
  await waitForCardPresence(VPCD_READER, true);
  return card;
}

async function pull(card: ServedCard): Promise<void> {
  await card.kill();
  await waitForCardPresence(VPCD_READER, false);
}

async function statusOf(host: NativeClient, id: string): Promise<{ name: string; cardPresent: boolean }[]> {
  const answer = await host.request({ id, command: 'status' });
  expect(answer.id).toBe(id);
  return (answer.result as { readers: { name: string; cardPresent: boolean }[] }).readers;
}

function authenticateParams(certificate: string) {
  const sha = createHash('sha256').update(Buffer.from(certificate, 'base64')).digest('hex');
  return { origin: ORIGIN, challenge: CHALLENGE, pin: '1234', certificateSha256: sha };
}

describe('PC/SC through koffi, over pcscd + vpcd', () => {
  it('the host process maps koffi and libpcsclite, and no compiled PC/SC addon', async () => {
    const card = await insert();
    const host = startCliHost(['--backend', 'pcsc']);
    expect(await statusOf(host, 's')).toContainEqual({ name: VPCD_READER, cardPresent: true, cardType: null });
    const maps = readFileSync(`/proc/${host.process.pid}/maps`, 'utf8');
    expect(maps).toMatch(/\/koffi\.node$/m);
    expect(maps).toMatch(/libpcsclite\.so/);
    expect(maps).not.toContain('pcsclite.node');
    expect(await host.close()).toBe(0);
    await pull(card);
  });

  it('find-cards waits for a card; with watch-card pending, status is answered, then the pull is told', async () => {
    const host = startCliHost(['--backend', 'pcsc']);
    const first = await host.request({ id: 'f', command: 'find-cards', params: { waitMs: 30_000 } });
    expect(first).toEqual({ id: 'f', event: { type: 'waiting-for-card' } });
    const card = await serveCard(cardFile);
    const found = await host.next(20_000);
    expect(found).toMatchObject({ id: 'f', result: { cards: [{ reader: VPCD_READER, cardType: 'hpki' }] } });

    expect(await host.request({ id: 'w', command: 'watch-card', params: { reader: VPCD_READER } })).toEqual({
      id: 'w',
      result: {},
    });
    // The watch's SCardGetStatusChange is pending on a pool thread; requests are still answered.
    for (const id of ['s1', 's2', 's3']) {
      const started = Date.now();
      expect(await statusOf(host, id)).toContainEqual({ name: VPCD_READER, cardPresent: true, cardType: null });
      expect(Date.now() - started).toBeLessThan(5_000);
    }
    const got = await host.request({ id: 'g', command: 'get-certificate' });
    expect(got.result).toMatchObject({ reader: VPCD_READER, pinRetriesLeft: 15 });

    await card.kill();
    expect(await host.next(10_000)).toEqual({ event: { type: 'card-removed', reader: VPCD_READER } });
    await waitForCardPresence(VPCD_READER, false);
    expect(await statusOf(host, 'after')).toContainEqual({ name: VPCD_READER, cardPresent: false, cardType: null });
    expect(await host.close()).toBe(0);
  });

  it('stdin closing while waits are pending: the waits are cancelled and the host exits within 1 s', async () => {
    const card = await insert();
    const host = startCliHost(['--backend', 'pcsc']);
    await host.request({ id: 'w', command: 'watch-card', params: { reader: VPCD_READER } });
    await statusOf(host, 's');
    await sleep(300); // the watch is now blocked in SCardGetStatusChange
    const started = Date.now();
    expect(await host.close()).toBe(0);
    expect(Date.now() - started).toBeLessThan(1_000);
    await pull(card);

    const waiting = startCliHost(['--backend', 'pcsc']);
    expect(await waiting.request({ id: 'f', command: 'find-cards', params: { waitMs: 60_000 } })).toMatchObject({
      event: { type: 'waiting-for-card' },
    });
    await sleep(300);
    const before = Date.now();
    await waiting.close();
    expect(Date.now() - before).toBeLessThan(1_000);
  });
});

describe('PC/SC through koffi: cards pulled mid-flow, and many waits', () => {
  it('a card pulled between two commands, five times: ERR_HPKI_NO_CARD or ERR_HPKI_CARD_REMOVED, never internal', {
    timeout: 180_000,
  }, async () => {
    const host = startCliHost(['--backend', 'pcsc']);
    const codes: string[] = [];
    for (let i = 0; i < 5; i++) {
      const card = await insert();
      const got = await host.request({ id: `g${i}`, command: 'get-certificate' });
      const certificate = (got.result as { certificate: string }).certificate;
      await card.kill();
      const answer = await host.request({
        id: `a${i}`,
        command: 'authenticate',
        params: authenticateParams(certificate),
      });
      const code = (answer.error as { code?: string } | undefined)?.code ?? 'no error';
      codes.push(code);
      await waitForCardPresence(VPCD_READER, false);
    }
    console.log(`card pulled between get-certificate and authenticate: ${codes.join(', ')}`);
    for (const code of codes) expect(GONE).toContain(code);
    expect(await statusOf(host, 'alive')).toContainEqual({ name: VPCD_READER, cardPresent: false, cardType: null });
    expect(host.stderr()).not.toContain('internal error');
    expect(await host.close()).toBe(0);
  });

  it('a card pulled while the card signs, three times: ERR_HPKI_CARD_REMOVED, and the host goes on', {
    timeout: 120_000,
  }, async () => {
    const host = startCliHost(['--backend', 'pcsc']);
    const codes: string[] = [];
    for (let i = 0; i < 3; i++) {
      const card = await insert(['--sign-delay-ms', '3000']);
      const got = await host.request({ id: `g${i}`, command: 'get-certificate' });
      const certificate = (got.result as { certificate: string }).certificate;
      const pending = host.request({ id: `a${i}`, command: 'authenticate', params: authenticateParams(certificate) });
      await sleep(1_200);
      await card.kill();
      codes.push(((await pending).error as { code?: string } | undefined)?.code ?? 'no error');
      await waitForCardPresence(VPCD_READER, false);
    }
    console.log(`card pulled while signing: ${codes.join(', ')}`);
    for (const code of codes) expect(code).toBe('ERR_HPKI_CARD_REMOVED');
    const card = await insert();
    expect((await host.request({ id: 'again', command: 'get-certificate' })).result).toMatchObject({
      reader: VPCD_READER,
    });
    expect(await host.close()).toBe(0);
    await pull(card);
  });

  it('sixteen waits in one process hold one pool thread: card commands and file and crypto work go on', async () => {
    const card = await insert();
    const presence = createPcscPresence();
    const backend = createPcscBackend({ busyTimeoutMs: 3_000 });
    const removed: string[] = [];
    const stops = Array.from({ length: 16 }, (_, i) => presence.watchRemoval(VPCD_READER, () => removed.push(`w${i}`)));
    await sleep(500);
    expect(presence.monitor.pendingWaits()).toBe(1);
    const started = Date.now();
    // Four pool users at once besides the wait (the pool has four threads): none may starve.
    const [readers] = await Promise.all([
      backend.listReaders(),
      readFile(cardFile),
      promisify(pbkdf2)('x', 'y', 50_000, 32, 'sha256'),
      promisify(pbkdf2)('x', 'z', 50_000, 32, 'sha256'),
    ]);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(readers).toContainEqual({ name: VPCD_READER, cardPresent: true, cardType: 'hpki' });
    expect(presence.monitor.pendingWaits()).toBe(1);
    await card.kill();
    for (let i = 0; i < 50 && removed.length < 16; i++) await sleep(100);
    expect(removed).toHaveLength(16);
    for (const stop of stops) stop();
    for (let i = 0; i < 20 && presence.monitor.pendingWaits() > 0; i++) await sleep(100);
    expect(presence.monitor.pendingWaits()).toBe(0);
    await waitForCardPresence(VPCD_READER, false);
  });
});
