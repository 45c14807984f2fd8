import { z } from 'zod';
import type { HashAlgorithm } from '../../../protocol/digest-info.js';
import { HpkiError } from '../../../protocol/errors.js';
import { digest } from '../cms/algorithms.js';
import { type FinishOptions, finishCmsSignature, prepareCmsSignature } from '../cms/index.js';
import type { PendingSignature } from '../document-types.js';
import { PdfDocument } from './pdf-document.js';
import { DEFAULT_PDF_LIMITS, type PdfLimits } from './pdf-limits.js';
import { addSignatureField, fillContents, type PreparedPdf, signedBytes } from './signature-field.js';

/**
 * PAdES baseline B-B and B-T (ETSI EN 319 142-1) made with the card in two requests: `preparePades`
 * writes the incremental update with an empty signature and returns the hash of the CMS signed
 * attributes (contentType, messageDigest over the ByteRange, signingCertificateV2; no signingTime,
 * the time is the PDF's /M); `finishPades` puts the CMS made from the card's signature, and a
 * signature timestamp when a Timestamper is given, into /Contents.
 */

export interface PadesInput {
  /** The PDF to sign (classic cross-reference or streams, already signed or not). */
  pdf: Uint8Array;
  /** The signing certificate (`getSigningCertificate().certificate`), DER. */
  certificate: Uint8Array;
  /** The card's CA certificates (`getSigningCertificate().intermediates`), DER, embedded in the CMS. */
  intermediates?: readonly Uint8Array[];
  /** Default SHA-256. */
  hashAlgorithm?: HashAlgorithm;
  /** /M; default now. */
  signingTime?: Date;
  /** /Reason, e.g. 「診療情報提供書の作成者として署名」; at most 500 characters. */
  reason?: string;
  /** /Location; at most 500 characters. */
  location?: string;
  /** Bytes reserved for the CMS (default 32 KiB: room for a chain and a timestamp token). */
  contentsBytes?: number;
  limits?: PdfLimits;
}

/** Bytes reserved for the CMS in /Contents unless `contentsBytes` says otherwise (a chain and a timestamp token fit). */
export const DEFAULT_CONTENTS_BYTES = 32 * 1024;
const MAX_CONTENTS_BYTES = 256 * 1024;
const MAGIC = 'HPKI-PADES-STATE-1\n';

const headerSchema = z.strictObject({
  byteRange: z.tuple([z.literal(0), z.int().min(0), z.int().min(0), z.int().min(0)]),
  cms: z.base64().max(256 * 1024),
});

function invalid(message: string): HpkiError {
  return new HpkiError('ERR_HPKI_INVALID_ARGUMENT', message);
}

/** The site's state: a header line (ByteRange, the CMS state) and the prepared file. */
function encodeState(prepared: PreparedPdf, cmsState: Uint8Array): Uint8Array {
  const header = JSON.stringify({ byteRange: prepared.byteRange, cms: Buffer.from(cmsState).toString('base64') });
  return Buffer.concat([Buffer.from(`${MAGIC}${header}\n`, 'utf8'), prepared.pdf]);
}

/** The prepared file and the CMS state inside a state `preparePades` made (for `finishPades` and tests). */
export function readPendingPades(state: Uint8Array): { prepared: PreparedPdf; cmsState: Uint8Array } {
  const buffer = Buffer.from(state.buffer, state.byteOffset, state.length);
  const newline = buffer.indexOf(0x0a, MAGIC.length);
  if (buffer.subarray(0, MAGIC.length).toString('latin1') !== MAGIC || newline < 0) {
    throw invalid('the pending signature state is not one preparePades made');
  }
  let header: z.infer<typeof headerSchema>;
  try {
    header = headerSchema.parse(JSON.parse(buffer.subarray(MAGIC.length, newline).toString('utf8')));
  } catch {
    throw invalid('the pending signature state is not one preparePades made');
  }
  const pdf = new Uint8Array(buffer.subarray(newline + 1));
  const [, start, end, length] = header.byteRange;
  if (!(start < end && end + length === pdf.length)) throw invalid('the pending signature state does not add up');
  return { prepared: { pdf, byteRange: header.byteRange }, cmsState: Buffer.from(header.cms, 'base64') };
}

/**
 * Step 1: the file with an empty signature, kept in `state`, and the hash the page's `sign` must
 * sign. Refuses a PDF it cannot read (ERR_DOCUMENT_MALFORMED) and an encrypted one.
 */
export function preparePades(input: PadesInput): PendingSignature {
  const contentsBytes = input.contentsBytes ?? DEFAULT_CONTENTS_BYTES;
  if (!Number.isSafeInteger(contentsBytes) || contentsBytes < 1024 || contentsBytes > MAX_CONTENTS_BYTES) {
    throw invalid(`contentsBytes must be 1024 to ${MAX_CONTENTS_BYTES}`);
  }
  const hashAlgorithm = input.hashAlgorithm ?? 'SHA-256';
  const doc = new PdfDocument(input.pdf, input.limits ?? DEFAULT_PDF_LIMITS);
  const prepared = addSignatureField(doc, {
    signingTime: input.signingTime ?? new Date(),
    ...(input.reason === undefined ? {} : { reason: input.reason }),
    ...(input.location === undefined ? {} : { location: input.location }),
    contentsBytes,
  });
  const signedDigest = digest(hashAlgorithm, signedBytes(prepared.pdf, prepared.byteRange));
  const cms = prepareCmsSignature({
    content: { hashAlgorithm, digest: signedDigest },
    certificate: input.certificate,
    ...(input.intermediates === undefined ? {} : { intermediates: input.intermediates }),
    hashAlgorithm,
    signingTime: null,
  });
  return { hashAlgorithm, hash: cms.hash, state: encodeState(prepared, cms.state) };
}

/**
 * Step 2: the signed PDF. `signature` is the page's `sign` answer (decoded from base64); it must
 * verify with the certificate (else ERR_SIGNATURE_INVALID). With `timestamper`, PAdES B-T.
 */
export async function finishPades(
  state: Uint8Array,
  signature: Uint8Array,
  options: FinishOptions = {},
): Promise<Uint8Array> {
  const { prepared, cmsState } = readPendingPades(state);
  const cms = await finishCmsSignature(cmsState, signature, options);
  return fillContents(prepared, cms);
}
