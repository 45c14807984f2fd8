import { catalogOf, type PdfDocument } from './pdf-document.js';
import { pdfMalformed } from './pdf-limits.js';
import { intOf, nameOf, type PdfDict, PdfRef, PdfString, type PdfValue, textOf } from './pdf-values.js';

/**
 * The signatures a PDF holds: the signature fields of its form (/AcroForm /Fields and their /Kids,
 * /FT inherited), each /V a signature dictionary read straight from the file. The walk is bounded
 * in depth and count and never visits an object twice.
 */

export interface PdfSignature {
  /** The field's full name (T of each level, joined with dots). */
  name: string;
  subFilter: string | undefined;
  /** /ByteRange as written; checked by the verifier. */
  byteRange: number[];
  /** /Contents: its bytes and where the hex string lies in the file. */
  contents: PdfString;
  /** /M, when it is a date. */
  signingTime: Date | undefined;
}

interface Walk {
  doc: PdfDocument;
  seen: Set<number>;
  found: PdfSignature[];
}

/** A PDF date (§7.9.4) D:YYYYMMDDHHmmSSOHH'mm, parts after the year optional. */
export function parsePdfDate(value: PdfValue | undefined): Date | undefined {
  const text = textOf(value);
  const m = /^(?:D:)?(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:([Zz+-])(\d{2})?'?(\d{2})?'?)?$/.exec(text);
  if (m === null) return undefined;
  const [, y, mo = '01', d = '01', h = '00', mi = '00', s = '00', sign, oh = '00', om = '00'] = m;
  const offset = sign === '+' || sign === '-' ? `${sign}${oh}:${om}` : 'Z';
  const date = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}${offset}`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** The signature dictionary /V points at: an indirect object in the file itself (not in an object stream). */
function signatureOf(walk: Walk, value: PdfValue | undefined, name: string): PdfSignature | undefined {
  if (!(value instanceof PdfRef)) return undefined;
  const entry = walk.doc.xref.entries.get(value.num);
  const dict = walk.doc.dict(value);
  if (dict === undefined) return undefined;
  if (entry?.kind !== 'offset') throw pdfMalformed(`signature ${name} is inside an object stream`);
  const contents = dict.get('Contents');
  const byteRange = walk.doc.array(dict.get('ByteRange'));
  if (!(contents instanceof PdfString) || !contents.hex) throw pdfMalformed(`signature ${name} has no hex /Contents`);
  if (byteRange === undefined) throw pdfMalformed(`signature ${name} has no /ByteRange`);
  return {
    name,
    subFilter: nameOf(dict.get('SubFilter')),
    byteRange: byteRange.map((v) => intOf(v) ?? -1),
    contents,
    signingTime: parsePdfDate(dict.get('M')),
  };
}

function visitField(walk: Walk, ref: PdfValue, parentName: string, inheritedType: string | undefined, depth: number) {
  const { doc } = walk;
  if (depth > doc.limits.maxDepth) throw pdfMalformed(`form fields nested deeper than ${doc.limits.maxDepth}`);
  if (ref instanceof PdfRef) {
    if (walk.seen.has(ref.num)) throw pdfMalformed('the form fields loop');
    walk.seen.add(ref.num);
  }
  const field: PdfDict | undefined = doc.dict(ref);
  if (field === undefined) return;
  const part = textOf(doc.resolve(field.get('T')));
  const name = parentName === '' ? part : part === '' ? parentName : `${parentName}.${part}`;
  const type = nameOf(field.get('FT')) ?? inheritedType;
  if (type === 'Sig' && field.has('V')) {
    const signature = signatureOf(walk, field.get('V'), name);
    if (signature !== undefined) walk.found.push(signature);
    if (walk.found.length > doc.limits.maxSignatures)
      throw pdfMalformed(`more than ${doc.limits.maxSignatures} signatures`);
  }
  for (const kid of doc.array(field.get('Kids')) ?? []) visitField(walk, kid, name, type, depth + 1);
}

/** Every filled signature field, in the order their ByteRanges end (the order they were made). */
export function findSignatures(doc: PdfDocument): PdfSignature[] {
  const form = doc.dict(catalogOf(doc).get('AcroForm'));
  const walk: Walk = { doc, seen: new Set(), found: [] };
  const fields = doc.array(form?.get('Fields')) ?? [];
  if (fields.length > doc.limits.maxEntries) throw pdfMalformed('too many form fields');
  for (const field of fields) visitField(walk, field, '', undefined, 0);
  const end = (s: PdfSignature) => (s.byteRange[2] ?? 0) + (s.byteRange[3] ?? 0);
  return walk.found.sort((a, b) => end(a) - end(b));
}
