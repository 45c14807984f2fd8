import type { CardBackend, CardToken } from '../../native-host/card/card-token.js';
import { HpkiError } from '../../protocol/errors.js';
import { readSharedPemDer } from './shared.js';

/**
 * An in-process backend for unit tests of the host's framing and dispatch: it answers like a card
 * with a fixed certificate and counts every call, so a test can prove that bad input never reached
 * the card (no PIN presented, nothing signed).
 */
export interface CountingBackend extends CardBackend {
  calls: { open: number; verifyPin: number; sign: number; changePin: number };
}

export function createCountingBackend(
  certificate: Uint8Array = readSharedPemDer('test-vectors', 'ee.pem'),
): CountingBackend {
  const calls = { open: 0, verifyPin: 0, sign: 0, changePin: 0 };
  const token: CardToken = {
    cardType: 'hpki',
    application: 'auth',
    readCertificate: async () => ({ certificate, intermediates: [] }),
    confirmCertificates: async (expected) => Buffer.from(expected.certificate).equals(Buffer.from(certificate)),
    pinStatus: async () => ({ retriesLeft: 15, maxRetries: 15 }),
    verifyPin: async () => {
      calls.verifyPin++;
      throw new HpkiError('ERR_HPKI_PIN_INCORRECT', 'wrong PIN', { retriesLeft: 14 });
    },
    sign: async () => {
      calls.sign++;
      return new Uint8Array(256);
    },
    changePin: async () => {
      calls.changePin++;
      throw new HpkiError('ERR_HPKI_PIN_INCORRECT', 'wrong PIN', { retriesLeft: 14 });
    },
    close: async () => undefined,
  };
  return {
    name: 'mock',
    calls,
    listReaders: async () => [{ name: 'Counting Reader', cardPresent: true, cardType: 'hpki' }],
    openToken: async () => {
      calls.open++;
      return { reader: 'Counting Reader', token };
    },
    close: async () => undefined,
  };
}
