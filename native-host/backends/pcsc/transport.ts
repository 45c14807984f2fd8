import { HpkiError } from '../../../protocol/errors.js';
import { type ApduTransport, ReaderRefusedError } from '../../transport/index.js';
import type { CommandContext } from './command-context.js';
import { cardInState, SCARD_RESET_CARD, SCARD_STATE_UNAWARE } from './constants.js';
import { type PcscError, pcscFailure, pcscKind } from './error-codes.js';
import type { PcscHandle } from './library.js';

/**
 * APDUs over PC/SC to one card, connected exclusively. Closing resets the card, so that no verified
 * PIN outlives the command that verified it.
 */

/** Largest response: an extended-length signature or certificate block plus SW. */
const MAX_RESPONSE = 4096 + 2;
/** How long a failed extended-length exchange waits for the service to notice a pulled card. */
const REMOVAL_NOTICE_MS = 1_000;

/** Extended Lc or Le: the one form a reader may refuse while the card is fine. */
function isExtended(command: Uint8Array): boolean {
  return command.length > 5 && command[4] === 0;
}

/** Whether the card is still in `reader`, waiting up to `withinMs` for the service to see it go. */
async function stillThere(context: CommandContext, reader: string, withinMs: number): Promise<boolean> {
  const { library, handle } = context;
  try {
    const [now] = await library.getStatusChange(handle, [{ reader, currentState: SCARD_STATE_UNAWARE }], 0);
    if (now === undefined || !cardInState(now.eventState)) return false;
    const [later] = await library.getStatusChange(handle, [{ reader, currentState: now.eventState }], withinMs);
    return later !== undefined && cardInState(later.eventState);
  } catch (err) {
    if (pcscKind(err) === 'timeout') return true;
    return false;
  }
}

/**
 * What a failed exchange means: a card that went away is ERR_HPKI_CARD_REMOVED; an extended-length
 * command that failed on the way while the card stayed in was refused by the reader (the driver then
 * tries a shorter form); anything else is what the error table says.
 */
async function transmitFailure(
  err: unknown,
  command: Uint8Array,
  context: CommandContext,
  reader: string,
): Promise<unknown> {
  if (pcscKind(err) === 'link-failed' && isExtended(command)) {
    if (await stillThere(context, reader, REMOVAL_NOTICE_MS)) {
      return new ReaderRefusedError((err as PcscError).message, { cause: err });
    }
  }
  return pcscFailure(err, 'transmit');
}

export function createPcscTransport(
  context: CommandContext,
  reader: string,
  card: PcscHandle,
  protocol: number,
): ApduTransport {
  let closed = false;
  return {
    async transmit(command) {
      if (closed) throw new Error('transport closed');
      // The library reads this buffer in place: wiped as soon as the exchange has ended (a VERIFY holds the PIN).
      const sent = Buffer.from(command);
      let response: Uint8Array;
      try {
        response = await context.library.transmit(card, protocol, sent, MAX_RESPONSE);
      } catch (err) {
        throw await transmitFailure(err, command, context, reader);
      } finally {
        sent.fill(0);
      }
      // An answer without a status word: the card vanished mid-exchange.
      if (response.length < 2)
        throw new HpkiError('ERR_HPKI_CARD_REMOVED', 'the card stopped answering (removed during the operation)');
      return response;
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        await context.library.disconnect(card, SCARD_RESET_CARD);
      } catch {
        // A card already gone cannot be reset; its state went with it.
      }
    },
  };
}
