import { HpkiError } from '../../protocol/errors.js';
import type { PinApplication, ReaderStatus } from '../../protocol/messages.js';
import { createCaCertificateCache } from '../cache/index.js';
import type { CardBackend, CardToken } from '../card/index.js';
import { type CaCertificateCache, detectCardType, newReadModes, openHpkiToken } from '../card/index.js';
import type { ApduResponder } from '../transport/index.js';
import { createMemoryTransport, type MemoryTransport } from '../transport/index.js';
import { createVirtualCard } from '../virtual-card/index.js';

/**
 * The virtual card in-process, as the `mock` backend: the zero-install demo and unit tests. The card
 * file is loaded per command, so its PIN counter is the one on disk (a card locked elsewhere is locked
 * here too), and the driver above is the same one that talks to real readers.
 */

export const MEMORY_READER = 'HPKI Login Virtual Card';

export interface MemoryBackendOptions {
  cardPath: string;
  /** Receives each command's transport, so benchmarks can count APDUs and bytes. */
  onTransport?: (transport: MemoryTransport) => void;
  /** Where CA certificates are kept between commands (and processes); default: in memory. */
  caCache?: CaCertificateCache;
}

export function createMemoryBackend(options: MemoryBackendOptions): CardBackend {
  if (options.cardPath === '') throw new HpkiError('ERR_HPKI_NO_CARD', 'no virtual card file was given');
  let busy = false;
  const caCache = options.caCache ?? createCaCertificateCache();
  const readModes = newReadModes();

  function loadCard(): ApduResponder {
    try {
      return createVirtualCard({ path: options.cardPath });
    } catch (err) {
      throw new HpkiError('ERR_HPKI_NO_CARD', 'the virtual card file cannot be read', { cause: err });
    }
  }

  function transportFor(card: ApduResponder): MemoryTransport {
    const transport = createMemoryTransport(card);
    options.onTransport?.(transport);
    return transport;
  }

  return {
    name: 'mock',

    async listReaders(): Promise<ReaderStatus[]> {
      let card: ApduResponder;
      try {
        card = loadCard();
      } catch {
        return [{ name: MEMORY_READER, cardPresent: false, cardType: null }];
      }
      const transport = transportFor(card);
      try {
        return [{ name: MEMORY_READER, cardPresent: true, cardType: await detectCardType(transport) }];
      } finally {
        await transport.close();
      }
    },

    async openToken(reader?: string, application?: PinApplication): Promise<{ reader: string; token: CardToken }> {
      if (reader !== undefined && reader !== MEMORY_READER) {
        throw new HpkiError('ERR_HPKI_NO_READER', 'the requested reader is not connected');
      }
      if (busy) throw new HpkiError('ERR_HPKI_BUSY', 'another login is using the card');
      busy = true;
      try {
        const transport = transportFor(loadCard());
        const token = await openHpkiToken(
          {
            transmit: (command) => transport.transmit(command),
            close: async () => {
              busy = false;
              await transport.close();
            },
          },
          { application, caCache, readModes },
        );
        return { reader: MEMORY_READER, token };
      } catch (err) {
        busy = false;
        throw err;
      }
    },

    async close() {},
  };
}
