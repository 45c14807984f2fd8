import * as z from 'zod/mini';

/**
 * Error codes of PROTOCOL.md §8 (client side) and §5 (server-side validation), and the one error
 * class that carries them across process boundaries (host → extension → page, verifier → HTTP).
 */

/** Client-side codes, PROTOCOL.md §8. */
export const CLIENT_ERROR_CODES = [
  'ERR_HPKI_EXTENSION_UNAVAILABLE',
  'ERR_HPKI_NATIVE_UNAVAILABLE',
  'ERR_HPKI_VERSION_MISMATCH',
  'ERR_HPKI_NO_READER',
  'ERR_HPKI_NO_CARD',
  'ERR_HPKI_UNSUPPORTED_CARD',
  'ERR_HPKI_CARD_CHANGED',
  'ERR_HPKI_CARD_REMOVED',
  'ERR_HPKI_PIN_INCORRECT',
  'ERR_HPKI_PIN_BLOCKED',
  'ERR_HPKI_USER_CANCELLED',
  'ERR_HPKI_USER_TIMEOUT',
  'ERR_HPKI_BUSY',
  'ERR_HPKI_INSECURE_ORIGIN',
  'ERR_HPKI_SITE_NOT_ALLOWED',
  'ERR_HPKI_INVALID_ARGUMENT',
  'ERR_HPKI_INTERNAL',
] as const;

/** Server-side validation codes, PROTOCOL.md §5. */
export const VALIDATION_ERROR_CODES = [
  'ERR_TOKEN_MALFORMED',
  'ERR_CHALLENGE_UNKNOWN',
  'ERR_CHALLENGE_EXPIRED',
  'ERR_CERT_PURPOSE',
  'ERR_CERT_POLICY',
  'ERR_CERT_UNTRUSTED',
  'ERR_CERT_EXPIRED',
  'ERR_CERT_NOT_YET_VALID',
  'ERR_CERT_REVOKED',
  'ERR_REVOCATION_UNKNOWN',
  'ERR_SIGNATURE_INVALID',
  'ERR_ROLE_NOT_ALLOWED',
  // The project's own (docs/protocol-choices.md): `verify-cert` given a file that holds no certificate.
  'ERR_CERT_MALFORMED',
] as const;

/**
 * Codes of the signed-document library and `verify-signature` (PROTOCOL.md §11, docs/signing.md):
 * they describe a file or a time-stamping authority, never a card or a login, so pages never see
 * them and the extension has no sentence for them.
 */
export const DOCUMENT_ERROR_CODES = [
  /** The file (CMS, PDF, XML, timestamp token) is not what the format says, or exceeds a bound. */
  'ERR_DOCUMENT_MALFORMED',
  /** The signed content is not the content the signature covers (a changed byte). */
  'ERR_DOCUMENT_MODIFIED',
  /** A signed attribute is missing or wrong (contentType, SigningCertificateV2, …). */
  'ERR_SIGNED_ATTRIBUTE_INVALID',
  /** A timestamp token does not verify: its imprint, its signature, or its structure. */
  'ERR_TIMESTAMP_INVALID',
  /** The time-stamping authority's certificate is not a TSA's, or its chain ends at no TSA anchor. */
  'ERR_TSA_UNTRUSTED',
  /** The time-stamping authority could not be reached, took too long, or answered too much. */
  'ERR_TSA_UNAVAILABLE',
  /** The time-stamping authority answered with a refusal or an answer that is not for this request. */
  'ERR_TSA_REFUSED',
] as const;

export type ClientErrorCode = (typeof CLIENT_ERROR_CODES)[number];
export type ValidationErrorCode = (typeof VALIDATION_ERROR_CODES)[number];
export type DocumentErrorCode = (typeof DOCUMENT_ERROR_CODES)[number];
export type ErrorCode = ClientErrorCode | ValidationErrorCode | DocumentErrorCode;

const ALL_CODES: ReadonlySet<string> = new Set<string>([...CLIENT_ERROR_CODES, ...VALIDATION_ERROR_CODES]);

/** A code of PROTOCOL.md §8 or §5 (the ones the extension has sentences for); document codes are not. */
export function isErrorCode(value: unknown): value is ClientErrorCode | ValidationErrorCode {
  return typeof value === 'string' && ALL_CODES.has(value);
}

export function isClientErrorCode(value: unknown): value is ClientErrorCode {
  return typeof value === 'string' && (CLIENT_ERROR_CODES as readonly string[]).includes(value);
}

export function isValidationErrorCode(value: unknown): value is ValidationErrorCode {
  return typeof value === 'string' && (VALIDATION_ERROR_CODES as readonly string[]).includes(value);
}

/** The longest error message on any wire; longer text is cut, never refused. */
export const MAX_ERROR_MESSAGE_LENGTH = 1024;
/** The card's PIN counter never exceeds this (HPKI-CARD.md §3). */
export const MAX_PIN_RETRIES = 15;

type OtherErrorCode = Exclude<ErrorCode, 'ERR_HPKI_PIN_INCORRECT'>;
const OTHER_ERROR_CODES = [...CLIENT_ERROR_CODES, ...VALIDATION_ERROR_CODES, ...DOCUMENT_ERROR_CODES].filter(
  (code): code is OtherErrorCode => code !== 'ERR_HPKI_PIN_INCORRECT',
);

const errorMessage = z.string().check(z.maxLength(MAX_ERROR_MESSAGE_LENGTH));

/**
 * The JSON form of an error on every wire of PROTOCOL.md (host → extension, extension → page, server →
 * page): `retriesLeft` is there exactly when the code is ERR_HPKI_PIN_INCORRECT.
 */
export const wireErrorSchema = z.union([
  z.strictObject({
    /** The PIN was wrong and the card counted it. */
    code: z.literal('ERR_HPKI_PIN_INCORRECT'),
    /** What the doctor is told; built from fixed text and public values, never a PIN. */
    message: errorMessage,
    /** How many PIN tries remain before the card locks. */
    retriesLeft: z.int().check(z.minimum(0), z.maximum(MAX_PIN_RETRIES)),
  }),
  z.strictObject({
    /** A code of PROTOCOL.md §8 or §5. */
    code: z.enum(OTHER_ERROR_CODES),
    /** What went wrong, for people; never a PIN or key material. */
    message: errorMessage,
  }),
]);
export type WireError = z.infer<typeof wireErrorSchema>;

/**
 * An error with a protocol code. Messages never contain a PIN or key material: callers build them
 * from fixed text and public values only.
 */
export class HpkiError extends Error {
  readonly code: ErrorCode;
  readonly retriesLeft: number | undefined;

  constructor(code: ErrorCode, message: string, options?: { retriesLeft?: number; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HpkiError';
    this.code = code;
    this.retriesLeft = options?.retriesLeft;
  }

  toWire(): WireError {
    const message = this.message.slice(0, MAX_ERROR_MESSAGE_LENGTH);
    if (this.code === 'ERR_HPKI_PIN_INCORRECT') {
      // A wrong PIN always says how many tries are left; a count that was not known is reported as 0 rather than omitted.
      return { code: this.code, message, retriesLeft: this.retriesLeft ?? 0 };
    }
    return { code: this.code, message };
  }
}

/**
 * For sites' scripts: whether `err` is an HPKI Login error, optionally of one code. With
 * `ERR_HPKI_PIN_INCORRECT` the narrowed error's `retriesLeft` is a number.
 */
export function isHpkiError(err: unknown): err is HpkiError;
export function isHpkiError(
  err: unknown,
  code: 'ERR_HPKI_PIN_INCORRECT',
): err is HpkiError & { code: 'ERR_HPKI_PIN_INCORRECT'; retriesLeft: number };
export function isHpkiError<C extends ErrorCode>(err: unknown, code: C): err is HpkiError & { code: C };
export function isHpkiError(err: unknown, code?: ErrorCode): boolean {
  return err instanceof HpkiError && (code === undefined || err.code === code);
}

/** Rebuilds an HpkiError from a wire error that may not follow the schema; an unknown code becomes ERR_HPKI_INTERNAL. */
export function errorFromWire(wire: { code: unknown; message?: unknown; retriesLeft?: unknown }): HpkiError {
  const message = typeof wire.message === 'string' ? wire.message : 'unknown error';
  const options = typeof wire.retriesLeft === 'number' ? { retriesLeft: wire.retriesLeft } : undefined;
  if (!isErrorCode(wire.code)) return new HpkiError('ERR_HPKI_INTERNAL', `${String(wire.code)}: ${message}`);
  return new HpkiError(wire.code, message, options);
}

/** Wraps anything thrown into an HpkiError, keeping protocol errors as they are. */
export function toHpkiError(err: unknown): HpkiError {
  if (err instanceof HpkiError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new HpkiError('ERR_HPKI_INTERNAL', message, { cause: err });
}
