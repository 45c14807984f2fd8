import { setTimeout as sleep } from 'node:timers/promises';
import { HpkiError, toHpkiError } from '../../protocol/errors.js';
import type { FindCardsParams, FindCardsResult, HostEventBody, ReaderStatus } from '../../protocol/messages.js';
import { MAX_CARD_CHOICES } from '../../protocol/messages.js';
import type { CardBackend } from '../card/card-token.js';
import type { CardPresence } from '../presence/card-presence.js';
import { runGetCertificate } from './get-certificate.js';

/**
 * `find-cards`: the cards in every reader, the HPKI ones read as `get-certificate` reads one, so
 * that the extension can offer a choice of several and go straight on with a single one. With no
 * card (or no reader) and `waitMs`, it says `waiting-for-card` and waits for the reader service to
 * report a card, then reads it.
 */

/** A card that has just been put in may not answer yet; it is asked again this often. */
const UNREADY_RETRIES = 2;
const UNREADY_PAUSE_MS = 300;

export interface FindCardsContext {
  presence: CardPresence | undefined;
  emit(event: HostEventBody): void;
  /** Aborts when the session ends. */
  signal: AbortSignal;
}

async function listOrNone(backend: CardBackend): Promise<{ readers: ReaderStatus[]; noReader: HpkiError | undefined }> {
  try {
    return { readers: await backend.listReaders(), noReader: undefined };
  } catch (err) {
    const error = toHpkiError(err);
    if (error.code !== 'ERR_HPKI_NO_READER') throw error;
    return { readers: [], noReader: error };
  }
}

async function readAll(backend: CardBackend, present: ReaderStatus[]): Promise<FindCardsResult> {
  const result: FindCardsResult = { cards: [], others: [] };
  for (const reader of present) {
    if (reader.cardType !== 'hpki' || result.cards.length >= MAX_CARD_CHOICES) {
      result.others.push({ reader: reader.name, cardType: reader.cardType ?? 'unknown' });
      continue;
    }
    try {
      result.cards.push(await runGetCertificate(backend, { reader: reader.name }));
    } catch (err) {
      const error = toHpkiError(err);
      // Pulled between the listing and the read: as if it had not been there.
      if (error.code === 'ERR_HPKI_NO_CARD' || error.code === 'ERR_HPKI_CARD_REMOVED') continue;
      if (error.code === 'ERR_HPKI_UNSUPPORTED_CARD') result.others.push({ reader: reader.name, cardType: 'unknown' });
      else throw error;
    }
  }
  return result;
}

export async function runFindCards(
  backend: CardBackend,
  params: FindCardsParams,
  context: FindCardsContext,
): Promise<FindCardsResult> {
  const deadline = Date.now() + (params.waitMs ?? 0);
  let told = false;
  let unready = 0;
  for (;;) {
    const { readers, noReader } = await listOrNone(backend);
    const present = readers.filter((r) => r.cardPresent);
    if (present.some((r) => r.cardType === 'unknown') && unready < UNREADY_RETRIES) {
      unready++;
      await sleep(UNREADY_PAUSE_MS);
      continue;
    }
    if (present.length > 0) {
      const found = await readAll(backend, present);
      if (found.cards.length > 0 || found.others.length > 0) return found;
    }
    const left = deadline - Date.now();
    if (context.presence === undefined || left <= 0) {
      throw noReader ?? new HpkiError('ERR_HPKI_NO_CARD', 'no card in any reader');
    }
    if (!told) {
      context.emit({ type: 'waiting-for-card' });
      told = true;
    }
    const timeout = AbortSignal.timeout(left);
    const either = AbortSignal.any([timeout, context.signal]);
    try {
      await context.presence.waitForCard(either);
    } catch (err) {
      if (context.signal.aborted) throw new HpkiError('ERR_HPKI_NO_CARD', 'the session ended while waiting for a card');
      if (timeout.aborted) throw new HpkiError('ERR_HPKI_NO_CARD', 'no card was put in while waiting');
      throw noReader ?? new HpkiError('ERR_HPKI_NO_READER', `cannot watch the readers: ${toHpkiError(err).message}`);
    }
    unready = 0;
  }
}
