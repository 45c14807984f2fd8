import { concatBytes } from '../../../protocol/bytes.js';
import { derLength } from '../../../protocol/der-writer.js';
import { pdfMalformed } from './pdf-limits.js';

/**
 * BER to DER lengths for the CMS in a PDF's /Contents: signers built on NSS (poppler's pdfsig,
 * LibreOffice, Okular) write the SignedData with indefinite lengths (X.690 §8.1.3.6), which the CMS
 * module, strict DER, refuses. Every indefinite length becomes a definite one and the contents are
 * kept byte for byte, so the signed attributes (DER, as RFC 5652 §5.4 makes signers encode them)
 * still verify. Bounded in depth and element count; the element ends where its own length says, so
 * the zero padding after it is left out.
 */

export interface BerBounds {
  maxDepth: number;
  maxElements: number;
}

interface Walk {
  bytes: Uint8Array;
  bounds: BerBounds;
  elements: number;
}

/** The tag octets at `at` (low or high tag number form) and where the length starts. */
function readTag(bytes: Uint8Array, at: number): number {
  const first = bytes[at];
  if (first === undefined) throw pdfMalformed('the signature ends inside a tag');
  if ((first & 0x1f) !== 0x1f) return at + 1;
  let i = at + 1;
  while ((bytes[i] ?? 0) & 0x80) if (++i - at > 5) throw pdfMalformed('a tag number too long in the signature');
  if (bytes[i] === undefined) throw pdfMalformed('the signature ends inside a tag');
  return i + 1;
}

function readLength(bytes: Uint8Array, at: number): { length: number | undefined; start: number } {
  const first = bytes[at];
  if (first === undefined) throw pdfMalformed('the signature ends inside a length');
  if (first < 0x80) return { length: first, start: at + 1 };
  if (first === 0x80) return { length: undefined, start: at + 1 };
  const count = first & 0x7f;
  if (count > 4) throw pdfMalformed('a length over 4 octets in the signature');
  let length = 0;
  for (let i = 1; i <= count; i++) {
    const octet = bytes[at + i];
    if (octet === undefined) throw pdfMalformed('the signature ends inside a length');
    length = length * 256 + octet;
  }
  return { length, start: at + 1 + count };
}

/** One element at `at` re-encoded with definite lengths, and the offset after it. */
function element(walk: Walk, at: number, limit: number, depth: number): { encoded: Uint8Array; end: number } {
  if (++walk.elements > walk.bounds.maxElements)
    throw pdfMalformed(`more than ${walk.bounds.maxElements} elements in the signature`);
  if (depth > walk.bounds.maxDepth) throw pdfMalformed(`the signature is nested deeper than ${walk.bounds.maxDepth}`);
  const { bytes } = walk;
  const tagEnd = readTag(bytes, at);
  const constructed = (bytes[at]! & 0x20) !== 0;
  const { length, start } = readLength(bytes, tagEnd);
  const tag = bytes.subarray(at, tagEnd);
  if (length !== undefined && start + length > limit)
    throw pdfMalformed('a length runs past its container in the signature');
  if (!constructed) {
    if (length === undefined) throw pdfMalformed('an indefinite length on a primitive element in the signature');
    return { encoded: bytes.subarray(at, start + length), end: start + length };
  }
  const children: Uint8Array[] = [];
  let pos = start;
  const end = length === undefined ? limit : start + length;
  while (true) {
    if (length === undefined && bytes[pos] === 0 && bytes[pos + 1] === 0) {
      pos += 2;
      break;
    }
    if (length !== undefined && pos >= end) break;
    if (pos >= limit) throw pdfMalformed('an indefinite length without its end in the signature');
    const child = element(walk, pos, end, depth + 1);
    children.push(child.encoded);
    pos = child.end;
  }
  const body = concatBytes(children);
  return { encoded: concatBytes([tag, derLength(body.length), body]), end: pos };
}

/** The first element of `bytes` with definite lengths only (padding after it ignored). */
export function definiteLengths(bytes: Uint8Array, bounds: BerBounds): Uint8Array {
  const walk: Walk = { bytes, bounds, elements: 0 };
  return element(walk, 0, bytes.length, 0).encoded.slice();
}
