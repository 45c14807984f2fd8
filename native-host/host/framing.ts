import { MAX_BROWSER_MESSAGE_BYTES, MAX_HOST_MESSAGE_BYTES } from '../../protocol/messages.js';

/**
 * Native messaging framing (PROTOCOL.md §2): a 32-bit little-endian length, then UTF-8 JSON.
 * The decoder is a pure state machine over byte chunks so it can be fed anything in tests. Requests
 * carry the PIN, so every copy the decoder makes is zeroed as soon as it is no longer needed (best
 * effort: the decoded JSON string cannot be wiped; see SECURITY.md).
 */

export type DecodedFrame =
  | { kind: 'message'; value: unknown }
  /** A frame that arrived whole but is not UTF-8 JSON: answerable, the stream is still in sync. */
  | { kind: 'malformed'; reason: string }
  /** A length over the limit: the stream cannot be trusted any more. */
  | { kind: 'oversized'; length: number };

export interface FrameDecoder {
  /** Feeds bytes; returns the frames completed by them. After 'oversized', nothing more is decoded. */
  push(chunk: Uint8Array): DecodedFrame[];
  /** Bytes of an incomplete frame still buffered (a frame cut off by EOF). */
  pending(): number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function createFrameDecoder(maxBytes = MAX_BROWSER_MESSAGE_BYTES): FrameDecoder {
  let buffer = new Uint8Array(0);
  let broken = false;
  return {
    push(chunk) {
      if (broken) return [];
      const joined = new Uint8Array(buffer.length + chunk.length);
      joined.set(buffer);
      joined.set(chunk, buffer.length);
      buffer.fill(0);
      buffer = joined;
      const frames: DecodedFrame[] = [];
      while (buffer.length >= 4) {
        const length = new DataView(buffer.buffer, buffer.byteOffset, 4).getUint32(0, true);
        if (length > maxBytes) {
          broken = true;
          buffer.fill(0);
          buffer = new Uint8Array(0);
          frames.push({ kind: 'oversized', length });
          break;
        }
        if (buffer.length < 4 + length) break;
        const consumed = buffer;
        buffer = consumed.slice(4 + length);
        let text: string | undefined;
        try {
          text = utf8.decode(consumed.subarray(4, 4 + length));
        } catch {
          text = undefined;
        } finally {
          consumed.fill(0);
        }
        if (text === undefined) {
          frames.push({ kind: 'malformed', reason: 'message is not UTF-8' });
          continue;
        }
        try {
          frames.push({ kind: 'message', value: JSON.parse(text) as unknown });
        } catch {
          frames.push({ kind: 'malformed', reason: 'message is not JSON' });
        }
      }
      return frames;
    },
    pending: () => buffer.length,
  };
}

/** Encodes one message; throws RangeError when it exceeds the host → browser limit. */
export function encodeFrame(message: unknown, maxBytes = MAX_HOST_MESSAGE_BYTES): Uint8Array {
  const body = new TextEncoder().encode(JSON.stringify(message));
  if (body.length > maxBytes) throw new RangeError(`message of ${body.length} bytes exceeds ${maxBytes}`);
  const frame = new Uint8Array(4 + body.length);
  new DataView(frame.buffer).setUint32(0, body.length, true);
  frame.set(body, 4);
  return frame;
}
