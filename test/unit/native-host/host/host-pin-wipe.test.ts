import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryBackend } from '../../../../native-host/backends/memory-backend.js';
import { openHpkiToken } from '../../../../native-host/card/hpki-apdu-token.js';
import { dispatch } from '../../../../native-host/host/dispatcher.js';
import { createFrameDecoder, encodeFrame } from '../../../../native-host/host/framing.js';
import { runHost } from '../../../../native-host/host/run-host.js';
import { loadOrCreateMockPki } from '../../../../native-host/mock-pki/index.js';
import { createMemoryTransport } from '../../../../native-host/transport/memory-transport.js';
import { createCardFile, createVirtualCard, loadCardFile } from '../../../../native-host/virtual-card/index.js';
import { createCountingBackend } from '../../../helpers/counting-backend.js';

/**
 * Issue 12, finding 6: the copies of the PIN that the host makes (the native messaging chunks, the
 * decoder's buffers, the request's PIN field, the VERIFY APDU) are overwritten once the command is
 * done. Best effort: JavaScript strings cannot be wiped (SECURITY.md).
 */

const PIN = '4321';
const ORIGIN = 'https://harenet.example.jp';
const CHALLENGE = 'q1Yk3hV0b7mX9sQ2pL4nR8tW6zA5cE1dF0gH3jK7mN0';

let dir: string;
let cardPath: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hpki-pin-wipe-'));
  const pki = await loadOrCreateMockPki(join(dir, 'pki'));
  cardPath = join(dir, 'doctor.card');
  await createCardFile(cardPath, { pki, name: 'Nichii Taro', role: 'Medical Doctor', pin: PIN });
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function containsPin(bytes: Uint8Array): boolean {
  return Buffer.from(bytes).includes(Buffer.from(PIN));
}

describe('PIN copies are wiped after the command', () => {
  it('the native messaging chunks the host was given are all zeros once authenticate has answered', async () => {
    const backend = createMemoryBackend({ cardPath });
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    const out: Buffer[] = [];
    stdout.on('data', (c: Buffer) => out.push(c));
    const done = runHost({
      input: stdin,
      output: stdout,
      backendName: 'mock',
      createBackend: async () => backend,
      version: 't',
    });
    const first = Buffer.from(encodeFrame({ id: 1, command: 'get-certificate' }));
    stdin.write(first);
    // Wait for the certificate, then send authenticate split across two chunks (the decoder buffers the first).
    const certificateSha256 = await new Promise<string>((resolve) => {
      const decoder = createFrameDecoder(1 << 20);
      stdout.on('data', (c: Buffer) => {
        for (const f of decoder.push(new Uint8Array(c))) {
          if (f.kind === 'message' && (f.value as { id?: unknown }).id === 1)
            resolve((f.value as { result: { certificateSha256: string } }).result.certificateSha256);
        }
      });
    });
    const frame = Buffer.from(
      encodeFrame({
        id: 2,
        command: 'authenticate',
        params: { origin: ORIGIN, challenge: CHALLENGE, pin: PIN, certificateSha256 },
      }),
    );
    const cut = frame.indexOf(Buffer.from(PIN)) + 2;
    const chunks = [Buffer.from(frame.subarray(0, cut)), Buffer.from(frame.subarray(cut))];
    expect(chunks.some(containsPin)).toBe(false);
    expect(containsPin(Buffer.concat(chunks))).toBe(true);
    for (const c of chunks) stdin.write(c);
    stdin.end();
    expect(await done).toBe(0);
    const answers = createFrameDecoder(1 << 20).push(new Uint8Array(Buffer.concat(out)));
    expect(answers[2]).toMatchObject({
      kind: 'message',
      value: { id: 2, result: { token: { signature: expect.any(String) } } },
    });
    for (const c of [first, ...chunks]) expect(c.every((b) => b === 0)).toBe(true);
  });

  it("the request's PIN field is overwritten after the command, whether it succeeded or not", async () => {
    const backend = createCountingBackend();
    const certificateSha256 = 'a'.repeat(64);
    const request = {
      id: 3,
      command: 'authenticate',
      params: { origin: ORIGIN, challenge: CHALLENGE, pin: PIN, certificateSha256 },
    };
    const answer = await dispatch(request, async () => backend);
    expect('error' in answer).toBe(true);
    expect(request.params.pin).toBe('');

    const invalid = { id: 4, command: 'authenticate', params: { origin: ORIGIN, pin: PIN } };
    await dispatch(invalid, async () => backend);
    expect(invalid.params.pin).toBe('');
  });

  it('the VERIFY APDU that carried the PIN is zeroed once the card has answered', async () => {
    const card = createVirtualCard({ data: loadCardFile(cardPath) });
    const inner = createMemoryTransport(card);
    const sent: { ins: number; bytes: Uint8Array }[] = [];
    const token = await openHpkiToken({
      transmit: (command) => {
        sent.push({ ins: command[1]!, bytes: command });
        return inner.transmit(command.slice());
      },
      close: () => inner.close(),
    });
    await token.verifyPin(PIN);
    const verify = sent.filter((c) => c.bytes.length > 5 && c.ins === 0x20);
    expect(verify).toHaveLength(1);
    expect(verify[0]!.bytes.every((b) => b === 0)).toBe(true);
    await token.close();
  });
});
