import { DerError, readElement } from '../../../protocol/der.js';
import { HpkiError } from '../../../protocol/errors.js';

/**
 * A walk over a whole DER structure before any library decodes it: every length checked against
 * its container, definite lengths only, the nesting and the number of elements bounded. A file
 * that passes costs the ASN.1 library at most `maxElements` objects, so hostile nesting or a
 * million tiny elements are refused here in linear time.
 */

export interface DerBounds {
  maxBytes: number;
  maxDepth: number;
  maxElements: number;
}

export function malformed(message: string, cause?: unknown): HpkiError {
  return new HpkiError('ERR_DOCUMENT_MALFORMED', message, cause === undefined ? undefined : { cause });
}

/** Throws ERR_DOCUMENT_MALFORMED unless `bytes` is exactly one DER element within the bounds. */
export function checkDerBounds(bytes: Uint8Array, bounds: DerBounds, what: string): void {
  if (bytes.length === 0) throw malformed(`${what} is empty`);
  if (bytes.length > bounds.maxBytes) throw malformed(`${what} is larger than ${bounds.maxBytes} bytes`);
  let elements = 0;
  // An explicit stack (offset, end, depth) rather than recursion: depth is bounded anyway, but no stack frames per level.
  const stack: Array<[number, number, number]> = [[0, bytes.length, 0]];
  try {
    const top = readElement(bytes, 0);
    if (top.end !== bytes.length) throw new DerError('trailing bytes after the element');
    while (stack.length > 0) {
      const [offset, end, depth] = stack.pop()!;
      if (offset >= end) continue;
      const el = readElement(bytes, offset, end);
      if (++elements > bounds.maxElements) throw new DerError(`more than ${bounds.maxElements} elements`);
      stack.push([el.end, end, depth]);
      if ((el.tag & 0x20) !== 0) {
        if (depth + 1 > bounds.maxDepth) throw new DerError(`nested deeper than ${bounds.maxDepth}`);
        stack.push([el.valueStart, el.end, depth + 1]);
      }
    }
  } catch (err) {
    if (err instanceof DerError) throw malformed(`${what} is not DER: ${err.message}`, err);
    throw err;
  }
}
