import { type PdfBudget, pdfMalformed } from './pdf-limits.js';
import { type PdfDict, PdfName, PdfRef, PdfStream, PdfString, type PdfValue } from './pdf-values.js';

/**
 * A bounded reader of PDF's object syntax (ISO 32000-1 §7.2–7.3) over one buffer: values, indirect
 * objects and stream extents. No recursion without a depth check, every loop advances, every
 * value is counted against the document's budget. It never repairs a file: what it cannot read is
 * ERR_DOCUMENT_MALFORMED.
 */

const WHITESPACE = new Set([0x00, 0x09, 0x0a, 0x0c, 0x0d, 0x20]);
const DELIMITERS = new Set([0x28, 0x29, 0x3c, 0x3e, 0x5b, 0x5d, 0x7b, 0x7d, 0x2f, 0x25]);
const ascii = new TextDecoder('latin1');

export function isWhitespace(byte: number | undefined): boolean {
  return byte !== undefined && WHITESPACE.has(byte);
}

function isRegular(byte: number | undefined): byte is number {
  return byte !== undefined && !WHITESPACE.has(byte) && !DELIMITERS.has(byte);
}

function hexValue(byte: number | undefined): number {
  if (byte === undefined) return -1;
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  const lower = byte | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}

const LITERAL_ESCAPES: Record<number, number> = {
  110: 0x0a,
  114: 0x0d,
  116: 0x09,
  98: 0x08,
  102: 0x0c,
  40: 0x28,
  41: 0x29,
  92: 0x5c,
};

/** Resolves a /Length given as an indirect reference, when a stream's length is not direct. */
export type LengthResolver = (ref: PdfRef) => number | undefined;

export class PdfParser {
  pos: number;

  constructor(
    readonly bytes: Uint8Array,
    readonly budget: PdfBudget,
    start = 0,
  ) {
    this.pos = start;
  }

  fail(message: string): never {
    throw pdfMalformed(`${message} at offset ${this.pos}`);
  }

  skipWhitespace(): void {
    const b = this.bytes;
    while (this.pos < b.length) {
      const byte = b[this.pos]!;
      if (WHITESPACE.has(byte)) this.pos++;
      else if (byte === 0x25) {
        while (this.pos < b.length && b[this.pos] !== 0x0a && b[this.pos] !== 0x0d) this.pos++;
      } else return;
    }
  }

  /** The regular characters at the position (a keyword or number), without moving. */
  peekWord(): string {
    let word = '';
    for (let at = this.pos; at < this.bytes.length && word.length < 32 && isRegular(this.bytes[at]); at++) {
      word += String.fromCharCode(this.bytes[at]!);
    }
    return word;
  }

  readWord(): string {
    this.skipWhitespace();
    const word = this.peekWord();
    this.pos += word.length;
    return word;
  }

  expectWord(word: string): void {
    const got = this.readWord();
    if (got !== word) this.fail(`expected "${word}", found "${got.slice(0, 16)}"`);
  }

  /** A non-negative integer token, or undefined (position unchanged). */
  tryInteger(): number | undefined {
    const save = this.pos;
    const word = this.readWord();
    if (/^\d{1,15}$/.test(word)) return Number(word);
    this.pos = save;
    return undefined;
  }

  readInteger(what: string): number {
    const value = this.tryInteger();
    if (value === undefined) this.fail(`expected ${what}`);
    return value;
  }

  readValue(depth = 0): PdfValue {
    this.budget.spend();
    if (depth > this.budget.limits.maxDepth) this.fail(`nested deeper than ${this.budget.limits.maxDepth}`);
    this.skipWhitespace();
    const byte = this.bytes[this.pos];
    if (byte === undefined) this.fail('unexpected end of data');
    if (byte === 0x2f) return this.readName();
    if (byte === 0x28) return this.readLiteralString();
    if (byte === 0x5b) return this.readArray(depth);
    if (byte === 0x3c) return this.bytes[this.pos + 1] === 0x3c ? this.readDict(depth) : this.readHexString();
    return this.readScalar();
  }

  private readScalar(): PdfValue {
    const word = this.peekWord();
    if (word === '') this.fail('unexpected delimiter');
    this.pos += word.length;
    if (word === 'true') return true;
    if (word === 'false') return false;
    if (word === 'null') return null;
    if (/^\d{1,10}$/.test(word)) return this.maybeReference(Number(word));
    if (/^[+-]?(\d{1,15}(\.\d{0,10})?|\.\d{1,10})$/.test(word)) return Number(word);
    return this.fail(`unknown token "${word.slice(0, 16)}"`);
  }

  /** `num gen R` after an integer: a reference; otherwise the integer alone. */
  private maybeReference(num: number): PdfValue {
    const save = this.pos;
    const gen = this.tryInteger();
    if (gen !== undefined && gen <= 65535) {
      this.skipWhitespace();
      if (this.peekWord() === 'R') {
        this.pos += 1;
        return new PdfRef(num, gen);
      }
    }
    this.pos = save;
    return num;
  }

  private readName(): PdfName {
    this.pos++;
    const out: number[] = [];
    while (isRegular(this.bytes[this.pos])) {
      if (out.length > 127) this.fail('name longer than 127 bytes');
      const byte = this.bytes[this.pos]!;
      if (byte === 0x23) {
        const value = hexValue(this.bytes[this.pos + 1]) * 16 + hexValue(this.bytes[this.pos + 2]);
        if (value <= 0) this.fail('bad #xx escape in a name');
        out.push(value);
        this.pos += 3;
      } else {
        out.push(byte);
        this.pos++;
      }
    }
    return new PdfName(ascii.decode(Uint8Array.from(out)));
  }

  private readHexString(): PdfString {
    const start = this.pos++;
    const out: number[] = [];
    let high = -1;
    while (true) {
      const byte = this.bytes[this.pos++];
      if (byte === undefined) this.fail('unterminated hex string');
      if (byte === 0x3e) break;
      if (WHITESPACE.has(byte)) continue;
      const value = hexValue(byte);
      if (value < 0) this.fail('bad character in a hex string');
      if (high < 0) high = value;
      else {
        out.push(high * 16 + value);
        high = -1;
      }
    }
    if (high >= 0) out.push(high * 16);
    return new PdfString(Uint8Array.from(out), start, this.pos, true);
  }

  private readLiteralString(): PdfString {
    const start = this.pos++;
    const out: number[] = [];
    let nesting = 1;
    while (true) {
      const byte = this.bytes[this.pos++];
      if (byte === undefined) this.fail('unterminated string');
      if (byte === 0x5c) {
        this.readEscape(out);
        continue;
      }
      if (byte === 0x28) nesting++;
      if (byte === 0x29 && --nesting === 0) break;
      out.push(byte);
    }
    return new PdfString(Uint8Array.from(out), start, this.pos, false);
  }

  private readEscape(out: number[]): void {
    const next = this.bytes[this.pos];
    if (next === undefined) this.fail('unterminated string');
    if (LITERAL_ESCAPES[next] !== undefined) {
      out.push(LITERAL_ESCAPES[next]);
      this.pos++;
    } else if (next >= 0x30 && next <= 0x37) {
      let value = 0;
      for (let i = 0; i < 3 && (this.bytes[this.pos] ?? 0) >= 0x30 && (this.bytes[this.pos] ?? 0) <= 0x37; i++) {
        value = value * 8 + (this.bytes[this.pos++]! - 0x30);
      }
      out.push(value & 0xff);
    } else if (next === 0x0d) {
      this.pos += this.bytes[this.pos + 1] === 0x0a ? 2 : 1;
    } else if (next === 0x0a) {
      this.pos++;
    }
  }

  private readArray(depth: number): PdfValue[] {
    this.pos++;
    const out: PdfValue[] = [];
    while (true) {
      this.skipWhitespace();
      if (this.bytes[this.pos] === 0x5d) {
        this.pos++;
        return out;
      }
      if (out.length >= this.budget.limits.maxEntries) this.fail('array too long');
      out.push(this.readValue(depth + 1));
    }
  }

  private readDict(depth: number): PdfDict {
    this.pos += 2;
    const out: PdfDict = new Map();
    while (true) {
      this.skipWhitespace();
      if (this.bytes[this.pos] === 0x3e && this.bytes[this.pos + 1] === 0x3e) {
        this.pos += 2;
        return out;
      }
      if (this.bytes[this.pos] !== 0x2f) this.fail('a dictionary key is not a name');
      if (out.size >= this.budget.limits.maxEntries) this.fail('dictionary too long');
      const key = this.readName().name;
      out.set(key, this.readValue(depth + 1));
    }
  }

  /**
   * `num gen obj … endobj` at the position; a dictionary followed by `stream` becomes a PdfStream
   * whose data length is /Length (resolved through `resolveLength` when it is a reference).
   */
  readIndirectObject(resolveLength: LengthResolver): { num: number; gen: number; value: PdfValue | PdfStream } {
    const num = this.readInteger('an object number');
    const gen = this.readInteger('a generation number');
    this.expectWord('obj');
    const value = this.readValue();
    this.skipWhitespace();
    if (this.peekWord() !== 'stream') return { num, gen, value };
    if (!(value instanceof Map)) this.fail('stream keyword after a value that is not a dictionary');
    return { num, gen, value: this.readStreamData(value, resolveLength) };
  }

  private readStreamData(dict: PdfDict, resolveLength: LengthResolver): PdfStream {
    this.pos += 'stream'.length;
    if (this.bytes[this.pos] === 0x0d) this.pos++;
    if (this.bytes[this.pos] !== 0x0a) this.fail('stream keyword not followed by an end of line');
    this.pos++;
    const lengthValue = dict.get('Length');
    const length = lengthValue instanceof PdfRef ? resolveLength(lengthValue) : lengthValue;
    if (typeof length !== 'number' || !Number.isSafeInteger(length) || length < 0)
      this.fail('stream without a /Length');
    const start = this.pos;
    const end = start + length;
    if (end > this.bytes.length) this.fail('stream data runs past the end of the file');
    this.pos = end;
    this.expectWord('endstream');
    return new PdfStream(dict, start, end);
  }
}
