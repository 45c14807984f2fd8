import { HpkiError } from '../../../protocol/errors.js';
import { BASIC_LEVELS, type SignatureReport, type SignatureVerdict } from '../../../protocol/signature-report.js';
import { CMS_LIMITS, type CmsReportShape, reportOf, unreadableReport, verifyCmsSignatures } from '../cms/index.js';
import type { DocumentVerifyOptions } from '../document-types.js';
import { definiteLengths } from './ber-lengths.js';
import { PdfDocument } from './pdf-document.js';
import { DEFAULT_PDF_LIMITS, type PdfLimits, pdfMalformed } from './pdf-limits.js';
import { isWhitespace } from './pdf-parser.js';
import { signedBytes } from './signature-field.js';
import { findSignatures, type PdfSignature } from './signature-fields.js';

/**
 * Verifies every signature of a PDF (ETSI.CAdES.detached, and adbe.pkcs7.detached as older
 * signers write it): the ByteRange covers the file from its first byte to the end of a revision
 * except that signature's own /Contents hex string, the CMS verifies over those bytes with the
 * CMS module (signed attributes, SigningCertificateV2, timestamp, the certificate with purpose
 * `sign`), and the level is B-B or B-T. Bytes after the newest signature's revision (an incremental
 * update nobody signed) make it invalid with ERR_DOCUMENT_MODIFIED: reported, never hidden.
 */

export interface PadesVerifyOptions extends DocumentVerifyOptions {
  limits?: PdfLimits;
}

const SHAPE: CmsReportShape = { format: 'pades', levels: BASIC_LEVELS.pades };
const SUB_FILTERS = new Set(['ETSI.CAdES.detached', 'adbe.pkcs7.detached']);
const EOF_MARK = '%%EOF';

/** Whether `end` is just after a `%%EOF` marker (and the end-of-line bytes after it). */
function isRevisionEnd(pdf: Uint8Array, end: number): boolean {
  let at = end;
  while (at > end - 4 && isWhitespace(pdf[at - 1])) at--;
  return at >= EOF_MARK.length && Buffer.from(pdf.subarray(at - EOF_MARK.length, at)).toString('latin1') === EOF_MARK;
}

/** [0, a, b, c]: from the start to `a` is before `<`, `b` after `>` of this /Contents, `b + c` a revision end. */
function checkByteRange(pdf: Uint8Array, signature: PdfSignature): [number, number, number, number] {
  const range = signature.byteRange;
  const [start, a, b, c] = range as [number, number, number, number];
  if (range.length !== 4 || range.some((n) => n < 0) || start !== 0) {
    throw pdfMalformed(`signature ${signature.name}: /ByteRange is not [0 a b c]`);
  }
  if (a !== signature.contents.start || b !== signature.contents.end) {
    throw pdfMalformed(`signature ${signature.name}: /ByteRange does not leave out exactly its own /Contents`);
  }
  if (b + c > pdf.length || !isRevisionEnd(pdf, b + c)) {
    throw pdfMalformed(`signature ${signature.name}: /ByteRange does not end at the end of a revision`);
  }
  return [0, a, b, c];
}

/** The CMS in /Contents: its first element, with definite lengths (NSS-made signatures are BER), no padding. */
function cmsOf(signature: PdfSignature): Uint8Array {
  if (signature.contents.bytes[0] !== 0x30)
    throw pdfMalformed(`signature ${signature.name}: /Contents is not a SEQUENCE`);
  return definiteLengths(signature.contents.bytes, CMS_LIMITS);
}

function failed(error: HpkiError, signature: PdfSignature): SignatureVerdict {
  const { signatures: _, ...verdict } = unreadableReport(error, SHAPE);
  return withTime(verdict, signature);
}

function withTime(verdict: SignatureVerdict, signature: PdfSignature): SignatureVerdict {
  if (verdict.signingTime !== undefined || signature.signingTime === undefined) return verdict;
  return { ...verdict, signingTime: signature.signingTime.toISOString() };
}

async function verifyOne(
  pdf: Uint8Array,
  signature: PdfSignature,
  options: DocumentVerifyOptions,
): Promise<SignatureVerdict> {
  try {
    if (signature.subFilter === undefined || !SUB_FILTERS.has(signature.subFilter)) {
      throw pdfMalformed(`signature ${signature.name}: /SubFilter ${signature.subFilter ?? '(none)'} is not supported`);
    }
    const range = checkByteRange(pdf, signature);
    const report = await verifyCmsSignatures(cmsOf(signature), { ...options, content: signedBytes(pdf, range) }, SHAPE);
    if (report.signatures.length > 1) throw pdfMalformed(`signature ${signature.name}: a CMS with several signers`);
    const { signatures: _, ...verdict } = report;
    return withTime(verdict, signature);
  } catch (err) {
    if (err instanceof HpkiError) return failed(err, signature);
    throw err;
  }
}

/** Bytes after the revision the newest signature ends with, other than end-of-line bytes. */
function hasUnsignedUpdate(pdf: Uint8Array, newest: PdfSignature): boolean {
  const end = (newest.byteRange[2] ?? 0) + (newest.byteRange[3] ?? 0);
  for (let i = end; i < pdf.length; i++) if (!isWhitespace(pdf[i])) return true;
  return false;
}

function markUnsignedUpdate(verdict: SignatureVerdict): SignatureVerdict {
  if (!verdict.valid) return verdict;
  return { ...verdict, valid: false, error: 'ERR_DOCUMENT_MODIFIED' };
}

/**
 * The report of `verify-signature` for a PDF: one verdict per signature, oldest first; the top level
 * describes the newest. Never rejects for a bad file: an unreadable one gets a report whose `error`
 * says why (ERR_DOCUMENT_MALFORMED for anything over the limits).
 */
export async function verifyPades(pdf: Uint8Array, options: PadesVerifyOptions): Promise<SignatureReport> {
  const { limits, ...rest } = options;
  let signatures: PdfSignature[];
  try {
    signatures = findSignatures(new PdfDocument(pdf, limits ?? DEFAULT_PDF_LIMITS));
  } catch (err) {
    if (err instanceof HpkiError) return unreadableReport(err, SHAPE);
    throw err;
  }
  if (signatures.length === 0) return unreadableReport(pdfMalformed('the file holds no signature'), SHAPE);
  const verdicts: SignatureVerdict[] = [];
  for (const signature of signatures) verdicts.push(await verifyOne(pdf, signature, rest));
  if (hasUnsignedUpdate(pdf, signatures.at(-1)!)) verdicts.push(markUnsignedUpdate(verdicts.pop()!));
  return reportOf(verdicts, SHAPE);
}
