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
