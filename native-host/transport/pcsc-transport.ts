import { HpkiError } from '../../protocol/errors.js';
import { type ApduTransport, ReaderRefusedError } from './apdu-transport.js';
import type { PcscReader } from './pcsclite-types.js';

/**
 * APDUs over PC/SC to one reader, connected exclusively. Closing resets the card, so that no
 * verified PIN outlives the command that verified it.
 */

/** PC/SC errors that mean the card went away during the exchange. */
const CARD_GONE =
  /0x8010000C|0x80100017|0x80100066|0x80100068|0x80100069|0x8010002E|removed|unavailable|No smart card/i;
/** Largest response: an extended-length signature or certificate block plus SW. */
const MAX_RESPONSE = 4096 + 2;

export function isCardGoneError(err: unknown): boolean {
  return err instanceof Error && CARD_GONE.test(err.message);
}

export function createPcscTransport(reader: PcscReader, protocol: number): ApduTransport {
  let closed = false;
  return {
    transmit(command) {
      if (closed) return Promise.reject(new Error('transport closed'));
      // The addon's copy of a VERIFY holds the PIN: wiped as soon as the exchange has ended.
      const sent = Buffer.from(command);
      return new Promise((resolve, reject) => {
        reader.transmit(sent, MAX_RESPONSE, protocol, (err, response) => {
          sent.fill(0);
          if (err) {
            reject(
              isCardGoneError(err)
                ? new HpkiError('ERR_HPKI_CARD_REMOVED', 'the card was removed during the operation')
                : new ReaderRefusedError(err.message, { cause: err }),
            );
          } else if (response.length < 2) {
            // pcsclite reports success with an empty answer when the card vanished mid-exchange.
            reject(new HpkiError('ERR_HPKI_CARD_REMOVED', 'the card stopped answering (removed during the operation)'));
          } else {
            resolve(new Uint8Array(response));
          }
        });
      });
    },
    close() {
      if (closed) return Promise.resolve();
      closed = true;
      return new Promise((resolve) => {
        reader.disconnect(reader.SCARD_RESET_CARD, () => resolve());
      });
    },
  };
}
