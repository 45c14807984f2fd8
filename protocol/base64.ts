/**
 * Strict base64 (standard alphabet, with padding, PROTOCOL.md §4) and base64url (no padding, the
 * challenge of §1.1). Pure, for Node and the browser alike. Non-canonical encodings (stray bits in the
 * last character, missing or extra padding, whitespace) are refused. Servers decode a certificate in
 * every token, so decoding is a table lookup per character.
 */

const STD = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const URL_SAFE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Sextet of each ASCII character of an alphabet, -1 for every other character. */
function sextetTable(alphabet: string): Int8Array {
  const table = new Int8Array(128).fill(-1);
  for (let i = 0; i < alphabet.length; i++) table[alphabet.charCodeAt(i)] = i;
  return table;
}

const STD_SEXTETS = sextetTable(STD);
const URL_SEXTETS = sextetTable(URL_SAFE);

function encodeWith(bytes: Uint8Array, alphabet: string, pad: boolean): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += alphabet[(n >> 18) & 63]! + alphabet[(n >> 12) & 63]! + alphabet[(n >> 6) & 63]! + alphabet[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += alphabet[(n >> 18) & 63]! + alphabet[(n >> 12) & 63]! + (pad ? '==' : '');
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += alphabet[(n >> 18) & 63]! + alphabet[(n >> 12) & 63]! + alphabet[(n >> 6) & 63]! + (pad ? '=' : '');
  }
  return out;
}

/**
 * Decodes the first `length` characters of `text`, none of them padding, or returns undefined for a
 * character outside the alphabet, a dangling single character, or stray bits in the last character.
 */
function decodeBody(text: string, length: number, table: Int8Array): Uint8Array | undefined {
  const rest = length % 4;
  if (rest === 1) return undefined;
  const whole = length - rest;
  const out = new Uint8Array((whole / 4) * 3 + (rest === 0 ? 0 : rest - 1));
  const sextet = (i: number): number => {
    const code = text.charCodeAt(i);
    return code < 128 ? table[code]! : -1;
  };
  let bad = 0;
  let o = 0;
  for (let i = 0; i < whole; i += 4) {
    const a = sextet(i);
    const b = sextet(i + 1);
    const c = sextet(i + 2);
    const d = sextet(i + 3);
    bad |= a | b | c | d;
    const v = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = v >> 16;
    out[o++] = (v >> 8) & 0xff;
    out[o++] = v & 0xff;
  }
  if (rest >= 2) {
    const a = sextet(whole);
    const b = sextet(whole + 1);
    const c = rest === 3 ? sextet(whole + 2) : 0;
    bad |= a | b | c;
    if (rest === 2 ? (b & 0x0f) !== 0 : (c & 0x03) !== 0) return undefined;
    out[o++] = (a << 2) | (b >> 4);
    if (rest === 3) out[o] = ((b & 0x0f) << 4) | (c >> 2);
  }
  return bad < 0 ? undefined : out;
}

export function encodeBase64(bytes: Uint8Array): string {
  return encodeWith(bytes, STD, true);
}

export function encodeBase64Url(bytes: Uint8Array): string {
  return encodeWith(bytes, URL_SAFE, false);
}

/** Decodes canonical padded base64, or returns undefined. */
export function decodeBase64Strict(text: string): Uint8Array | undefined {
  const n = text.length;
  if (n % 4 !== 0) return undefined;
  // Up to two '=' complete the final group; any other '=' is outside the alphabet and refused.
  const pad = n > 0 && text.charCodeAt(n - 1) === 0x3d ? (text.charCodeAt(n - 2) === 0x3d ? 2 : 1) : 0;
  return decodeBody(text, n - pad, STD_SEXTETS);
}

/** Decodes canonical unpadded base64url, or returns undefined. */
export function decodeBase64UrlStrict(text: string): Uint8Array | undefined {
  return decodeBody(text, text.length, URL_SEXTETS);
}

const HEX: readonly string[] = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

export function bytesToHex(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i]!]!;
  return out;
}

export function hexToBytes(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw new TypeError('not a hex string');
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}
