import { PassThrough } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dispatch } from '../../../../native-host/host/dispatcher.js';
import { createFrameDecoder, encodeFrame } from '../../../../native-host/host/framing.js';
import { runHost } from '../../../../native-host/host/run-host.js';
import { createCountingBackend } from '../../../helpers/counting-backend.js';

function frame(value: unknown): Uint8Array {
  return encodeFrame(value);
}

function rawFrame(body: Uint8Array, declared = body.length): Uint8Array {
  const out = new Uint8Array(4 + body.length);
  new DataView(out.buffer).setUint32(0, declared, true);
  out.set(body, 4);
  return out;
}

/** Runs the host over in-memory pipes: feeds `input`, closes stdin, returns the exit code and decoded output. */
async function runWith(input: Uint8Array[], backend = createCountingBackend()) {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const chunks: Buffer[] = [];
  stdout.on('data', (c: Buffer) => chunks.push(c));
  const done = runHost({
    input: stdin,
    output: stdout,
    backendName: 'mock',
    createBackend: async () => backend,
    version: '0.0.0-test',
  });
  for (const c of input) stdin.write(c);
  stdin.end();
  const code = await done;
  const decoder = createFrameDecoder(64 * 1024);
  const frames = decoder.push(new Uint8Array(Buffer.concat(chunks)));
  return { code, messages: frames.map((f) => (f.kind === 'message' ? f.value : f)), backend };
}

describe('frame decoder', () => {
  it('decodes frames split at every byte boundary', () => {
    const bytes = new Uint8Array([...frame({ a: 1 }), ...frame({ b: 'é' })]);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const d = createFrameDecoder();
      const out = [...d.push(bytes.subarray(0, cut)), ...d.push(bytes.subarray(cut))];
      expect(out).toEqual([
        { kind: 'message', value: { a: 1 } },
        { kind: 'message', value: { b: 'é' } },
      ]);
    }
  });
  it('reports non-UTF-8 and non-JSON bodies and stays in sync', () => {
    const d = createFrameDecoder();
    const out = d.push(
      new Uint8Array([
        ...rawFrame(new Uint8Array([0xff, 0xfe])),
        ...rawFrame(new TextEncoder().encode('{x')),
        ...frame(1),
      ]),
    );
    expect(out.map((f) => f.kind)).toEqual(['malformed', 'malformed', 'message']);
  });
  it('stops at a frame over 8 KiB', () => {
    const d = createFrameDecoder();
    expect(d.push(rawFrame(new Uint8Array(0), 8 * 1024 + 1))).toEqual([{ kind: 'oversized', length: 8193 }]);
    expect(d.push(frame(1))).toEqual([]);
  });
  it('accepts exactly 8 KiB', () => {
    const body = new TextEncoder().encode(JSON.stringify('x'.repeat(8 * 1024 - 2)));
    expect(createFrameDecoder().push(rawFrame(body))[0]?.kind).toBe('message');
  });
  it('refuses to encode more than 64 KiB', () => {
    expect(() => encodeFrame('x'.repeat(64 * 1024))).toThrow(RangeError);
  });
});

describe('dispatcher', () => {
  const backend = createCountingBackend();
  const get = async () => backend;
  it.each([
    [{ id: 1, command: 'nope' }, 1],
    [{ id: 'a', command: 'status', params: { extra: true } }, 'a'],
    [{ id: 2, command: 'authenticate' }, 2],
    [
      {
        id: 3,
        command: 'authenticate',
        params: { origin: 'https://a.jp', challenge: 'short', pin: '1234', certificateSha256: '0'.repeat(64) },
      },
      3,
    ],
    [{ id: 4, command: 'get-certificate', params: { reader: '' } }, 4],
    [{ id: { x: 1 }, command: 'status' }, null],
    [{ command: 'status' }, null],
    [[1, 2], null],
    ['status', null],
  ])('answers %j with ERR_HPKI_INVALID_ARGUMENT', async (message, id) => {
    const response = await dispatch(message, get);
    expect(response).toEqual({ id, error: expect.objectContaining({ code: 'ERR_HPKI_INVALID_ARGUMENT' }) });
  });
  it('never echoes the PIN of a refused request', async () => {
    const response = await dispatch(
      {
        id: 5,
        command: 'authenticate',
        params: {
          origin: 'http://evil.example',
          challenge: 'a'.repeat(43),
          pin: '98765',
          certificateSha256: '0'.repeat(64),
        },
      },
      get,
    );
    expect(response).toEqual({ id: 5, error: expect.objectContaining({ code: 'ERR_HPKI_INSECURE_ORIGIN' }) });
    expect(JSON.stringify(response)).not.toContain('98765');
    const bad = await dispatch(
      {
        id: 6,
        command: 'authenticate',
        params: { origin: 'https://a.jp', challenge: 'a'.repeat(43), pin: '98 765', certificateSha256: '0'.repeat(64) },
      },
      get,
    );
    expect(JSON.stringify(bad)).not.toContain('98 765');
    expect(backend.calls.verifyPin).toBe(0);
  });
  it('refuses a changed card before the PIN is presented', async () => {
    const response = await dispatch(
      {
        id: 7,
        command: 'authenticate',
        params: { origin: 'https://a.jp', challenge: 'a'.repeat(43), pin: '1234', certificateSha256: '0'.repeat(64) },
      },
      get,
    );
    expect(response).toEqual({ id: 7, error: expect.objectContaining({ code: 'ERR_HPKI_CARD_CHANGED' }) });
    expect(backend.calls.verifyPin).toBe(0);
  });
});

describe('host loop', () => {
  it('says hello first, answers in order and exits 0 on EOF', async () => {
    const { code, messages } = await runWith([frame({ id: 1, command: 'status' }), frame({ id: 2, command: 'x' })]);
    expect(code).toBe(0);
    expect(messages[0]).toEqual({ hello: { protocol: 1, version: '0.0.0-test', backend: 'mock' } });
    expect(messages[1]).toEqual({
      id: 1,
      result: { readers: [{ name: 'Counting Reader', cardPresent: true, cardType: 'hpki' }] },
    });
    expect(messages[2]).toEqual({ id: 2, error: expect.objectContaining({ code: 'ERR_HPKI_INVALID_ARGUMENT' }) });
  });
  it('answers a malformed frame in its place, after the requests before it', async () => {
    const both = new Uint8Array([...frame({ id: 1, command: 'status' }), ...rawFrame(new TextEncoder().encode('{x'))]);
    const { messages } = await runWith([both]);
    expect(messages.slice(1)).toEqual([
      { id: 1, result: expect.any(Object) },
      { id: null, error: expect.objectContaining({ code: 'ERR_HPKI_INVALID_ARGUMENT' }) },
    ]);
  });
  it('answers an oversized frame and exits non-zero', async () => {
    const { code, messages } = await runWith([
      rawFrame(new Uint8Array(10), 1 << 20),
      frame({ id: 1, command: 'status' }),
    ]);
    expect(code).toBe(1);
    expect(messages.slice(1)).toEqual([
      { id: null, error: expect.objectContaining({ code: 'ERR_HPKI_INVALID_ARGUMENT' }) },
    ]);
  });
  it('answers the requests before an oversized frame first, in order, then it', async () => {
    const both = new Uint8Array([...frame({ id: 1, command: 'status' }), ...rawFrame(new Uint8Array(10), 9000)]);
    const { code, messages } = await runWith([both]);
    expect(code).toBe(1);
    expect(messages.slice(1)).toEqual([
      { id: 1, result: expect.any(Object) },
      { id: null, error: expect.objectContaining({ code: 'ERR_HPKI_INVALID_ARGUMENT' }) },
    ]);
  });
  it.each([
    ['a body cut short', rawFrame(new Uint8Array(5), 40)],
    ['half a length', new Uint8Array([0x10, 0x00])],
  ])('exits non-zero when the input ends inside a frame: %s', async (_name, cut) => {
    const { code, messages } = await runWith([frame({ id: 1, command: 'status' }), cut]);
    expect(code).toBe(1);
    expect(messages.slice(1)).toEqual([{ id: 1, result: expect.any(Object) }]);
  });
  it('reports a backend that cannot start with the request id', async () => {
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    const out: Buffer[] = [];
    stdout.on('data', (c: Buffer) => out.push(c));
    const { HpkiError } = await import('../../../../protocol/errors.js');
    const done = runHost({
      input: stdin,
      output: stdout,
      backendName: 'pcsc',
      version: 't',
      createBackend: async () => {
        throw new HpkiError('ERR_HPKI_NO_READER', 'pcscd is not running');
      },
    });
    stdin.end(Buffer.from(frame({ id: 9, command: 'status' })));
    expect(await done).toBe(0);
    const frames = createFrameDecoder(1 << 16).push(new Uint8Array(Buffer.concat(out)));
    expect(frames[1]).toEqual({
      kind: 'message',
      value: { id: 9, error: { code: 'ERR_HPKI_NO_READER', message: 'pcscd is not running' } },
    });
  });
});

describe('property: random and malformed input never crashes, hangs or signs', () => {
  const commandish = fc.record(
    {
      id: fc.oneof(fc.string({ maxLength: 200 }), fc.integer(), fc.double(), fc.constant(null)),
      command: fc.constantFrom('status', 'get-certificate', 'authenticate', 'sign', '', 'AUTHENTICATE'),
      params: fc.oneof(
        fc.jsonValue({ maxDepth: 3 }),
        fc.record(
          {
            origin: fc.oneof(fc.webUrl(), fc.string()),
            challenge: fc.string({ maxLength: 140 }),
            pin: fc.string({ maxLength: 20 }),
            certificateSha256: fc.oneof(fc.stringMatching(/^[0-9a-f]{64}$/), fc.string()),
            reader: fc.string(),
          },
          { requiredKeys: [] },
        ),
      ),
    },
    { requiredKeys: [] },
  );
  const inputFrame = fc.oneof(
    commandish.map((v) => frame(v)),
    fc.jsonValue({ maxDepth: 4 }).map((v) => frame(v)),
    fc.uint8Array({ maxLength: 64 }).map((b) => rawFrame(b)),
    fc.uint8Array({ maxLength: 64 }),
    fc.integer({ min: 0, max: 0xffffffff }).map((n) => rawFrame(new Uint8Array(0), n)),
  );

  it('over ≥ 10,000 generated frames', async () => {
    let frames = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(inputFrame, { minLength: 1, maxLength: 12 }), async (input) => {
        frames += input.length;
        const { code, messages, backend } = await runWith(input);
        expect([0, 1]).toContain(code);
        expect(backend.calls.sign).toBe(0);
        expect(backend.calls.verifyPin).toBe(0);
        for (const m of messages.slice(1)) {
          if ('result' in (m as object)) {
            // status and get-certificate need no PIN; nothing generated ever yields a token.
            expect(JSON.stringify(m)).not.toContain('"token"');
            continue;
          }
          const error = (m as { error: { code: string } }).error;
          expect(['ERR_HPKI_INVALID_ARGUMENT', 'ERR_HPKI_INSECURE_ORIGIN', 'ERR_HPKI_CARD_CHANGED']).toContain(
            error.code,
          );
        }
      }),
      { numRuns: 2_500 },
    );
    expect(frames).toBeGreaterThanOrEqual(10_000);
  }, 120_000);
});
