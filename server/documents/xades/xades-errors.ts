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
  /** A Reference's digest does not match what it covers. */
  'ERR_XADES_DIGEST',
  /** An algorithm or transform outside the profile (exc-c14n, rsa-sha256/384/512, sha256/384/512). */
  'ERR_XADES_ALGORITHM',
  /** SignedProperties without a readable SigningTime or SigningCertificateV2. */
  'ERR_XADES_SIGNED_PROPERTIES',
  /** SigningCertificateV2 does not name the certificate in KeyInfo. */
  'ERR_XADES_SIGNING_CERTIFICATE',
  /** A SignatureTimeStamp that is not one readable token. */
  'ERR_XADES_TIMESTAMP',
  /** prepareXades or finishXades given something it cannot use (CSV, certificate, state, signature). */
  'ERR_XADES_INPUT',
] as const;
export type XadesErrorCode = (typeof XADES_ERROR_CODES)[number];

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
