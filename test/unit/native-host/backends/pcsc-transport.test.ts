import { describe, expect, it } from 'vitest';
import { createPcscBackend } from '../../../../native-host/backends/pcsc/backend.js';
import type { CommandContext } from '../../../../native-host/backends/pcsc/command-context.js';
import { SCARD_STATE_EMPTY, SCARD_STATE_PRESENT } from '../../../../native-host/backends/pcsc/constants.js';
import { PcscError } from '../../../../native-host/backends/pcsc/error-codes.js';
import { PCSC_LAYOUTS } from '../../../../native-host/backends/pcsc/layout.js';
import type { PcscLibrary } from '../../../../native-host/backends/pcsc/library.js';
import { createPcscTransport } from '../../../../native-host/backends/pcsc/transport.js';
import { ReaderRefusedError } from '../../../../native-host/transport/apdu-transport.js';
import { HpkiError } from '../../../../protocol/errors.js';

/**
 * What a failed PC/SC exchange or connection becomes, over a fake library (the real one, with cards
 * pulled for real, is in test/integration/host-pcsc-ffi.test.ts): the one error table decides, and
 * "Transaction failed" on an extended-length APDU is a refusal by the reader only while the card is
 * still in.
 */

const SHORT = new Uint8Array([0x00, 0xa4, 0x04, 0x00, 0x02, 0x3f, 0x00]);
const EXTENDED = new Uint8Array([0x00, 0xb0, 0x91, 0x00, 0x00, 0x10, 0x00]);
const READER = 'Reader A';

function fake(transmitError: number | undefined, cardStays: boolean, response = new Uint8Array([0x90, 0x00])) {
  const library: PcscLibrary = {
    layout: PCSC_LAYOUTS.linux,
    establishContext: () => 1,
    releaseContext: () => undefined,
    listReaders: () => [READER],
    getStatusChange: async (_context, states, timeoutMs) => {
      if (timeoutMs > 0 && cardStays) throw new PcscError('SCardGetStatusChange', 0x8010000a);
      return states.map((s) => ({
        reader: s.reader,
        eventState: cardStays ? SCARD_STATE_PRESENT : SCARD_STATE_EMPTY,
        atr: new Uint8Array(),
      }));
    },
    cancel: () => undefined,
    connect: async () => ({ card: 7, protocol: 2 }),
    transmit: async (_card, _protocol, command) => {
      expect(command.some((b) => b !== 0)).toBe(true);
      if (transmitError !== undefined) throw new PcscError('SCardTransmit', transmitError);
      return response;
    },
    disconnect: async () => undefined,
  };
  const context: CommandContext = { library, handle: 1, readers: [], close: () => undefined };
  return createPcscTransport(context, READER, 7, 2);
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (err: unknown) => err,
  );
}

describe('PC/SC transport failures', () => {
  it('a card removed or reset mid-exchange: ERR_HPKI_CARD_REMOVED', async () => {
    for (const code of [0x80100069, 0x80100068, 0x80100017, 0x8010000c]) {
      expect(await failure(fake(code, false).transmit(SHORT))).toMatchObject({ code: 'ERR_HPKI_CARD_REMOVED' });
    }
  });

  it('"Transaction failed" on a short APDU: the card went away', async () => {
    expect(await failure(fake(0x80100016, true).transmit(SHORT))).toMatchObject({ code: 'ERR_HPKI_CARD_REMOVED' });
  });

  it('"Transaction failed" on an extended APDU: refused by the reader while the card stays, removed when it left', async () => {
    const refused = await failure(fake(0x80100016, true).transmit(EXTENDED));
    expect(refused).toBeInstanceOf(ReaderRefusedError);
    const gone = await failure(fake(0x80100016, false).transmit(EXTENDED));
    expect(gone).toMatchObject({ code: 'ERR_HPKI_CARD_REMOVED' });
    expect(gone).not.toBeInstanceOf(ReaderRefusedError);
  });

  it('an answer without a status word: the card went away', async () => {
    const err = await failure(fake(undefined, true, new Uint8Array([0x90])).transmit(SHORT));
    expect(err).toMatchObject({ code: 'ERR_HPKI_CARD_REMOVED' });
  });

  it('a fault of the service stays internal, and names the PC/SC code', async () => {
    const err = await failure(fake(0x80100001, true).transmit(SHORT));
    expect(err).toBeInstanceOf(HpkiError);
    expect(err).toMatchObject({
      code: 'ERR_HPKI_INTERNAL',
      message: expect.stringContaining('SCARD_F_INTERNAL_ERROR'),
    });
  });
});

describe('PC/SC connection failures', () => {
  function backendConnecting(errors: number[], present = true) {
    let attempts = 0;
    const library: PcscLibrary = {
      layout: PCSC_LAYOUTS.linux,
      establishContext: () => 1,
      releaseContext: () => undefined,
      listReaders: () => [READER],
      getStatusChange: async (_c, states) =>
        states.map((s) => ({
          reader: s.reader,
          eventState: present ? SCARD_STATE_PRESENT : SCARD_STATE_EMPTY,
          atr: new Uint8Array([0x3b]),
        })),
      cancel: () => undefined,
      connect: async () => {
        const code = errors[Math.min(attempts++, errors.length - 1)];
        throw new PcscError('SCardConnect', code!);
      },
      transmit: async () => new Uint8Array([0x90, 0x00]),
      disconnect: async () => undefined,
    };
    return {
      backend: createPcscBackend({ library: async () => library, busyTimeoutMs: 300 }),
      attempts: () => attempts,
    };
  }

  it('the card pulled between the listing and the connection: ERR_HPKI_NO_CARD', async () => {
    for (const code of [0x8010000c, 0x80100069, 0x80100016]) {
      const { backend } = backendConnecting([code]);
      expect(await failure(backend.openToken())).toMatchObject({ code: 'ERR_HPKI_NO_CARD' });
    }
  });

  it('another program holding the card: retried, then ERR_HPKI_BUSY', async () => {
    const { backend, attempts } = backendConnecting([0x8010000b]);
    expect(await failure(backend.openToken())).toMatchObject({ code: 'ERR_HPKI_BUSY' });
    expect(attempts()).toBeGreaterThan(1);
  });

  it('no card in the snapshot: ERR_HPKI_NO_CARD without connecting', async () => {
    const { backend, attempts } = backendConnecting([0x80100001], false);
    expect(await failure(backend.openToken())).toMatchObject({ code: 'ERR_HPKI_NO_CARD' });
    expect(attempts()).toBe(0);
  });
});
