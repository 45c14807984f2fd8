import type { ChangePinParams, ChangePinResult } from '../../protocol/messages.js';
import type { CardBackend } from '../card/index.js';
import { withCardToken } from './with-token.js';

/**
 * `change-pin` (PROTOCOL.md §11): one application's PIN, after the current one is checked once. The
 * new PIN's format was checked with the request's schema, before the card was opened.
 */
export async function runChangePin(backend: CardBackend, params: ChangePinParams): Promise<ChangePinResult> {
  return withCardToken(
    backend,
    params.reader,
    async (token) => {
      await token.changePin(params.pin, params.newPin);
      return {};
    },
    params.application,
  );
}
