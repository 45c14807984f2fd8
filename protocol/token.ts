import * as z from 'zod/mini';
import { decodeBase64Strict, encodeBase64 } from './base64.js';
import { HpkiError } from './errors.js';

export const TOKEN_FORMAT = 'hpki-login:1';
export const ALLOWED_ALGORITHMS = ['RS256'] as const;
export const MAX_TOKEN_BYTES = 16 * 1024;
export const MAX_INTERMEDIATES = 4;

/** A standard base64 (padded) field of DER or signature bytes; strictness is checked on decoding. */
export const base64Field = z.string().check(z.minLength(4), z.maxLength(MAX_TOKEN_BYTES));

/** The login token of PROTOCOL.md §4. */
export const tokenSchema = z.strictObject({
  /** The token format and its version: a site refuses a format it does not know. */
  format: z.literal(TOKEN_FORMAT),
  /** The signature algorithm; only the allowlisted RS256. */
  algorithm: z.enum(ALLOWED_ALGORITHMS),
  /** Standard base64 of the end-entity certificate's DER. */
  certificate: base64Field,
  /** Standard base64 of the issuing CA certificates' DER, nearest first; optional on the wire (the shared vectors omit it), absent means none. */
  intermediates: z._default(z.array(base64Field).check(z.maxLength(MAX_INTERMEDIATES)), []),
  /** Standard base64 of the RSASSA-PKCS1-v1_5 SHA-256 signature over the §3 content. */
  signature: base64Field,
});
export type Token = z.infer<typeof tokenSchema>;

/** A token with its fields decoded. */
export interface DecodedToken {
  token: Token;
  certificate: Uint8Array;
  intermediates: Uint8Array[];
  signature: Uint8Array;
}

export function encodeToken(parts: {
  certificate: Uint8Array;
  intermediates: readonly Uint8Array[];
  signature: Uint8Array;
}): Token {
  return {
    format: TOKEN_FORMAT,
    algorithm: 'RS256',
    certificate: encodeBase64(parts.certificate),
    intermediates: parts.intermediates.map(encodeBase64),
    signature: encodeBase64(parts.signature),
  };
}

function malformed(message: string): HpkiError {
  return new HpkiError('ERR_TOKEN_MALFORMED', message);
}

/** Strict base64 decoding: the pure decodeBase64Strict, or a native one that refuses exactly the same texts. */
export type Base64Decoder = (text: string) => Uint8Array | undefined;

const tooLarge = (): HpkiError => malformed(`token larger than ${MAX_TOKEN_BYTES} bytes`);

/** The length of the token's compact JSON, for base64 (ASCII) field values. */
function jsonLength(token: Token): number {
  const quoted = (text: string): number => text.length + 2;
  const members =
    quoted('format') +
    quoted(token.format) +
    quoted('algorithm') +
    quoted(token.algorithm) +
    quoted('certificate') +
    quoted(token.certificate) +
    quoted('intermediates') +
    2 +
    token.intermediates.reduce((sum, v, i) => sum + quoted(v) + (i > 0 ? 1 : 0), 0) +
    quoted('signature') +
    quoted(token.signature);
  // Braces, four commas between the five members, and a colon in each.
  return members + 2 + 4 + 5;
}

/** True when the UTF-8 encoding of `text` is longer than `max` bytes, without encoding it when it can't be. */
function utf8LengthExceeds(text: string, max: number): boolean {
  if (text.length > max) return true;
  // A UTF-16 code unit is at most 3 UTF-8 bytes (a surrogate pair, 2 units, is 4).
  if (text.length * 3 <= max) return false;
  return new TextEncoder().encode(text).length > max;
}

/**
 * Step 1 of PROTOCOL.md §5 without the base64 decoding: size, JSON, format, algorithm allowlist,
 * field bounds. Accepts the raw JSON text or an already parsed value (whose size is then measured
 * as its JSON serialization). The fields are still text: `decodeTokenField` decodes each strictly
 * (a server that finds a returning holder's certificate by its text decodes only the rest).
 */
export function checkToken(input: string | unknown): Token {
  let value: unknown = input;
  if (typeof input === 'string') {
    if (utf8LengthExceeds(input, MAX_TOKEN_BYTES)) throw tooLarge();
    try {
      value = JSON.parse(input);
    } catch {
      throw malformed('token is not JSON');
    }
  }
  const parsed = tokenSchema.safeParse(value);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw malformed(`token ${first ? `${first.path.join('.') || 'value'}: ${first.code}` : 'invalid'}`);
  }
  // The schema bounds every field; the whole is bounded here by its JSON length, counted from the
  // fields (their text is all ASCII once the base64 check passes) rather than by serializing the
  // object again on every login.
  if (jsonLength(parsed.data) > MAX_TOKEN_BYTES) throw tooLarge();
  return parsed.data;
}

/** The refusal of a token field (named as in `intermediates.0`) that is not strict base64. */
export function notStrictBase64(name: string): HpkiError {
  return malformed(`${name} is not strict base64`);
}

/** One field of a checked token, strictly decoded; ERR_TOKEN_MALFORMED naming `name` when it is not strict base64. */
export function decodeTokenField(value: string, name: string, decode: Base64Decoder = decodeBase64Strict): Uint8Array {
  const bytes = decode(value);
  if (bytes === undefined) throw notStrictBase64(name);
  return bytes;
}

/**
 * Step 1 of PROTOCOL.md §5: `checkToken`, then every field strictly decoded. A server may pass its
 * platform's strict base64 decoder (server/verify/node-base64.ts).
 */
export function decodeToken(input: string | unknown, decode: Base64Decoder = decodeBase64Strict): DecodedToken {
  const token = checkToken(input);
  return {
    token,
    certificate: decodeTokenField(token.certificate, 'certificate', decode),
    intermediates: token.intermediates.map((v, i) => decodeTokenField(v, `intermediates.${i}`, decode)),
    signature: decodeTokenField(token.signature, 'signature', decode),
  };
}
