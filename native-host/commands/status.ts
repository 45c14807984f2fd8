import type { StatusResult } from '../../protocol/messages.js';
import type { CardBackend } from '../card/card-token.js';

/** `status`: the readers, whether each has a card, and what kind. Needs no PIN. */
export async function runStatus(backend: CardBackend): Promise<StatusResult> {
  return { readers: await backend.listReaders() };
}
