import { hasPdfHeader } from '../document-formats.js';
import { DEFAULT_PDF_LIMITS, PdfBudget, type PdfLimits, pdfMalformed } from './pdf-limits.js';
import { PdfParser } from './pdf-parser.js';
import { decodeStream } from './pdf-streams.js';
import { intOf, isDict, type PdfDict, PdfRef, PdfStream, type PdfValue } from './pdf-values.js';
import { readXref, type Xref } from './pdf-xref.js';

/**
 * A PDF opened for signing or verifying: its cross-reference, and objects resolved on demand (from
 * the file or from object streams, ISO 32000-1 §7.5.7), each cached. A reference to a missing or
 * free object is null, as the standard says; a reference that needs itself to resolve, an object
 * whose header names another number, or anything over the limits is ERR_DOCUMENT_MALFORMED.
 */

interface ObjectStream {
  data: Uint8Array;
  /** Object number → offset in `data` (after /First). */
  offsets: Map<number, number>;
}

export class PdfDocument {
  readonly budget: PdfBudget;
  readonly xref: Xref;
  private readonly cache = new Map<number, PdfValue | PdfStream>();
  private readonly objectStreams = new Map<number, ObjectStream>();
  private readonly resolving = new Set<number>();

  constructor(
    readonly bytes: Uint8Array,
    readonly limits: PdfLimits = DEFAULT_PDF_LIMITS,
  ) {
    if (bytes.length > limits.maxBytes) throw pdfMalformed(`larger than ${limits.maxBytes} bytes`);
    if (!hasPdfHeader(bytes)) throw pdfMalformed('no %PDF- header in the first 1024 bytes');
    this.budget = new PdfBudget(limits);
    this.xref = readXref(bytes, this.budget);
  }

  get trailer(): PdfDict {
    return this.xref.trailer;
  }

  /** The value itself, or the object a reference points at. */
  resolve(value: PdfValue | undefined): PdfValue | PdfStream | undefined {
    return value instanceof PdfRef ? this.object(value.num) : value;
  }

  /** A dictionary, directly or through a reference (a stream's dictionary too); undefined otherwise. */
  dict(value: PdfValue | undefined): PdfDict | undefined {
    const resolved = this.resolve(value);
    if (resolved instanceof PdfStream) return resolved.dict;
    return isDict(resolved) ? resolved : undefined;
  }

  /** An array, directly or through a reference; undefined otherwise. */
  array(value: PdfValue | undefined): PdfValue[] | undefined {
    const resolved = this.resolve(value);
    return Array.isArray(resolved) ? resolved : undefined;
  }

  object(num: number): PdfValue | PdfStream {
    const cached = this.cache.get(num);
    if (cached !== undefined) return cached;
    if (this.resolving.has(num)) throw pdfMalformed(`object ${num} refers to itself while being read`);
    this.resolving.add(num);
    try {
      const value = this.load(num);
      this.cache.set(num, value);
      return value;
    } finally {
      this.resolving.delete(num);
    }
  }

  private load(num: number): PdfValue | PdfStream {
    const entry = this.xref.entries.get(num);
    if (entry === undefined || entry.kind === 'free') return null;
    if (entry.kind === 'compressed') return this.loadCompressed(num, entry.stream);
    if (entry.offset >= this.bytes.length) throw pdfMalformed(`object ${num} lies past the end of the file`);
    const parser = new PdfParser(this.bytes, this.budget, entry.offset);
    const object = parser.readIndirectObject((ref) => intOf(this.integer(ref)));
    if (object.num !== num) throw pdfMalformed(`the cross-reference says object ${num}, the file has ${object.num}`);
    return object.value;
  }

  private integer(ref: PdfRef): PdfValue | undefined {
    const value = this.object(ref.num);
    return value instanceof PdfStream ? undefined : value;
  }

  private loadCompressed(num: number, streamNum: number): PdfValue {
    const stream = this.objectStream(streamNum);
    const offset = stream.offsets.get(num);
    if (offset === undefined) return null;
    const parser = new PdfParser(stream.data, this.budget, offset);
    return parser.readValue();
  }

  private objectStream(num: number): ObjectStream {
    const cached = this.objectStreams.get(num);
    if (cached !== undefined) return cached;
    const entry = this.xref.entries.get(num);
    if (entry?.kind !== 'offset') throw pdfMalformed(`object stream ${num} is not an uncompressed object`);
    const stream = this.object(num);
    if (!(stream instanceof PdfStream)) throw pdfMalformed(`object stream ${num} is not a stream`);
    const data = decodeStream(this.bytes, stream, this.limits);
    const count = intOf(stream.dict.get('N')) ?? -1;
    const first = intOf(stream.dict.get('First')) ?? -1;
    if (count < 0 || first < 0 || first > data.length || count > this.limits.maxEntries) {
      throw pdfMalformed(`object stream ${num}: bad /N or /First`);
    }
    const header = new PdfParser(data, this.budget, 0);
    const offsets = new Map<number, number>();
    for (let i = 0; i < count; i++) {
      const objectNum = header.readInteger('an object number in an object stream');
      const at = first + header.readInteger('an offset in an object stream');
      if (at >= data.length) throw pdfMalformed(`object stream ${num}: an offset past its end`);
      if (!offsets.has(objectNum)) offsets.set(objectNum, at);
    }
    const result = { data, offsets };
    this.objectStreams.set(num, result);
    return result;
  }
}

/** The catalog (trailer /Root). */
export function catalogOf(doc: PdfDocument): PdfDict {
  const root = doc.dict(doc.trailer.get('Root'));
  if (root === undefined) throw pdfMalformed('the trailer has no /Root catalog');
  return root;
}

/** The reference of the first page, walking /Pages → /Kids (bounded depth, no loops). */
export function firstPageRef(doc: PdfDocument): PdfRef {
  let node: PdfValue | undefined = catalogOf(doc).get('Pages');
  const seen = new Set<number>();
  for (let depth = 0; depth <= doc.limits.maxDepth; depth++) {
    if (!(node instanceof PdfRef)) throw pdfMalformed('the page tree holds a node that is not a reference');
    if (seen.has(node.num)) throw pdfMalformed('the page tree loops');
    seen.add(node.num);
    const dict = doc.dict(node);
    if (dict === undefined) throw pdfMalformed('a page tree node is not a dictionary');
    const kids = doc.array(dict.get('Kids'));
    if (kids === undefined) return node;
    if (kids.length === 0) throw pdfMalformed('the document has no page');
    node = kids[0];
  }
  throw pdfMalformed(`the page tree is deeper than ${doc.limits.maxDepth}`);
}
