import { HpkiError } from '../../protocol/errors.js';

/**
 * The one table from what the host answered a PIN with to what the card flow does next: `retry`
 * (the window asks again, with the tries left), `insert-card` (the card went away before the PIN
 * reached it: wait for a card again), `blocked` (no tries left: the window explains the unlock) or
 * `failed` (the flow ends and the window says why). A login and a signature (PROTOCOL.md §11) share it.
 */

export type NextStep =
  | { step: 'retry'; retriesLeft: number }
  | { step: 'insert-card' }
  | { step: 'blocked'; error: HpkiError }
  | { step: 'failed'; error: HpkiError };

const CARD_GONE: ReadonlySet<string> = new Set(['ERR_HPKI_CARD_REMOVED', 'ERR_HPKI_NO_CARD']);

/** `retriesLeft` is what the window showed before this PIN. */
export function nextStepAfter(error: HpkiError, retriesLeft: number): NextStep {
  if (error.code === 'ERR_HPKI_PIN_INCORRECT') {
    const left = error.retriesLeft ?? Math.max(0, retriesLeft - 1);
    if (left > 0) return { step: 'retry', retriesLeft: left };
    return { step: 'blocked', error: new HpkiError('ERR_HPKI_PIN_BLOCKED', 'no PIN tries left') };
  }
  if (error.code === 'ERR_HPKI_PIN_BLOCKED') return { step: 'blocked', error };
  if (CARD_GONE.has(error.code)) return { step: 'insert-card' };
  return { step: 'failed', error };
}
