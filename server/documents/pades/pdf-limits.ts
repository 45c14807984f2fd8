import { HpkiError } from '../../../protocol/errors.js';

/**
 * Bounds of the PDF reader (docs/signing.md, "PAdES"): a file that exceeds one is refused with
 * ERR_DOCUMENT_MALFORMED before it costs more memory or time than these allow.
 */
export interface PdfLimits {
  /** The whole file. */
  maxBytes: number;
  /** Entries of all cross-reference sections together. */
  maxObjects: number;
  /** Nesting of arrays and dictionaries, and of page-tree and form-field levels. */
  maxDepth: number;
  /** Entries of one array or dictionary. */
  maxEntries: number;
  /** A decoded stream (cross-reference and object streams). */
  maxStreamBytes: number;
  /** Cross-reference sections followed through /Prev and /XRefStm. */
  maxSections: number;
  /** Values parsed in the whole file, all objects together. */
  maxValues: number;
  /** Signature fields read from the form. */
  maxSignatures: number;
  /** Wall-clock time for parsing, in milliseconds. */
  maxParseMs: number;
}

/** The bounds `preparePades` and `verifyPades` use unless `limits` is given (docs/signing.md, "PAdES"). */
export const DEFAULT_PDF_LIMITS: PdfLimits = {
  maxBytes: 50 * 1024 * 1024,
  maxObjects: 500_000,
  maxDepth: 64,
  maxEntries: 100_000,
  maxStreamBytes: 16 * 1024 * 1024,
  maxSections: 256,
  maxValues: 2_000_000,
  maxSignatures: 64,
  maxParseMs: 5_000,
};

export function pdfMalformed(message: string, cause?: unknown): HpkiError {
  return new HpkiError('ERR_DOCUMENT_MALFORMED', `PDF: ${message}`, cause === undefined ? undefined : { cause });
}

/** Counts parsed values against `maxValues` and the clock against `maxParseMs`. */
export class PdfBudget {
  private values = 0;
  private calls = 0;
  private readonly deadline: number;

  constructor(readonly limits: PdfLimits) {
    this.deadline = Date.now() + limits.maxParseMs;
  }

  spend(count = 1): void {
    this.values += count;
    if (this.values > this.limits.maxValues) throw pdfMalformed(`more than ${this.limits.maxValues} values`);
    if ((++this.calls & 0x3ff) === 0 && Date.now() > this.deadline) {
      throw pdfMalformed(`parsing took longer than ${this.limits.maxParseMs} ms`);
    }
  }
}
