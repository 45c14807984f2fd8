import { z } from 'zod';
import { decodeBase64Strict, encodeBase64 } from './base64.js';
import { HpkiError } from './errors.js';

/** The login token of PROTOCOL.md §4. */
export interface Token {
  format: 'hpki-login:1';
  algorithm: 'RS256';
  /** Standard base64 (padded) of the end-entity certificate's DER. */
  certificate: string;
  /** Standard base64 of the issuing CA certificates' DER, nearest first. */
  intermediates: string[];
  /** Standard base64 of the RSASSA-PKCS1-v1_5 SHA-256 signature over the §3 content. */
  signature: string;
}

export const TOKEN_FORMAT = 'hpki-login:1';
export const ALLOWED_ALGORITHMS = ['RS256'] as const;
export const MAX_TOKEN_BYTES = 16 * 1024;
export const MAX_INTERMEDIATES = 4;

const base64Field = z.string().min(4).max(MAX_TOKEN_BYTES);

const tokenSchema = z
  .object({
    format: z.literal(TOKEN_FORMAT),
    algorithm: z.enum(ALLOWED_ALGORITHMS),
    certificate: base64Field,
    /** Optional on the wire (the shared vectors omit it); absent means none. */
    intermediates: z.array(base64Field).max(MAX_INTERMEDIATES).default([]),
    signature: base64Field,
  })
  .strict();

/** A token with its fields decoded. */
export interface DecodedToken {
  token: Token;
  certificate: Uint8Array;
  intermediates: Uint8Array[];
  signature: Uint8Array;
}

export function encodeToken(parts: { certificate: Uint8Array; intermediates: readonly Uint8Array[]; signature: Uint8Array }): Token {
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

function decodeField(value: string, name: string): Uint8Array {
  const bytes = decodeBase64Strict(value);
  if (bytes === undefined) throw malformed(`${name} is not strict base64`);
  return bytes;
}

/** True when the UTF-8 encoding of `text` is longer than `max` bytes, without encoding it when it can't be. */
function utf8LengthExceeds(text: string, max: number): boolean {
  if (text.length > max) return true;
  // A UTF-16 code unit is at most 3 UTF-8 bytes (a surrogate pair, 2 units, is 4).
  if (text.length * 3 <= max) return false;
  return new TextEncoder().encode(text).length > max;
}

/**
 * Step 1 of PROTOCOL.md §5: size, JSON, format, algorithm allowlist, strict base64. Accepts the raw
 * JSON text or an already parsed value (whose size is then measured as its JSON serialization).
 */
export function decodeToken(input: string | unknown): DecodedToken {
  let value: unknown = input;
  const text = typeof input === 'string' ? input : JSON.stringify(input ?? null);
  if (text === undefined || utf8LengthExceeds(text, MAX_TOKEN_BYTES)) {
    throw malformed(`token larger than ${MAX_TOKEN_BYTES} bytes`);
  }
  if (typeof input === 'string') {
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
  const token = parsed.data;
  return {
    token,
    certificate: decodeField(token.certificate, 'certificate'),
    intermediates: token.intermediates.map((v, i) => decodeField(v, `intermediates.${i}`)),
    signature: decodeField(token.signature, 'signature'),
  };
}
