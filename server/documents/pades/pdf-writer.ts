import { concatBytes } from '../../../protocol/bytes.js';
import { pdfMalformed } from './pdf-limits.js';
import { intOf, type PdfDict, PdfName, PdfRef, PdfString, type PdfValue } from './pdf-values.js';

/**
 * Writes PDF values (ISO 32000-1 §7.3) and an incremental update (§7.5.6): the new objects after
 * the original bytes, then a cross-reference section of the same kind as the file's newest one (a
 * classic table, or an uncompressed cross-reference stream) whose trailer points back with /Prev.
 */

/** PDF syntax and ASCII text strings are ASCII, where UTF-8 and Latin-1 are the same bytes. */
const ascii = new TextEncoder();

function isRegularNameByte(byte: number): boolean {
  return byte > 0x20 && byte < 0x7f && !'()<>[]{}/%#'.includes(String.fromCharCode(byte));
}

function writeName(name: string): string {
  let out = '/';
  for (const byte of Buffer.from(name, 'latin1')) {
    out += isRegularNameByte(byte) ? String.fromCharCode(byte) : `#${byte.toString(16).padStart(2, '0')}`;
  }
  return out;
}

function writeNumber(value: number): string {
  if (!Number.isFinite(value)) throw pdfMalformed('a number that is not finite');
  if (Number.isInteger(value)) return String(value);
  return value.toFixed(6).replace(/0+$/, '').replace(/\.$/, '');
}

/** Serialises a value; strings as hex, so any bytes pass. */
export function writeValue(value: PdfValue, depth = 0): string {
  if (depth > 128) throw pdfMalformed('a value nested too deep to write');
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return writeNumber(value);
  if (value instanceof PdfName) return writeName(value.name);
  if (value instanceof PdfString) return `<${Buffer.from(value.bytes).toString('hex')}>`;
  if (value instanceof PdfRef) return `${value.num} ${value.gen} R`;
  if (Array.isArray(value)) return `[${value.map((v) => writeValue(v, depth + 1)).join(' ')}]`;
  return writeDict(value, depth);
}

export function writeDict(dict: PdfDict, depth = 0): string {
  const parts: string[] = [];
  for (const [key, v] of dict) parts.push(`${writeName(key)} ${writeValue(v, depth + 1)}`);
  return `<<${parts.join(' ')}>>`;
}

/** A text string (§7.9.2.2): PDFDocEncoding's ASCII subset as is, anything else UTF-16BE with a BOM. */
export function textString(text: string): PdfString {
  const bytes = /^[\x20-\x7e]*$/.test(text)
    ? ascii.encode(text)
    : Uint8Array.from([0xfe, 0xff, ...Buffer.from(text, 'utf16le').swap16()]);
  return new PdfString(bytes, 0, 0, true);
}

/** A date string (§7.9.4) in UTC: D:YYYYMMDDHHmmSSZ. */
export function dateString(date: Date): PdfString {
  const iso = date.toISOString();
  const digits = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}`;
  return new PdfString(ascii.encode(`D:${digits}Z`), 0, 0, false);
}

/** One object of an update: its number and its body, already serialised (a dictionary, or raw text). */
export interface NewObject {
  num: number;
  /** The generation: 0 for a new object, the old one's for a new version of an object. */
  gen: number;
  body: string | Uint8Array;
}

export interface UpdateInput {
  /** The original file, left untouched. */
  original: Uint8Array;
  objects: NewObject[];
  kind: 'table' | 'stream';
  /** The newest trailer, whose /Root, /Info, /ID and /Size carry over. */
  trailer: PdfDict;
  /** The original's startxref: the new section's /Prev. */
  prev: number;
}

function concat(parts: (string | Uint8Array)[]): Uint8Array {
  return concatBytes(parts.map((p) => (typeof p === 'string' ? ascii.encode(p) : p)));
}

/** Groups sorted object numbers into [first, count] runs. */
function runs(nums: number[]): [number, number][] {
  const out: [number, number][] = [];
  for (const n of nums) {
    const last = out.at(-1);
    if (last !== undefined && last[0] + last[1] === n) last[1]++;
    else out.push([n, 1]);
  }
  return out;
}

function carriedTrailer(trailer: PdfDict, size: number, prev: number): PdfDict {
  const out: PdfDict = new Map([
    ['Size', size],
    ['Root', trailer.get('Root') ?? null],
  ]);
  for (const key of ['Info', 'ID', 'Encrypt']) {
    const value = trailer.get(key);
    if (value !== undefined) out.set(key, value);
  }
  out.set('Prev', prev);
  return out;
}

type Offsets = Map<number, [offset: number, gen: number]>;

function tableSection(offsets: Offsets, trailer: PdfDict): string {
  let out = 'xref\n';
  for (const [first, count] of runs([...offsets.keys()].sort((a, b) => a - b))) {
    out += `${first} ${count}\n`;
    for (let n = first; n < first + count; n++) {
      const [offset, gen] = offsets.get(n)!;
      out += `${String(offset).padStart(10, '0')} ${String(gen).padStart(5, '0')} n\r\n`;
    }
  }
  return `${out}trailer\n${writeDict(trailer)}\n`;
}

function streamSection(offsets: Offsets, trailer: PdfDict, num: number): Uint8Array {
  const nums = [...offsets.keys()].sort((a, b) => a - b);
  const rows = new Uint8Array(nums.length * 7);
  const view = new DataView(rows.buffer);
  nums.forEach((n, i) => {
    const [offset, gen] = offsets.get(n)!;
    rows[i * 7] = 1;
    view.setUint32(i * 7 + 1, offset);
    view.setUint16(i * 7 + 5, gen);
  });
  const dict: PdfDict = new Map(trailer);
  dict.set('Type', new PdfName('XRef'));
  dict.set('W', [1, 4, 2]);
  dict.set('Index', runs(nums).flat());
  dict.set('Length', rows.length);
  return concat([`${num} 0 obj\n${writeDict(dict)}\nstream\n`, rows, '\nendstream\nendobj\n']);
}

/** The original bytes followed by the update; the new objects' offsets are computed as written. */
export function writeIncrementalUpdate(input: UpdateInput): Uint8Array {
  const { original, objects, kind, trailer, prev } = input;
  const size = Math.max(trailerSize(trailer), ...objects.map((o) => o.num + 1)) + (kind === 'stream' ? 1 : 0);
  const parts: (string | Uint8Array)[] = [original];
  let at = original.length;
  const needsNewline = original.at(-1) !== 0x0a && original.at(-1) !== 0x0d;
  if (needsNewline) {
    parts.push('\n');
    at++;
  }
  const offsets = new Map<number, [number, number]>();
  for (const object of objects) {
    const chunk = concat([`${object.num} ${object.gen} obj\n`, object.body, '\nendobj\n']);
    offsets.set(object.num, [at, object.gen]);
    parts.push(chunk);
    at += chunk.length;
  }
  const xrefOffset = at;
  const newTrailer = carriedTrailer(trailer, size, prev);
  if (kind === 'table') parts.push(tableSection(offsets, newTrailer));
  else {
    offsets.set(size - 1, [xrefOffset, 0]);
    parts.push(streamSection(offsets, newTrailer, size - 1));
  }
  parts.push(`startxref\n${xrefOffset}\n%%EOF\n`);
  return concat(parts);
}

/** The trailer's /Size: the next free object number, a positive integer, else the file is malformed. */
export function trailerSize(trailer: PdfDict): number {
  const size = intOf(trailer.get('Size'));
  if (size === undefined || size < 1) throw pdfMalformed('the trailer has no /Size');
  return size;
}
