import { HpkiError } from '../../../protocol/errors.js';
import { catalogOf, firstPageRef, type PdfDocument } from './pdf-document.js';
import { pdfMalformed } from './pdf-limits.js';
import { type PdfDict, PdfName, PdfRef, type PdfValue, textOf } from './pdf-values.js';
import {
  dateString,
  type NewObject,
  textString,
  trailerSize,
  writeDict,
  writeIncrementalUpdate,
  writeValue,
} from './pdf-writer.js';

/**
 * The incremental update that adds an empty signature (ISO 32000-1 §12.8, ETSI EN 319 142-1 §5.3):
 * a /Sig dictionary with /SubFilter /ETSI.CAdES.detached, /M, optional /Reason and /Location, a
 * zero-filled /Contents and a /ByteRange over the whole new file except that hex string; an
 * invisible widget on the first page that is also the signature field; the form's /Fields with it
 * and /SigFlags 3. The original bytes are kept as they are.
 */

export interface SignatureFieldOptions {
  /** /M, the signing time the PDF claims (PAdES puts it here, not in the CMS). */
  signingTime: Date;
  reason?: string;
  location?: string;
  /** Bytes reserved for the CMS in /Contents. */
  contentsBytes: number;
}

export interface PreparedPdf {
  /** The file with the empty signature. */
  pdf: Uint8Array;
  byteRange: [number, number, number, number];
}

const BYTE_RANGE_PLACEHOLDER = '/ByteRange [0 0000000000 0000000000 0000000000]';
const MAX_TEXT = 500;

function signatureDictionary(options: SignatureFieldOptions): string {
  const entries: string[] = [
    '/Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached',
    `/M ${writeValue(dateString(options.signingTime))}`,
  ];
  for (const [key, text] of [
    ['Reason', options.reason],
    ['Location', options.location],
  ] as const) {
    if (text === undefined) continue;
    if (text.length > MAX_TEXT) throw pdfMalformed(`/${key} longer than ${MAX_TEXT} characters`);
    entries.push(`/${key} ${writeValue(textString(text))}`);
  }
  entries.push(BYTE_RANGE_PLACEHOLDER, `/Contents <${'0'.repeat(options.contentsBytes * 2)}>`);
  return `<<${entries.join(' ')}>>`;
}

/** A field name no top-level field has: Signature1, Signature2, … */
function freshFieldName(doc: PdfDocument, fields: readonly PdfValue[]): string {
  const taken = new Set<string>();
  for (const field of fields.slice(0, doc.limits.maxEntries)) {
    taken.add(textOf(doc.resolve(doc.dict(field)?.get('T'))));
  }
  for (let n = 1; ; n++) if (!taken.has(`Signature${n}`)) return `Signature${n}`;
}

function widget(name: string, sigRef: PdfRef, pageRef: PdfRef): string {
  const dict: PdfDict = new Map<string, PdfValue>([
    ['Type', new PdfName('Annot')],
    ['Subtype', new PdfName('Widget')],
    ['FT', new PdfName('Sig')],
    ['T', textString(name)],
    ['V', sigRef],
    // Print and Locked (§12.5.3); a zero rectangle: the signature is invisible.
    ['F', 132],
    ['Rect', [0, 0, 0, 0]],
    ['P', pageRef],
  ]);
  return writeDict(dict);
}

function withAppended(dict: PdfDict, key: string, items: readonly PdfValue[], extra: PdfValue): PdfDict {
  const copy: PdfDict = new Map(dict);
  copy.set(key, [...items, extra]);
  return copy;
}

/** The form after the update (`fields`: its fields now): its object (when indirect) or a new catalog that holds it inline. */
function formObjects(doc: PdfDocument, fields: PdfValue[], widgetRef: PdfRef): NewObject[] {
  const rootRef = doc.trailer.get('Root');
  if (!(rootRef instanceof PdfRef)) throw pdfMalformed('the trailer /Root is not a reference');
  const catalog = catalogOf(doc);
  const formValue = catalog.get('AcroForm');
  const form = doc.dict(formValue) ?? new Map();
  const updated = withAppended(form, 'Fields', fields, widgetRef);
  updated.set('SigFlags', 3);
  if (formValue instanceof PdfRef && doc.dict(formValue) !== undefined) {
    return [{ num: formValue.num, gen: formValue.gen, body: writeDict(updated) }];
  }
  const newCatalog: PdfDict = new Map(catalog);
  newCatalog.set('AcroForm', updated);
  return [{ num: rootRef.num, gen: rootRef.gen, body: writeDict(newCatalog) }];
}

function fieldsOf(doc: PdfDocument): PdfValue[] {
  const form = doc.dict(catalogOf(doc).get('AcroForm'));
  return doc.array(form?.get('Fields')) ?? [];
}

function locateByteRange(pdf: Uint8Array, from: number): { placeholder: number; contentsStart: number } {
  const text = Buffer.from(pdf.buffer, pdf.byteOffset, pdf.length);
  const placeholder = text.indexOf(BYTE_RANGE_PLACEHOLDER, from, 'latin1');
  const contentsStart = text.indexOf('/Contents <', placeholder, 'latin1') + '/Contents '.length;
  if (placeholder < 0 || contentsStart < placeholder) throw new Error('the signature placeholder was not written');
  return { placeholder, contentsStart };
}

/** Adds the empty signature to `doc`'s file; the caller fills /Contents (see `fillContents`). */
export function addSignatureField(doc: PdfDocument, options: SignatureFieldOptions): PreparedPdf {
  if (doc.trailer.has('Encrypt')) throw pdfMalformed('an encrypted PDF cannot be signed here');
  const size = trailerSize(doc.trailer);
  const pageRef = firstPageRef(doc);
  const page = doc.dict(pageRef);
  if (page === undefined) throw pdfMalformed('the first page is not a dictionary');
  const sigRef = new PdfRef(size, 0);
  const widgetRef = new PdfRef(size + 1, 0);
  const annots = doc.array(page.get('Annots')) ?? [];
  const fields = fieldsOf(doc);
  const objects: NewObject[] = [
    { num: sigRef.num, gen: 0, body: signatureDictionary(options) },
    { num: widgetRef.num, gen: 0, body: widget(freshFieldName(doc, fields), sigRef, pageRef) },
    { num: pageRef.num, gen: pageRef.gen, body: writeDict(withAppended(page, 'Annots', annots, widgetRef)) },
    ...formObjects(doc, fields, widgetRef),
  ];
  const pdf = writeIncrementalUpdate({
    original: doc.bytes,
    objects,
    kind: doc.xref.kind,
    trailer: doc.trailer,
    prev: doc.xref.startxref,
  });
  const { placeholder, contentsStart } = locateByteRange(pdf, doc.bytes.length);
  const contentsEnd = contentsStart + options.contentsBytes * 2 + 2;
  const byteRange: PreparedPdf['byteRange'] = [0, contentsStart, contentsEnd, pdf.length - contentsEnd];
  const written = `/ByteRange [${byteRange.join(' ')}]`.padEnd(BYTE_RANGE_PLACEHOLDER.length, ' ');
  pdf.set(Buffer.from(written, 'latin1'), placeholder);
  return { pdf, byteRange };
}

/** The bytes the signature covers: everything but the /Contents hex string. */
export function signedBytes(pdf: Uint8Array, byteRange: readonly number[]): Uint8Array {
  const [a, b, c, d] = byteRange as [number, number, number, number];
  return Buffer.concat([pdf.subarray(a, a + b), pdf.subarray(c, c + d)]);
}

/** Writes the CMS into the placeholder, hex, zero-padded; refuses one that does not fit. */
export function fillContents(prepared: PreparedPdf, cms: Uint8Array): Uint8Array {
  const [, start, end] = prepared.byteRange;
  const room = (end - start - 2) / 2;
  if (cms.length > room) {
    throw new HpkiError(
      'ERR_HPKI_INVALID_ARGUMENT',
      `the signature (${cms.length} bytes) does not fit the ${room} bytes reserved for it: prepare with a larger contentsBytes`,
    );
  }
  const out = prepared.pdf.slice();
  out.set(
    Buffer.from(
      Buffer.from(cms)
        .toString('hex')
        .padEnd(room * 2, '0'),
      'latin1',
    ),
    start + 1,
  );
  return out;
}
