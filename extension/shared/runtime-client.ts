import type { WireError } from '../../protocol/errors.js';
import { errorFromWire, HpkiError } from '../../protocol/errors.js';
import { LocalizedError } from './localized-error.js';
import type { RuntimeAnswerMap, RuntimeRequest } from './runtime-messages.js';
import { runtimeReplySchema } from './runtime-messages.js';

export interface RuntimeSender {
  sendMessage(message: unknown): Promise<unknown>;
}

/** Asks the background and unwraps its reply; an error reply becomes a LocalizedError with its code. */
export async function askBackground<R extends RuntimeRequest>(
  runtime: RuntimeSender,
  request: R,
): Promise<RuntimeAnswerMap[R['kind']]> {
  let raw: unknown;
  try {
    raw = await runtime.sendMessage(request);
  } catch (err) {
    // An extension that was updated or reloaded under a page leaves its content script orphaned.
    throw new HpkiError(
      'ERR_HPKI_EXTENSION_UNAVAILABLE',
      `background unreachable: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  const reply = runtimeReplySchema.safeParse(raw);
  if (!reply.success) throw new HpkiError('ERR_HPKI_INTERNAL', 'malformed reply from the background');
  if (!reply.data.ok) {
    // The background localized its errors; keep them as they are.
    const error = errorFromWire(reply.data.error);
    throw new LocalizedError(
      error.code,
      error.message,
      error.retriesLeft === undefined ? undefined : { retriesLeft: error.retriesLeft },
    );
  }
  // The background answers each kind with the value RuntimeAnswerMap names (background/router.ts).
  return reply.data.value as RuntimeAnswerMap[R['kind']];
}

export function wireOf(err: unknown): WireError {
  if (err instanceof HpkiError) return err.toWire();
  return { code: 'ERR_HPKI_INTERNAL', message: err instanceof Error ? err.message : String(err) };
}
