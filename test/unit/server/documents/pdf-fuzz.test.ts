import { constants, createPrivateKey, privateEncrypt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadOrCreateMockPki } from '../../../../native-host/mock-pki/index.js';
import { createCardFile, loadCardFile, readKeyPair } from '../../../../native-host/virtual-card/index.js';
import { buildDigestInfo } from '../../../../protocol/digest-info.js';
import { HpkiError } from '../../../../protocol/errors.js';
import { finishPades, preparePades, verifyPades } from '../../../../server/documents/pades/index.js';
import { PdfDocument } from '../../../../server/documents/pades/pdf-document.js';
import { addSignatureField } from '../../../../server/documents/pades/signature-field.js';
import { findSignatures } from '../../../../server/documents/pades/signature-fields.js';
import { classicPdf, xrefStreamPdf } from '../../../helpers/pdf-samples.js';

/**
 * A fuzz test of the PDF reader (issue 23): 10 000 inputs (mutated signed PDFs of both layouts,
 * soups of PDF tokens behind a valid-looking header and startxref, and random bytes). Each is read
 * for signing and for verifying; each either reads or is refused with ERR_DOCUMENT_MALFORMED, never
 * anything else, and none takes long. The figures go to docs/signing.md ("PAdES").
 */

const RUNS = 10_000;
const SLOW_MS = 1_000;

function seeds(): Uint8Array[] {
  return [classicPdf(), xrefStreamPdf()].flatMap((pdf) => {
    const prepared = addSignatureField(new PdfDocument(pdf), { signingTime: new Date(0), contentsBytes: 1024 });
    const twice = addSignatureField(new PdfDocument(prepared.pdf), { signingTime: new Date(0), contentsBytes: 1024 });
    return [pdf, prepared.pdf, twice.pdf];
  });
}

const SEEDS = seeds();

type Edit = { at: number; kind: 'flip' | 'insert' | 'delete' | 'cut'; byte: number; span: number };

const editArbitrary: fc.Arbitrary<Edit> = fc.record({
  at: fc.nat(),
  kind: fc.constantFrom('flip', 'flip', 'flip', 'insert', 'delete', 'cut'),
  byte: fc.constantFrom(0x00, 0x0a, 0x20, 0x28, 0x29, 0x2f, 0x30, 0x31, 0x39, 0x3c, 0x3e, 0x5b, 0x5d, 0x52, 0xff),
  span: fc.integer({ min: 1, max: 64 }),
});

function applyEdits(seed: Uint8Array, edits: Edit[]): Uint8Array {
  let bytes = Buffer.from(seed);
  for (const edit of edits) {
    const at = edit.at % Math.max(1, bytes.length);
    if (edit.kind === 'flip') bytes[at] = edit.byte;
    else if (edit.kind === 'insert')
      bytes = Buffer.concat([bytes.subarray(0, at), Buffer.alloc(edit.span, edit.byte), bytes.subarray(at)]);
    else if (edit.kind === 'delete') bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + edit.span)]);
    else bytes = bytes.subarray(0, at);
  }
  return new Uint8Array(bytes);
}

const mutated = fc
  .tuple(fc.integer({ min: 0, max: SEEDS.length - 1 }), fc.array(editArbitrary, { minLength: 1, maxLength: 6 }))
  .map(([seed, edits]) => applyEdits(SEEDS[seed]!, edits));

const TOKENS = [
  '<<',
  '>>',
  '[',
  ']',
  '/Type',
  '/Root',
  '/Pages',
  '/Kids',
  '/AcroForm',
  '/Fields',
  '/V',
  '/FT',
  '/Sig',
  '1 0 R',
  '2 0 R',
  '0',
  '-1',
  '99999999999',
  '(s)',
  '<ab>',
  'obj',
  'endobj',
  'stream\n',
  'endstream',
  'xref',
  'trailer',
  '/Prev',
  '/Length',
  '/ObjStm',
  '/XRef',
  '/W',
  'null',
  ' ',
];

/** A file of random tokens, with a startxref to its start: the reader meets every construct in wrong places. */
const soup = fc.array(fc.constantFrom(...TOKENS), { maxLength: 200 }).map((tokens) => {
  const body = `%PDF-1.7\n1 0 obj\n${tokens.join(' ')}\nxref\n0 2\n0000000000 65535 f\r\n0000000009 00000 n\r\ntrailer\n<< /Size 2 /Root 1 0 R >>\n`;
  return new Uint8Array(Buffer.from(`${body}startxref\n${body.indexOf('xref')}\n%%EOF\n`, 'latin1'));
});

const randomBytes = fc
  .uint8Array({ maxLength: 2048 })
  .map((b) => new Uint8Array(Buffer.concat([Buffer.from('%PDF-1.7\n'), b])));

/** Reads a file as signing and verifying do; returns whether it read. */
function read(bytes: Uint8Array): boolean {
  try {
    const doc = new PdfDocument(bytes);
    findSignatures(doc);
    addSignatureField(doc, { signingTime: new Date(0), contentsBytes: 1024 });
    return true;
  } catch (err) {
    if (!(err instanceof HpkiError) || err.code !== 'ERR_DOCUMENT_MALFORMED') throw err;
    return false;
  }
}

describe('fuzzing the PDF reader', () => {
  it(`answers ${RUNS} inputs with a reading or ERR_DOCUMENT_MALFORMED, each quickly`, () => {
    const stats = { read: 0, refused: 0, slowestMs: 0 };
    const started = performance.now();
    fc.assert(
      fc.property(
        fc.oneof(
          { weight: 6, arbitrary: mutated },
          { weight: 3, arbitrary: soup },
          { weight: 1, arbitrary: randomBytes },
        ),
        (bytes) => {
          const t0 = performance.now();
          if (read(bytes)) stats.read++;
          else stats.refused++;
          const ms = performance.now() - t0;
          stats.slowestMs = Math.max(stats.slowestMs, ms);
          expect(ms).toBeLessThan(SLOW_MS);
        },
      ),
      { numRuns: RUNS },
    );
    const totalMs = Math.round(performance.now() - started);
    console.log(
      `PDF reader fuzz: ${RUNS} inputs, ${stats.read} read, ${stats.refused} refused, slowest ${stats.slowestMs.toFixed(1)} ms, total ${totalMs} ms`,
    );
    expect(stats.read + stats.refused).toBe(RUNS);
    expect(stats.read).toBeGreaterThan(0);
    expect(stats.refused).toBeGreaterThan(0);
  }, 300_000);

  it('verifyPades answers mutated files, signed ones too, with a report, never a rejection', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pdf-fuzz-'));
    const pki = await loadOrCreateMockPki(join(dir, 'pki'));
    await createCardFile(join(dir, 'card'), { pki, name: 'Fuzz Taro', role: 'Medical Doctor', pin: '1234' });
    const pair = readKeyPair(loadCardFile(join(dir, 'card')), 'sign');
    rmSync(dir, { recursive: true, force: true });
    const key = createPrivateKey({ key: Buffer.from(pair.privateKeyPkcs8), format: 'der', type: 'pkcs8' });
    const signedSeeds: Uint8Array[] = [];
    for (const pdf of [classicPdf(), xrefStreamPdf()]) {
      const pending = preparePades({
        pdf,
        certificate: pair.certificate,
        intermediates: pair.caCertificates.slice(0, 1),
      });
      const signature = privateEncrypt(
        { key, padding: constants.RSA_PKCS1_PADDING },
        buildDigestInfo('SHA-256', pending.hash),
      );
      signedSeeds.push(await finishPades(pending.state, new Uint8Array(signature)));
    }
    const options = { anchors: [pki.root.certificate], revocation: 'off' as const };
    expect((await verifyPades(signedSeeds[0]!, options)).valid).toBe(true);
    const signedMutants = fc
      .tuple(fc.constantFrom(...signedSeeds), fc.array(editArbitrary, { minLength: 1, maxLength: 3 }))
      .map(([seed, edits]) => applyEdits(seed, edits));
    let valid = 0;
    await fc.assert(
      fc.asyncProperty(fc.oneof(mutated, signedMutants), async (bytes) => {
        const report = await verifyPades(bytes, options);
        if (report.valid) valid++;
        expect(report.format).toBe('pades');
        if (!report.valid) expect(report.error).toMatch(/^ERR_/);
      }),
      { numRuns: 300 },
    );
    // Some edits land where no signature looks (the /Contents padding): those stay valid, rightly.
    expect(valid).toBeLessThan(300);
  }, 120_000);
});
