/**
 * Strict base64 (standard alphabet, with padding, PROTOCOL.md §4) and base64url (no padding, the
 * challenge of §1.1). Pure, for Node and the browser alike. Non-canonical encodings (stray bits in the
 * last character, missing or extra padding, whitespace) are refused.
 */

const STD = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const URL_SAFE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

const STD_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const URL_RE = /^[A-Za-z0-9_-]*$/;

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

function decodeWith(text: string, alphabet: string): Uint8Array {
  const body = text.replace(/=+$/, '');
  const out = new Uint8Array(Math.floor((body.length * 3) / 4));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (const ch of body) {
    acc = (acc << 6) | alphabet.indexOf(ch);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}

export function encodeBase64(bytes: Uint8Array): string {
  return encodeWith(bytes, STD, true);
}

export function encodeBase64Url(bytes: Uint8Array): string {
  return encodeWith(bytes, URL_SAFE, false);
}

/** Decodes canonical padded base64, or returns undefined. */
export function decodeBase64Strict(text: string): Uint8Array | undefined {
  if (text.length % 4 !== 0 || !STD_RE.test(text)) return undefined;
  const bytes = decodeWith(text, STD);
  return encodeBase64(bytes) === text ? bytes : undefined;
}

/** Decodes canonical unpadded base64url, or returns undefined. */
export function decodeBase64UrlStrict(text: string): Uint8Array | undefined {
  if (!URL_RE.test(text) || text.length % 4 === 1) return undefined;
  const bytes = decodeWith(text, URL_SAFE);
  return encodeBase64Url(bytes) === text ? bytes : undefined;
}

export function bytesToHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

export function hexToBytes(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw new TypeError('not a hex string');
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}
