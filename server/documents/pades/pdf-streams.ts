import { inflateSync } from 'node:zlib';
import { type PdfLimits, pdfMalformed } from './pdf-limits.js';
import { intOf, isDict, nameOf, type PdfDict, type PdfStream, type PdfValue } from './pdf-values.js';

/**
 * Decodes the streams the signature code reads (cross-reference and object streams): no filter or
 * FlateDecode (node:zlib, its output capped at `maxStreamBytes`), with the PNG predictors of
 * ISO 32000-1 §7.4.4.4 that cross-reference streams use. Other filters are refused: these two
 * stream kinds never need them.
 */

function filterOf(dict: PdfDict): { filter: string | undefined; parms: PdfValue | undefined } {
  const filter = dict.get('Filter');
  const parms = dict.get('DecodeParms');
  if (Array.isArray(filter)) {
    if (filter.length > 1) throw pdfMalformed('a cross-reference or object stream with several filters');
    return { filter: nameOf(filter[0]), parms: Array.isArray(parms) ? parms[0] : parms };
  }
  if (filter !== undefined && nameOf(filter) === undefined) throw pdfMalformed('a /Filter that is not a name');
  return { filter: nameOf(filter), parms };
}

function inflate(data: Uint8Array, limits: PdfLimits): Uint8Array {
  try {
    return new Uint8Array(inflateSync(data, { maxOutputLength: limits.maxStreamBytes }));
  } catch (err) {
    throw pdfMalformed(`a FlateDecode stream does not inflate within ${limits.maxStreamBytes} bytes`, err);
  }
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  if (pa <= pb && pa <= pc) return a;
  return pb <= pc ? b : c;
}

function unpredictRow(kind: number, row: Uint8Array, previous: Uint8Array, bpp: number): void {
  for (let i = 0; i < row.length; i++) {
    const left = i >= bpp ? row[i - bpp]! : 0;
    const up = previous[i]!;
    const upLeft = i >= bpp ? previous[i - bpp]! : 0;
    let add = 0;
    if (kind === 1) add = left;
    else if (kind === 2) add = up;
    else if (kind === 3) add = (left + up) >> 1;
    else if (kind === 4) add = paeth(left, up, upLeft);
    else if (kind !== 0) throw pdfMalformed(`PNG predictor row type ${kind}`);
    row[i] = (row[i]! + add) & 0xff;
  }
}

/** Undoes PNG prediction (Predictor ≥ 10) on rows of `columns` bytes (BitsPerComponent 8, Colors 1). */
function unpredict(data: Uint8Array, parms: PdfValue | undefined): Uint8Array {
  if (!isDict(parms)) return data;
  const predictor = intOf(parms.get('Predictor')) ?? 1;
  if (predictor === 1) return data;
  if (predictor < 10) throw pdfMalformed(`predictor ${predictor} in a cross-reference or object stream`);
  const columns = intOf(parms.get('Columns')) ?? 1;
  const colors = intOf(parms.get('Colors')) ?? 1;
  const bits = intOf(parms.get('BitsPerComponent')) ?? 8;
  if (columns < 1 || columns > 4096 || colors !== 1 || bits !== 8)
    throw pdfMalformed('unsupported predictor parameters');
  const rows = Math.floor(data.length / (columns + 1));
  const out = new Uint8Array(rows * columns);
  let previous = new Uint8Array(columns);
  for (let r = 0; r < rows; r++) {
    const row = data.slice(r * (columns + 1) + 1, (r + 1) * (columns + 1));
    unpredictRow(data[r * (columns + 1)]!, row, previous, 1);
    out.set(row, r * columns);
    previous = row;
  }
  return out;
}

/** The decoded data of `stream`, whose raw bytes are in `bytes`. */
export function decodeStream(bytes: Uint8Array, stream: PdfStream, limits: PdfLimits): Uint8Array {
  const raw = bytes.subarray(stream.start, stream.end);
  const { filter, parms } = filterOf(stream.dict);
  if (filter === undefined) {
    if (raw.length > limits.maxStreamBytes) throw pdfMalformed(`a stream longer than ${limits.maxStreamBytes} bytes`);
    return raw;
  }
  if (filter !== 'FlateDecode') throw pdfMalformed(`filter ${filter} in a cross-reference or object stream`);
  return unpredict(inflate(raw, limits), parms);
}
