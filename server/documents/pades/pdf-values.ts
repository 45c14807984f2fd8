/**
 * The values of PDF's object syntax (ISO 32000-1 §7.3) as the reader gives them: dictionaries are
 * Maps (keys without the slash), arrays are arrays, names, strings and references small classes.
 */

export class PdfName {
  constructor(readonly name: string) {}
}

export class PdfString {
  constructor(
    readonly bytes: Uint8Array,
    /** Where the string starts (`(` or `<`) and ends (after `)` or `>`) in the buffer it was read from. */
    readonly start: number,
    readonly end: number,
    readonly hex: boolean,
  ) {}
}

export class PdfRef {
  constructor(
    readonly num: number,
    readonly gen: number,
  ) {}
}

export type PdfDict = Map<string, PdfValue>;

/** A stream's dictionary and where its raw (still encoded) data lies in the buffer it was read from. */
export class PdfStream {
  constructor(
    readonly dict: PdfDict,
    readonly start: number,
    readonly end: number,
  ) {}
}

export type PdfValue = null | boolean | number | PdfName | PdfString | PdfRef | PdfValue[] | PdfDict;

export function isDict(value: PdfValue | PdfStream | undefined): value is PdfDict {
  return value instanceof Map;
}

export function nameOf(value: PdfValue | undefined): string | undefined {
  return value instanceof PdfName ? value.name : undefined;
}

export function intOf(value: PdfValue | undefined): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) ? value : undefined;
}

/**
 * A text string (§7.9.2.2) as text: UTF-16BE after its byte order mark, else PDFDocEncoding, read as
 * Latin-1 (the same for the ASCII that names and dates use). Anything but a string is ''. A UTF-16
 * string of an odd length (no producer writes one) loses its last byte instead of stopping the reader.
 */
export function textOf(value: PdfValue | PdfStream | undefined): string {
  if (!(value instanceof PdfString)) return '';
  const bytes = value.bytes;
  if (bytes[0] !== 0xfe || bytes[1] !== 0xff) return Buffer.from(bytes).toString('latin1');
  const units = Buffer.from(bytes.subarray(2, bytes.length - (bytes.length % 2)));
  return units.swap16().toString('utf16le');
}
