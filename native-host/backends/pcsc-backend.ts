import { setTimeout as sleep } from 'node:timers/promises';
import { bytesToHex } from '../../protocol/base64.js';
import { HpkiError } from '../../protocol/errors.js';
import type { ReaderStatus } from '../../protocol/messages.js';
import { createCaCertificateCache } from '../cache/ca-certificate-cache.js';
import type { CardBackend, CardToken } from '../card/card-token.js';
import { newReadModes, type ReadModes } from '../card/file-reader.js';
import { type CaCertificateCache, detectCardType, openHpkiToken } from '../card/hpki-apdu-token.js';
import type { ApduTransport } from '../transport/apdu-transport.js';
import { loadPcscFactory, type OpenContext, openPcscContext, type ReaderState } from '../transport/pcsc-context.js';
import { createPcscTransport, isCardGoneError } from '../transport/pcsc-transport.js';
import type { PcscFactory, PcscReader } from '../transport/pcsclite-types.js';

/**
 * Cards in PC/SC readers (real ones, and the virtual card through pcscd + vpcd). The card is held
 * exclusively from openToken() to close(): another process asking meanwhile waits up to
 * `busyTimeoutMs`, then gets ERR_HPKI_BUSY, so two hosts never interleave their APDUs.
 */

export interface PcscBackendOptions {
  factory?: PcscFactory;
  busyTimeoutMs?: number;
  /** Where CA certificates are kept between commands (and processes); default: in memory. */
  caCache?: CaCertificateCache;
}

const SHARING_VIOLATION = /0x8010000B|sharing violation/i;

function connectExclusive(reader: PcscReader): Promise<number> {
  return new Promise((resolve, reject) => {
    reader.connect(
      { share_mode: reader.SCARD_SHARE_EXCLUSIVE, protocol: reader.SCARD_PROTOCOL_T0 | reader.SCARD_PROTOCOL_T1 },
      (err, protocol) => (err ? reject(err) : resolve(protocol)),
    );
  });
}

async function connectWaiting(reader: PcscReader, busyTimeoutMs: number): Promise<number> {
  const deadline = Date.now() + busyTimeoutMs;
  for (;;) {
    try {
      return await connectExclusive(reader);
    } catch (err) {
      if (isCardGoneError(err)) throw new HpkiError('ERR_HPKI_NO_CARD', `no card in reader ${reader.name}`);
      if (!(err instanceof Error && SHARING_VIOLATION.test(err.message))) {
        throw new HpkiError(
          'ERR_HPKI_INTERNAL',
          `PC/SC connect failed: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
      if (Date.now() >= deadline) throw new HpkiError('ERR_HPKI_BUSY', 'another program is using the card');
      await sleep(100);
    }
  }
}

/** Wraps a transport so closing it also closes the PC/SC context that owns the reader. */
function owningContext(transport: ApduTransport, context: OpenContext): ApduTransport {
  return {
    transmit: (command) => transport.transmit(command),
    close: async () => {
      try {
        await transport.close();
      } finally {
        context.close();
      }
    },
  };
}

function pickReader(readers: ReaderState[], wanted: string | undefined): ReaderState {
  if (readers.length === 0) throw new HpkiError('ERR_HPKI_NO_READER', 'no smart card reader is connected');
  if (wanted !== undefined) {
    const named = readers.find((r) => r.reader.name === wanted);
    if (named === undefined) throw new HpkiError('ERR_HPKI_NO_READER', 'the requested reader is not connected');
    if (!named.cardPresent) throw new HpkiError('ERR_HPKI_NO_CARD', 'no card in the requested reader');
    return named;
  }
  const withCard = readers.find((r) => r.cardPresent);
  if (withCard === undefined) throw new HpkiError('ERR_HPKI_NO_CARD', 'no card in any reader');
  return withCard;
}

export function createPcscBackend(options: PcscBackendOptions = {}): CardBackend {
  const busyTimeoutMs = options.busyTimeoutMs ?? 10_000;
  let factory = options.factory;
  const contextFactory = (): PcscFactory => (factory ??= loadPcscFactory());
  const caCache = options.caCache ?? createCaCertificateCache();
  // What each card in each reader accepts (extended length, short EF identifiers), for this process.
  const readModes = new Map<string, ReadModes>();
  const modesFor = (state: ReaderState): ReadModes => {
    const key = `${state.reader.name}\n${state.atr === undefined ? '' : bytesToHex(state.atr)}`;
    let modes = readModes.get(key);
    if (modes === undefined) {
      modes = newReadModes();
      readModes.set(key, modes);
    }
    return modes;
  };

  async function openTransport(state: ReaderState): Promise<ApduTransport> {
    const protocol = await connectWaiting(state.reader, busyTimeoutMs);
    return createPcscTransport(state.reader, protocol);
  }

  return {
    name: 'pcsc',

    async listReaders(): Promise<ReaderStatus[]> {
      const context = await openPcscContext(contextFactory());
      try {
        const out: ReaderStatus[] = [];
        for (const state of context.readers) {
          let cardType: ReaderStatus['cardType'] = null;
          if (state.cardPresent) {
            const transport = await openTransport(state).catch(() => undefined);
            cardType =
              transport === undefined ? 'unknown' : await detectCardType(transport).catch(() => 'unknown' as const);
            await transport?.close();
          }
          out.push({ name: state.reader.name, cardPresent: state.cardPresent, cardType });
        }
        return out;
      } finally {
        context.close();
      }
    },

    async openToken(reader?: string): Promise<{ reader: string; token: CardToken }> {
      const context = await openPcscContext(contextFactory());
      try {
        const state = pickReader(context.readers, reader);
        const transport = owningContext(await openTransport(state), context);
        return {
          reader: state.reader.name,
          token: await openHpkiToken(transport, { caCache, readModes: modesFor(state) }),
        };
      } catch (err) {
        context.close();
        throw err;
      }
    },

    async close() {
      // Contexts are per command; nothing stays open between commands.
    },
  };
}
