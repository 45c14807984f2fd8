import { setTimeout as sleep } from 'node:timers/promises';
import { bytesToHex } from '../../../protocol/base64.js';
import { HpkiError } from '../../../protocol/errors.js';
import type { PinApplication, ReaderStatus } from '../../../protocol/messages.js';
import { createCaCertificateCache } from '../../cache/index.js';
import type { CardBackend, CardToken } from '../../card/index.js';
import {
  type CaCertificateCache,
  detectCardType,
  newReadModes,
  openHpkiToken,
  type ReadModes,
} from '../../card/index.js';
import type { ApduTransport } from '../../transport/index.js';
import { type CommandContext, openCommandContext, type ReaderSnapshot } from './command-context.js';
import { SCARD_PROTOCOL_T0, SCARD_PROTOCOL_T1, SCARD_SHARE_EXCLUSIVE } from './constants.js';
import { pcscFailure, pcscKind } from './error-codes.js';
import { loadPcscLibrary, type PcscLibrary } from './library.js';
import { createPcscTransport } from './transport.js';

/**
 * Cards in PC/SC readers (real ones, and the virtual card through pcscd + vpcd). The card is held
 * exclusively from openToken() to close(): another process asking meanwhile waits up to
 * `busyTimeoutMs`, then gets ERR_HPKI_BUSY, so two hosts never interleave their APDUs.
 */

export interface PcscBackendOptions {
  /** The PC/SC library (default: the system's, through koffi). */
  library?: () => Promise<PcscLibrary>;
  busyTimeoutMs?: number;
  /** Where CA certificates are kept between commands (and processes); default: in memory. */
  caCache?: CaCertificateCache;
}

async function connectWaiting(context: CommandContext, reader: string, busyTimeoutMs: number): Promise<ApduTransport> {
  const deadline = Date.now() + busyTimeoutMs;
  for (;;) {
    try {
      const { card, protocol } = await context.library.connect(
        context.handle,
        reader,
        SCARD_SHARE_EXCLUSIVE,
        SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
      );
      return createPcscTransport(context, reader, card, protocol);
    } catch (err) {
      if (pcscKind(err) !== 'busy') throw pcscFailure(err, 'connect');
      if (Date.now() >= deadline) throw new HpkiError('ERR_HPKI_BUSY', 'another program is using the card');
      await sleep(100);
    }
  }
}

/** Wraps a transport so closing it also closes the PC/SC context that owns the card. */
function owningContext(transport: ApduTransport, context: CommandContext): ApduTransport {
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

function pickReader(readers: ReaderSnapshot[], wanted: string | undefined): ReaderSnapshot {
  if (readers.length === 0) throw new HpkiError('ERR_HPKI_NO_READER', 'no smart card reader is connected');
  if (wanted !== undefined) {
    const named = readers.find((r) => r.name === wanted);
    if (named === undefined) throw new HpkiError('ERR_HPKI_NO_READER', 'the requested reader is not connected');
    if (!named.cardPresent) throw new HpkiError('ERR_HPKI_NO_CARD', 'no card in the requested reader');
    return named;
  }
  const withCard = readers.find((r) => r.cardPresent);
  if (withCard === undefined) throw new HpkiError('ERR_HPKI_NO_CARD', 'no card in any reader');
  return withCard;
}

/** What a card in a reader is, or 'unknown' when it cannot be asked (pulled, held by another program). */
async function readerStatus(context: CommandContext, reader: ReaderSnapshot, busyMs: number): Promise<ReaderStatus> {
  if (!reader.cardPresent) return { name: reader.name, cardPresent: false, cardType: null };
  const transport = await connectWaiting(context, reader.name, busyMs).catch(() => undefined);
  if (transport === undefined) return { name: reader.name, cardPresent: true, cardType: 'unknown' };
  try {
    return {
      name: reader.name,
      cardPresent: true,
      cardType: await detectCardType(transport).catch(() => 'unknown' as const),
    };
  } finally {
    await transport.close();
  }
}

export function createPcscBackend(options: PcscBackendOptions = {}): CardBackend {
  const busyTimeoutMs = options.busyTimeoutMs ?? 10_000;
  const library = options.library ?? loadPcscLibrary;
  const caCache = options.caCache ?? createCaCertificateCache();
  // What each card in each reader accepts (extended length, short EF identifiers), for this process.
  const readModes = new Map<string, ReadModes>();
  const modesFor = (reader: ReaderSnapshot): ReadModes => {
    const key = `${reader.name}\n${reader.atr === undefined ? '' : bytesToHex(reader.atr)}`;
    let modes = readModes.get(key);
    if (modes === undefined) {
      modes = newReadModes();
      readModes.set(key, modes);
    }
    return modes;
  };

  return {
    name: 'pcsc',

    async listReaders(): Promise<ReaderStatus[]> {
      const context = await openCommandContext(await library());
      try {
        const out: ReaderStatus[] = [];
        for (const reader of context.readers) out.push(await readerStatus(context, reader, busyTimeoutMs));
        return out;
      } finally {
        context.close();
      }
    },

    async openToken(reader?: string, application?: PinApplication): Promise<{ reader: string; token: CardToken }> {
      const context = await openCommandContext(await library());
      try {
        const picked = pickReader(context.readers, reader);
        const transport = owningContext(await connectWaiting(context, picked.name, busyTimeoutMs), context);
        const token = await openHpkiToken(transport, { application, caCache, readModes: modesFor(picked) });
        return { reader: picked.name, token };
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
