import type { StatusResult } from '../../protocol/messages.js';
import type { CardBackend } from '../card/index.js';
import type { CardPresence } from '../presence/index.js';

/**
 * `status`: the readers and whether each holds a card. Where the reader service can tell (PC/SC),
 * from the readers' states alone, as `find-cards` lists them: no card is connected to or sent an
 * APDU, so a page asking `status` again and again never touches the card, and `cardType` is null
 * (not read). Elsewhere, the backend's own listing, which is as cheap (the in-process virtual card,
 * PKCS#11 slots).
 */
export async function runStatus(backend: CardBackend, presence?: CardPresence): Promise<StatusResult> {
  if (presence?.presentReaders === undefined) return { readers: await backend.listReaders() };
  const { names, withCard } = await presence.presentReaders();
  return { readers: names.map((name) => ({ name, cardPresent: withCard.includes(name), cardType: null })) };
}
