import { constants, createPrivateKey, privateEncrypt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateMockPki, writeCurrentCrls } from '../../../../native-host/mock-pki/index.js';
import { createCardFile, loadCardFile, readKeyPair } from '../../../../native-host/virtual-card/index.js';
import { buildDigestInfo } from '../../../../protocol/digest-info.js';
import { DOCUMENT_ERROR_CODES, HpkiError, VALIDATION_ERROR_CODES } from '../../../../protocol/errors.js';
import { createTestPki } from '../../../../scripts/dev/test-pki.js';
import { startTestTsa } from '../../../../scripts/dev/test-tsa.js';
import { finishCades, prepareCades, verifyCades } from '../../../../server/documents/cms/index.js';
import type { DocumentVerifyOptions } from '../../../../server/documents/document-types.js';
import { buildTsaRequest, readTsaResponse, type TsaRequest } from '../../../../server/documents/timestamp/index.js';

/**
 * Hostile input for the two parsers of issue 23 (docs/signing.md gives the figures): 10 000 inputs
 * each for the CMS signature reader (verifyCades) and the TSA response reader (readTsaResponse):
 * random bytes, mutations of a real file (bit flips, cut, inserted and deleted bytes, lengths made
 * absurd), and DER built to hurt (deep nesting, huge declared lengths, many elements). Each answers
 * a report or an HpkiError with a known code; nothing else is thrown, and no input takes long.
 */

const RUNS = 10_000;
/** Far above the slowest input seen on two shared, busy cores; a hang or a quadratic blow-up exceeds it. */
const MAX_MS_PER_INPUT = 1000;
const KNOWN: ReadonlySet<string> = new Set([...DOCUMENT_ERROR_CODES, ...VALIDATION_ERROR_CODES]);

type Mutation = { at: number; op: 'flip' | 'cut' | 'insert' | 'delete' | 'length'; value: number };

function mutate(base: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let bytes = base.slice();
  for (const m of mutations) {
    const at = m.at % Math.max(bytes.length, 1);
    if (m.op === 'flip') bytes[at] = (bytes[at] ?? 0) ^ (1 << (m.value % 8));
    else if (m.op === 'cut') bytes = bytes.slice(0, at);
    else if (m.op === 'insert') bytes = Uint8Array.from([...bytes.subarray(0, at), m.value, ...bytes.subarray(at)]);
    else if (m.op === 'delete') bytes = Uint8Array.from([...bytes.subarray(0, at), ...bytes.subarray(at + 1)]);
    else bytes[at] = 0x80 | (m.value % 5); // a long-form length octet: 0x80 (indefinite) to 0x84 (four octets)
  }
  return bytes;
}

/** DER designed to hurt a parser: nesting `depth` deep, a huge declared length, or many tiny elements. */
function hostileDer(kind: number, n: number): Uint8Array {
  if (kind === 0) {
    const depth = 1 + (n % 5000);
    const out = new Uint8Array(depth * 2);
    for (let i = 0; i < depth; i++) out.set([0x30, 0x80], i * 2);
    return out;
  }
  if (kind === 1) return Uint8Array.of(0x30, 0x84, 0x7f, 0xff, 0xff, 0xff, 0x06, 0x09);
  const count = 1 + (n % 20_000);
  const body = new Uint8Array(count * 2).fill(0x05).map((v, i) => (i % 2 === 0 ? v : 0));
  const length = body.length;
  return Uint8Array.from([0x30, 0x83, (length >> 16) & 0xff, (length >> 8) & 0xff, length & 0xff, ...body]);
}

function inputs(valid: Uint8Array): fc.Arbitrary<Uint8Array> {
  const mutation = fc.record({
    at: fc.nat(),
    op: fc.constantFrom('flip', 'cut', 'insert', 'delete', 'length'),
    value: fc.integer({ min: 0, max: 255 }),
  }) as fc.Arbitrary<Mutation>;
  return fc.oneof(
    { weight: 2, arbitrary: fc.uint8Array({ maxLength: 4096 }) },
    { weight: 6, arbitrary: fc.array(mutation, { minLength: 1, maxLength: 4 }).map((m) => mutate(valid, m)) },
    { weight: 1, arbitrary: fc.tuple(fc.nat(2), fc.nat()).map(([k, n]) => hostileDer(k, n)) },
  );
}

interface Figures {
  runs: number;
  totalMs: number;
  maxMs: number;
  accepted: number;
}

function figures(): Figures {
  return { runs: 0, totalMs: 0, maxMs: 0, accepted: 0 };
}

function timed(f: Figures, started: number, input: Uint8Array): void {
  const ms = performance.now() - started;
  if (ms > 500)
    console.log(
      `slow input: ${ms.toFixed(0)} ms, ${input.length} bytes, starts ${Buffer.from(input.subarray(0, 12)).toString('hex')}`,
    );
  f.runs++;
  f.totalMs += ms;
  f.maxMs = Math.max(f.maxMs, ms);
  expect(ms).toBeLessThan(MAX_MS_PER_INPUT);
}

function print(what: string, f: Figures): void {
  const mean = (f.totalMs / f.runs).toFixed(3);
  console.log(
    `${what}: ${f.runs} inputs in ${(f.totalMs / 1000).toFixed(2)} s (mean ${mean} ms, max ${f.maxMs.toFixed(1)} ms), ${f.accepted} still accepted`,
  );
}

let dir: string;
let cms: Uint8Array;
let data: Uint8Array;
let options: DocumentVerifyOptions;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'document-fuzz-'));
  const pki = await loadOrCreateMockPki(join(dir, 'pki'));
  const file = join(dir, 'doctor.card');
  await createCardFile(file, { pki, name: 'Fuzz Taro', role: 'Medical Doctor', pin: '1234' });
  const pair = readKeyPair(loadCardFile(file), 'sign');
  const key = createPrivateKey({ key: Buffer.from(pair.privateKeyPkcs8), format: 'der', type: 'pkcs8' });
  data = new TextEncoder().encode('fuzzed document');
  const pending = prepareCades({ data, certificate: pair.certificate, intermediates: pair.caCertificates.slice(0, 1) });
  const signature = privateEncrypt(
    { key, padding: constants.RSA_PKCS1_PADDING },
    buildDigestInfo('SHA-256', pending.hash),
  );
  cms = await finishCades(pending.state, new Uint8Array(signature));
  options = {
    anchors: [pki.root.certificate],
    crls: [(await writeCurrentCrls(pki)).signCaCrl],
    data,
  } as DocumentVerifyOptions;
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('fuzz', () => {
  it(`the CMS signature reader: ${RUNS} inputs, each a report with a known code, none slow`, {
    timeout: 600_000,
  }, async () => {
    expect((await verifyCades(cms, { ...options, data })).valid).toBe(true);
    const f = figures();
    await fc.assert(
      fc.asyncProperty(inputs(cms), async (input) => {
        const started = performance.now();
        const report = await verifyCades(input, { ...options, data });
        timed(f, started, input);
        if (report.valid) f.accepted++;
        else expect(KNOWN.has(report.error ?? '')).toBe(true);
      }),
      { numRuns: RUNS },
    );
    print('CMS reader', f);
    expect(f.runs).toBe(RUNS);
  });

  it(`the TSA response reader: ${RUNS} inputs, each a token or ERR_TSA_REFUSED, none slow`, {
    timeout: 600_000,
  }, async () => {
    const pki = createTestPki();
    const tsa = await startTestTsa({ tsa: pki.issueTsa(), chain: [pki.root.certificate] });
    let request: TsaRequest;
    let response: Uint8Array;
    try {
      request = buildTsaRequest('SHA-256', new Uint8Array(32).fill(7));
      const answer = await fetch(tsa.url, {
        method: 'POST',
        headers: { 'content-type': 'application/timestamp-query' },
        body: request.der,
      });
      response = new Uint8Array(await answer.arrayBuffer());
    } finally {
      await tsa.stop();
    }
    expect(readTsaResponse(response, request).length).toBeGreaterThan(0);
    const f = figures();
    fc.assert(
      fc.property(inputs(response), (input) => {
        const started = performance.now();
        try {
          readTsaResponse(input, request);
          f.accepted++;
        } catch (err) {
          expect(err).toBeInstanceOf(HpkiError);
          expect((err as HpkiError).code).toBe('ERR_TSA_REFUSED');
        }
        timed(f, started, input);
      }),
      { numRuns: RUNS },
    );
    print('TSA response reader', f);
    expect(f.runs).toBe(RUNS);
  });
});
