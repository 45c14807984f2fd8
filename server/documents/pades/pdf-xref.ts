import { type PdfBudget, pdfMalformed } from './pdf-limits.js';
import { isWhitespace, PdfParser } from './pdf-parser.js';
import { decodeStream } from './pdf-streams.js';
import { intOf, isDict, nameOf, type PdfDict, PdfStream } from './pdf-values.js';

/**
 * The cross-reference of a PDF (ISO 32000-1 §7.5.4–7.5.8): classic tables, cross-reference streams,
 * and hybrid files (/XRefStm), from the last `startxref` back through every /Prev. A section read
 * twice (a /Prev cycle) or more sections or entries than the limits allow are ERR_DOCUMENT_MALFORMED.
 * The newest definition of an object wins.
 */

export type XrefEntry =
  | { kind: 'offset'; offset: number; gen: number }
  | { kind: 'compressed'; stream: number; index: number }
  | { kind: 'free' };

export interface Xref {
  entries: Map<number, XrefEntry>;
  /** The newest trailer (for a cross-reference stream, its dictionary). */
  trailer: PdfDict;
  /** The offset the last `startxref` gives. */
  startxref: number;
  /** Whether the newest section is a classic table or a cross-reference stream. */
  kind: 'table' | 'stream';
}

interface Section {
  kind: 'table' | 'stream';
  trailer: PdfDict;
  entries: [number, XrefEntry][];
}

const TAIL = 2048;
const latin1 = new TextDecoder('latin1');

/** The offset after the last `startxref` keyword in the file's tail. */
export function findStartxref(bytes: Uint8Array, budget: PdfBudget): number {
  const tailStart = Math.max(0, bytes.length - TAIL);
  const tail = latin1.decode(bytes.subarray(tailStart));
  const at = tail.lastIndexOf('startxref');
  if (at < 0) throw pdfMalformed('no startxref in the last 2048 bytes');
  const parser = new PdfParser(bytes, budget, tailStart + at + 'startxref'.length);
  const offset = parser.readInteger('the startxref offset');
  if (offset >= bytes.length) throw pdfMalformed('startxref points past the end of the file');
  return offset;
}

/** Digits at `at`, `length` of them, as a number; -1 when one is not a digit. */
function digitsAt(bytes: Uint8Array, at: number, length: number): number {
  let value = 0;
  for (let i = at; i < at + length; i++) {
    const d = (bytes[i] ?? 0) - 0x30;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}

/** An entry in the standard 20-byte form `oooooooooo ggggg n`, read without tokens (tables are long). */
function fixedEntry(parser: PdfParser): XrefEntry | undefined {
  parser.skipWhitespace();
  const { bytes, pos } = parser;
  const offset = digitsAt(bytes, pos, 10);
  const gen = digitsAt(bytes, pos + 11, 5);
  const type = bytes[pos + 17];
  if (offset < 0 || gen < 0 || bytes[pos + 10] !== 0x20 || bytes[pos + 16] !== 0x20) return undefined;
  if (type !== 0x6e && type !== 0x66) return undefined;
  if (!isWhitespace(bytes[pos + 18]) && pos + 18 !== bytes.length) return undefined;
  parser.pos = pos + 18;
  return type === 0x6e ? { kind: 'offset', offset, gen } : { kind: 'free' };
}

/** An entry written some other way: three tokens. */
function tokenEntry(parser: PdfParser): XrefEntry {
  const offset = parser.readInteger('an entry offset');
  const gen = parser.readInteger('an entry generation');
  const type = parser.readWord();
  if (type !== 'n' && type !== 'f') parser.fail('an entry type is neither n nor f');
  return type === 'n' ? { kind: 'offset', offset, gen } : { kind: 'free' };
}

function readTable(parser: PdfParser, counted: { entries: number }): Section {
  parser.expectWord('xref');
  const { limits } = parser.budget;
  const entries: [number, XrefEntry][] = [];
  while (true) {
    parser.skipWhitespace();
    if (parser.peekWord() === 'trailer') break;
    const first = parser.readInteger('a subsection start');
    const count = parser.readInteger('a subsection count');
    counted.entries += count;
    if (counted.entries > limits.maxObjects)
      throw pdfMalformed(`more than ${limits.maxObjects} cross-reference entries`);
    for (let i = 0; i < count; i++) {
      parser.budget.spend();
      entries.push([first + i, fixedEntry(parser) ?? tokenEntry(parser)]);
    }
  }
  parser.expectWord('trailer');
  const trailer = parser.readValue();
  if (!isDict(trailer)) parser.fail('the trailer is not a dictionary');
  return { kind: 'table', trailer, entries };
}

function widthsOf(dict: PdfDict): [number, number, number] {
  const w = dict.get('W');
  const widths = Array.isArray(w) ? w.map((x) => intOf(x) ?? -1) : [];
  if (widths.length !== 3 || widths.some((x) => x < 0 || x > 8)) throw pdfMalformed('a cross-reference stream /W');
  return widths as [number, number, number];
}

function subsectionsOf(dict: PdfDict, size: number): number[] {
  const index = dict.get('Index');
  if (index === undefined) {
    if (size < 0) throw pdfMalformed('a cross-reference stream without /Size');
    return [0, size];
  }
  const values = Array.isArray(index) ? index.map((x) => intOf(x) ?? -1) : [];
  if (values.length % 2 !== 0 || values.some((x) => x < 0)) throw pdfMalformed('a cross-reference stream /Index');
  return values;
}

function field(data: Uint8Array, at: number, width: number): number {
  let value = 0;
  for (let i = 0; i < width; i++) value = value * 256 + data[at + i]!;
  return value;
}

function entryOf(type: number, second: number, third: number): XrefEntry {
  if (type === 0) return { kind: 'free' };
  if (type === 1) return { kind: 'offset', offset: second, gen: third };
  if (type === 2) return { kind: 'compressed', stream: second, index: third };
  return { kind: 'free' };
}

function readStreamSection(parser: PdfParser, counted: { entries: number }): Section {
  const object = parser.readIndirectObject(() => undefined);
  const stream = object.value;
  if (!(stream instanceof PdfStream) || nameOf(stream.dict.get('Type')) !== 'XRef') {
    throw pdfMalformed('startxref points at neither a table nor a cross-reference stream');
  }
  const { limits } = parser.budget;
  const data = decodeStream(parser.bytes, stream, limits);
  const widths = widthsOf(stream.dict);
  const rowLength = widths[0] + widths[1] + widths[2];
  const subsections = subsectionsOf(stream.dict, intOf(stream.dict.get('Size')) ?? -1);
  const entries: [number, XrefEntry][] = [];
  let at = 0;
  for (let s = 0; s < subsections.length; s += 2) {
    const first = subsections[s]!;
    const count = subsections[s + 1]!;
    counted.entries += count;
    if (counted.entries > limits.maxObjects)
      throw pdfMalformed(`more than ${limits.maxObjects} cross-reference entries`);
    if (at + count * rowLength > data.length) throw pdfMalformed('a cross-reference stream is shorter than its /Index');
    for (let i = 0; i < count; i++, at += rowLength) {
      parser.budget.spend();
      const type = widths[0] === 0 ? 1 : field(data, at, widths[0]);
      entries.push([
        first + i,
        entryOf(type, field(data, at + widths[0], widths[1]), field(data, at + widths[0] + widths[1], widths[2])),
      ]);
    }
  }
  return { kind: 'stream', trailer: stream.dict, entries };
}

function readSection(bytes: Uint8Array, budget: PdfBudget, offset: number, counted: { entries: number }): Section {
  const parser = new PdfParser(bytes, budget, offset);
  parser.skipWhitespace();
  return parser.peekWord() === 'xref' ? readTable(parser, counted) : readStreamSection(parser, counted);
}

/** Reads every cross-reference section of the file, newest first. */
export function readXref(bytes: Uint8Array, budget: PdfBudget): Xref {
  const startxref = findStartxref(bytes, budget);
  const entries = new Map<number, XrefEntry>();
  const visited = new Set<number>();
  const counted = { entries: 0 };
  let newest: Section | undefined;
  // [offset, whether its /Prev is followed]: a hybrid file's /XRefStm section is not a chain of its own.
  const pending: [number, boolean][] = [[startxref, true]];
  while (pending.length > 0) {
    const [offset, followPrev] = pending.shift()!;
    if (visited.has(offset)) throw pdfMalformed(`cross-reference sections loop (offset ${offset} twice)`);
    if (visited.size >= budget.limits.maxSections)
      throw pdfMalformed(`more than ${budget.limits.maxSections} cross-reference sections`);
    if (offset < 0 || offset >= bytes.length) throw pdfMalformed('a cross-reference offset is outside the file');
    visited.add(offset);
    const section = readSection(bytes, budget, offset, counted);
    newest ??= section;
    for (const [num, entry] of section.entries) if (!entries.has(num)) entries.set(num, entry);
    // A hybrid file's stream section completes the table it belongs to, before older sections.
    const hybrid = section.kind === 'table' ? intOf(section.trailer.get('XRefStm')) : undefined;
    if (hybrid !== undefined) pending.unshift([hybrid, false]);
    const prev = intOf(section.trailer.get('Prev'));
    if (prev !== undefined && followPrev) pending.push([prev, true]);
  }
  if (newest === undefined) throw pdfMalformed('no cross-reference section');
  return { entries, trailer: newest.trailer, startxref, kind: newest.kind };
}
