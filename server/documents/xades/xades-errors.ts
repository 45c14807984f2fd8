import type { DocumentErrorCode } from '../../../protocol/errors.js';

/**
 * The error codes of the XAdES module (docs/signing.md, "XAdES"): each refusal of an XML document or
 * of a signature in it has one, so a caller (and `verify-signature`) can say what was wrong. Codes of
 * PROTOCOL.md §5 (certificate, signature, role) are used as they are where they fit.
 */
export const XADES_ERROR_CODES = [
  /** Larger than the size bound. */
  'ERR_XML_TOO_LARGE',
  /** Not UTF-8, or declares another encoding. */
  'ERR_XML_ENCODING',
  /** A document type declaration or an entity declaration: refused before parsing. */
  'ERR_XML_DTD',
  /** Not well-formed XML (xmldom's errors and warnings alike), or a node type the format never has. */
  'ERR_XML_MALFORMED',
  /** Over a bound on depth, element count, attribute count or parse time. */
  'ERR_XML_LIMIT',
  /** Two elements with one ID (`id`, `Id`, `ID`). */
  'ERR_XADES_DUPLICATE_ID',
  /** Not the e-prescription layout: a signature or a signed element where none belongs, or missing. */
  'ERR_XADES_STRUCTURE',
  /** A Reference that does not resolve to exactly the element in the signed position. */
  'ERR_XADES_REFERENCE',
  /** An algorithm or transform outside the profile (exc-c14n, rsa-sha256/384/512, sha256/384/512). */
  'ERR_XADES_ALGORITHM',
  /** prepareXades or finishXades given something it cannot use (CSV, certificate, state, signature). */
  'ERR_XADES_INPUT',
] as const;

/**
 * The codes shared with the other document formats (protocol/errors.ts) for what means the same in
 * XAdES: a reference digest that does not match (ERR_DOCUMENT_MODIFIED), a SigningTime or
 * SigningCertificateV2 missing, unreadable or not naming the KeyInfo certificate
 * (ERR_SIGNED_ATTRIBUTE_INVALID), a SignatureTimeStamp without one readable token (ERR_TIMESTAMP_INVALID).
 */
export type XadesErrorCode =
  | (typeof XADES_ERROR_CODES)[number]
  | Extract<DocumentErrorCode, 'ERR_DOCUMENT_MODIFIED' | 'ERR_SIGNED_ATTRIBUTE_INVALID' | 'ERR_TIMESTAMP_INVALID'>;

export class XadesError extends Error {
  readonly code: XadesErrorCode;

  constructor(code: XadesErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'XadesError';
    this.code = code;
  }
}

/** The code of an error from this module or from the verifiers it calls, or undefined for anything else. */
export function errorCodeOf(err: unknown): string | undefined {
  if (err instanceof Error && 'code' in err && typeof err.code === 'string' && err.code.startsWith('ERR_')) {
    return err.code;
  }
  return undefined;
}
