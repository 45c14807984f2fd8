import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { definiteLengths } from '../../../../server/documents/pades/ber-lengths.js';
import { verifyPades } from '../../../../server/documents/pades/index.js';
import { PdfDocument } from '../../../../server/documents/pades/pdf-document.js';
import { DEFAULT_PDF_LIMITS } from '../../../../server/documents/pades/pdf-limits.js';
import { addSignatureField } from '../../../../server/documents/pades/signature-field.js';
import { findSignatures } from '../../../../server/documents/pades/signature-fields.js';
import { classicPdf, xrefStreamPdf } from '../../../helpers/pdf-samples.js';

/**
 * The PDF reader under hostile files (issue 23): each bound of docs/signing.md ("PAdES") is hit by a
 * file made for it and answers ERR_DOCUMENT_MALFORMED quickly, without a crash or a hang; the
 * reader reads both cross-reference layouts and hybrid files.
 */

const latin1 = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));

/** A one-page PDF with a classic table around the given extra objects (numbered from 5). */
function pdfWith(extra: string[], trailerExtra = '', catalogExtra = ''): Uint8Array {
  const objects = [
    `<< /Type /Catalog /Pages 2 0 R ${catalogExtra} >>`,
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 100 100] >>',
    'null',
    ...extra,
  ];
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f\r\n`;
  for (const o of offsets) out += `${String(o).padStart(10, '0')} 00000 n\r\n`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R ${trailerExtra} >>\nstartxref\n${xref}\n%%EOF\n`;
  return latin1(out);
}

function refused(read: () => unknown, message: RegExp): void {
  const started = Date.now();
  expect(read).toThrow(
    expect.objectContaining({ code: 'ERR_DOCUMENT_MALFORMED', message: expect.stringMatching(message) }),
  );
  expect(Date.now() - started).toBeLessThan(2_000);
}

const open = (bytes: Uint8Array) => () => findSignatures(new PdfDocument(bytes));

describe('the PDF reader', () => {
  it('reads the catalog and first page of both layouts, and of what it signed', () => {
    for (const pdf of [classicPdf(), xrefStreamPdf()]) {
      const doc = new PdfDocument(pdf);
      expect(doc.dict(doc.trailer.get('Root'))?.get('Pages')).toBeDefined();
      const prepared = addSignatureField(doc, { signingTime: new Date(0), contentsBytes: 1024 });
      const again = new PdfDocument(prepared.pdf);
      expect(again.xref.kind).toBe(doc.xref.kind);
      expect(findSignatures(again)).toHaveLength(1);
    }
  });

  it('refuses a /Prev chain that loops', () => {
    const pdf = Buffer.from(pdfWith([]));
    const startxref = Number(/startxref\n(\d+)/.exec(pdf.toString('latin1'))![1]);
    const looped = pdf.toString('latin1').replace('/Root 1 0 R', `/Root 1 0 R /Prev ${startxref}`);
    refused(open(latin1(looped)), /loop/);
  });

  it('refuses nesting deeper than the limit, arrays and dictionaries alike', () => {
    refused(() => new PdfDocument(pdfWith(['['.repeat(100_000)])).object(5), /nested deeper/);
    const pdf = pdfWith(['<< /A '.repeat(5_000)]);
    const doc = new PdfDocument(pdf);
    refused(() => doc.object(5), /nested deeper/);
  });

  it('refuses a cross-reference table that claims more entries than the limit', () => {
    const text = Buffer.from(pdfWith([]))
      .toString('latin1')
      .replace(/xref\n0 \d+/, 'xref\n0 600000');
    refused(open(latin1(text)), /cross-reference entries|expected/);
  });

  it('refuses a compressed stream that inflates past the stream limit', () => {
    const bomb = deflateSync(Buffer.alloc(DEFAULT_PDF_LIMITS.maxStreamBytes + 1));
    const streamObject = `<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length ${bomb.length} >>\nstream\n${bomb.toString('latin1')}\nendstream`;
    const doc = new PdfDocument(pdfWith([streamObject]));
    // Object 7 said to be inside the bomb.
    doc.xref.entries.set(7, { kind: 'compressed', stream: 5, index: 0 });
    refused(() => doc.object(7), /does not inflate within/);
  });

  it('refuses a stream whose /Length needs itself', () => {
    const doc = new PdfDocument(pdfWith(['<< /Length 5 0 R >>\nstream\nabc\nendstream']));
    refused(() => doc.object(5), /refers to itself/);
  });

  it('refuses a page tree that loops, and a form whose fields loop', () => {
    const page = '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 100 100] >>';
    const loop = Buffer.from(pdfWith([]))
      .toString('latin1')
      .replace(page, '<< /Type /Pages /Kids [2 0 R] >>'.padEnd(page.length));
    refused(
      () => addSignatureField(new PdfDocument(latin1(loop)), { signingTime: new Date(), contentsBytes: 1024 }),
      /loops/,
    );
    refused(open(pdfWith(['<< /FT /Sig /Kids [5 0 R] >>'], '', '/AcroForm << /Fields [5 0 R] >>')), /loop/);
  });

  it('refuses a file over the size limit, one without startxref, and one whose xref points nowhere', () => {
    refused(() => new PdfDocument(classicPdf(), { ...DEFAULT_PDF_LIMITS, maxBytes: 100 }), /larger than/);
    refused(open(latin1('%PDF-1.7\n1 0 obj\nnull\nendobj\n')), /no startxref/);
    refused(open(latin1('%PDF-1.7\nstartxref\n5\n%%EOF\n')), /expected|neither|unexpected/);
  });

  it('refuses a file with more values than the budget (many tiny objects)', () => {
    const many = pdfWith([`[${'0 '.repeat(90_000)}]`]);
    const doc = new PdfDocument(many, { ...DEFAULT_PDF_LIMITS, maxValues: 50_000 });
    refused(() => doc.object(5), /more than 50000 values/);
  });

  it('reports, never throws, for a signature whose ByteRange leaves out more than its /Contents', async () => {
    const doc = new PdfDocument(classicPdf());
    const prepared = addSignatureField(doc, { signingTime: new Date(), contentsBytes: 1024 });
    const text = Buffer.from(prepared.pdf).toString('latin1');
    const [, a, b, c] = prepared.byteRange;
    const widened = text.replace(
      `/ByteRange [0 ${a} ${b} ${c}]`,
      `/ByteRange [0 ${a - 1} ${b} ${c}]`.padEnd(`/ByteRange [0 ${a} ${b} ${c}]`.length),
    );
    const report = await verifyPades(latin1(widened), { anchors: [] });
    expect(report).toMatchObject({ valid: false, error: 'ERR_DOCUMENT_MALFORMED', signatures: [{ valid: false }] });
  });
});

describe('what signing reads of the form and the trailer', () => {
  it('reads UTF-16 field names: a new field is not named like one of them, and an odd-length one is no crash', async () => {
    const utf16 = (text: string) => `<FEFF${Buffer.from(text, 'utf16le').swap16().toString('hex')}>`;
    const form = '/AcroForm << /Fields [5 0 R] >>';
    const named = pdfWith([`<< /FT /Sig /T ${utf16('Signature1')} >>`], '', form);
    const prepared = addSignatureField(new PdfDocument(named), { signingTime: new Date(), contentsBytes: 1024 });
    const update = Buffer.from(prepared.pdf.subarray(named.length)).toString('latin1');
    const hex = (text: string) => new RegExp(`/T <${Buffer.from(text).toString('hex')}>`, 'i');
    expect(update).toMatch(hex('Signature2'));
    expect(update).not.toMatch(hex('Signature1'));

    const odd = pdfWith(
      [
        '<< /FT /Sig /T <FEFF00530069006700> /V 6 0 R >>',
        '<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached /ByteRange [0 10 20 10] /Contents <00> >>',
      ],
      '',
      form,
    );
    expect(open(odd)().map((signature) => signature.name)).toEqual(['Sig']);
    const report = await verifyPades(odd, { anchors: [] });
    expect(report.valid).toBe(false);
  });

  it('refuses to sign a file whose trailer has no usable /Size', () => {
    for (const size of ['/Size 0', '/Size -3', '/Size 2.5', '/Size (5)', '']) {
      const text = Buffer.from(pdfWith([])).toString('latin1').replace('/Size 5', size);
      refused(
        () => addSignatureField(new PdfDocument(latin1(text)), { signingTime: new Date(), contentsBytes: 1024 }),
        /no \/Size/,
      );
    }
  });
});

describe('BER lengths in /Contents', () => {
  const bounds = { maxDepth: 32, maxElements: 1000 };

  it('become definite, contents kept, padding left out', () => {
    // SEQUENCE(indef) { OCTET STRING 'ab', SET(indef) { NULL } } then zero padding.
    const ber = Uint8Array.from([
      0x30, 0x80, 0x04, 0x02, 0x61, 0x62, 0x31, 0x80, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0, 0, 0,
    ]);
    expect([...definiteLengths(ber, bounds)]).toEqual([0x30, 0x08, 0x04, 0x02, 0x61, 0x62, 0x31, 0x02, 0x05, 0x00]);
  });

  it('refuse nesting, element floods, unterminated and overlong lengths with ERR_DOCUMENT_MALFORMED', () => {
    const deep = Uint8Array.from([...Array.from({ length: 40 }, () => [0x30, 0x80]).flat(), ...Array(80).fill(0)]);
    refused(() => definiteLengths(deep, bounds), /nested deeper/);
    const flood = Uint8Array.from([0x30, 0x80, ...Array.from({ length: 2000 }, () => [0x05, 0x00]).flat(), 0, 0]);
    refused(() => definiteLengths(flood, bounds), /more than 1000 elements/);
    refused(() => definiteLengths(Uint8Array.from([0x30, 0x80, 0x05, 0x00]), bounds), /without its end|ends inside/);
    refused(() => definiteLengths(Uint8Array.from([0x30, 0x84, 0x7f, 0xff, 0xff, 0xff]), bounds), /runs past/);
    refused(() => definiteLengths(Uint8Array.from([0x04, 0x80, 0x00, 0x00]), bounds), /primitive/);
  });
});
