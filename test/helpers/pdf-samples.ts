import { deflateSync } from 'node:zlib';

/**
 * Small PDFs written byte by byte for the PAdES tests, in the two layouts a signer meets: a classic
 * cross-reference table (PDF 1.4), and a cross-reference stream with the catalog, page tree and
 * page inside a compressed object stream (PDF 1.5+, PNG-predicted like most producers write it),
 * and the hybrid of both.
 * poppler reads both (the tests run pdfsig and pdfinfo over them).
 */

const enc = (s: string): Buffer => Buffer.from(s, 'latin1');

function contentStream(text: string): string {
  const body = `BT /F1 18 Tf 72 720 Td (${text}) Tj ET`;
  return `<< /Length ${body.length} >>\nstream\n${body}\nendstream`;
}

const FONT = '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>';

/** PDF 1.4: objects 1–5 and a classic table. */
export function classicPdf(text = 'Sample referral letter (test)'): Uint8Array {
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>',
    contentStream(text),
    FONT,
  ];
  let out = '%PDF-1.4\n%\xe2\xe3\xcf\xd3\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f\r\n`;
  for (const o of offsets) out += `${String(o).padStart(10, '0')} 00000 n\r\n`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return new Uint8Array(enc(out));
}

/** PNG "Up" prediction of rows of `columns` bytes (Predictor 12), as producers write xref streams. */
function predictUp(rows: Buffer, columns: number): Buffer {
  const out: number[] = [];
  for (let r = 0; r * columns < rows.length; r++) {
    out.push(2);
    for (let i = 0; i < columns; i++) {
      const above = r === 0 ? 0 : rows[(r - 1) * columns + i]!;
      out.push((rows[r * columns + i]! - above) & 0xff);
    }
  }
  return Buffer.from(out);
}

/**
 * PDF 1.7: objects 1–3 in object stream 6, the content and font plain, a predicted xref stream 7;
 * `hybrid`: a classic table after it for the plain objects, pointing at the stream with /XRefStm.
 */
export function xrefStreamPdf(text = 'Sample referral letter (test)', hybrid = false): Uint8Array {
  const inStream = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>',
  ];
  let objectsText = '';
  const header: string[] = [];
  inStream.forEach((body, i) => {
    header.push(`${i + 1} ${objectsText.length}`);
    objectsText += `${body}\n`;
  });
  const headerText = `${header.join(' ')}\n`;
  const packed = deflateSync(enc(headerText + objectsText));
  const parts: Buffer[] = [enc('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n')];
  let at = parts[0]!.length;
  const offsets = new Map<number, number>();
  const add = (num: number, chunk: Buffer) => {
    offsets.set(num, at);
    parts.push(chunk);
    at += chunk.length;
  };
  add(4, enc(`4 0 obj\n${contentStream(text)}\nendobj\n`));
  add(5, enc(`5 0 obj\n${FONT}\nendobj\n`));
  add(
    6,
    Buffer.concat([
      enc(
        `6 0 obj\n<< /Type /ObjStm /N 3 /First ${headerText.length} /Filter /FlateDecode /Length ${packed.length} >>\nstream\n`,
      ),
      packed,
      enc('\nendstream\nendobj\n'),
    ]),
  );
  const xrefAt = at;
  const rows = Buffer.alloc(8 * 5);
  const row = (num: number, type: number, second: number, third: number) => {
    rows[num * 5] = type;
    rows.writeUInt16BE(second, num * 5 + 1);
    rows.writeUInt16BE(third, num * 5 + 3);
  };
  row(0, 0, 0, 0xffff);
  for (const n of [1, 2, 3]) row(n, 2, 6, n - 1);
  row(4, 1, offsets.get(4)!, 0);
  row(5, 1, offsets.get(5)!, 0);
  row(6, 1, offsets.get(6)!, 0);
  row(7, 1, xrefAt, 0);
  const xref = deflateSync(predictUp(rows, 5));
  parts.push(
    enc(
      `7 0 obj\n<< /Type /XRef /Size 8 /W [1 2 2] /Root 1 0 R /Filter /FlateDecode /DecodeParms << /Predictor 12 /Columns 5 >> /Length ${xref.length} >>\nstream\n`,
    ),
    xref,
    enc('\nendstream\nendobj\n'),
  );
  if (!hybrid) {
    parts.push(enc(`startxref\n${xrefAt}\n%%EOF\n`));
    return new Uint8Array(Buffer.concat(parts));
  }
  // A hybrid file (§7.5.8.4), as Microsoft Word writes them: a classic table for the plain objects whose
  // trailer's /XRefStm names the stream that lists the compressed ones.
  const tableAt = parts.reduce((n, p) => n + p.length, 0);
  let table = 'xref\n0 1\n0000000000 65535 f\r\n4 4\n';
  for (const n of [4, 5, 6]) table += `${String(offsets.get(n)).padStart(10, '0')} 00000 n\r\n`;
  table += `${String(xrefAt).padStart(10, '0')} 00000 n\r\n`;
  table += `trailer\n<< /Size 8 /Root 1 0 R /XRefStm ${xrefAt} >>\nstartxref\n${tableAt}\n%%EOF\n`;
  parts.push(enc(table));
  return new Uint8Array(Buffer.concat(parts));
}
