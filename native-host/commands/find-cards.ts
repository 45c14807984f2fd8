import { setTimeout as sleep } from 'node:timers/promises';
import { HpkiError, toHpkiError } from '../../protocol/errors.js';
import type { FindCardsParams, FindCardsResult, HostEventBody, ReaderStatus } from '../../protocol/messages.js';
import { MAX_CARD_CHOICES } from '../../protocol/messages.js';
import type { CardBackend } from '../card/index.js';
import type { CardPresence } from '../presence/index.js';
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

/**
 * The readers and their cards. From the reader service alone where it can tell (a card's type is
 * then learned by reading it, which find-cards does anyway), else from the backend's listing.
 */
async function listOrNone(
  backend: CardBackend,
  presence: CardPresence | undefined,
): Promise<{ readers: ReaderStatus[]; noReader: HpkiError | undefined }> {
  try {
    if (presence?.presentReaders !== undefined) {
      const { readers, withCard } = await presence.presentReaders();
      if (readers === 0)
        return { readers: [], noReader: new HpkiError('ERR_HPKI_NO_READER', 'no smart card reader is connected') };
      return { readers: withCard.map((name) => ({ name, cardPresent: true, cardType: null })), noReader: undefined };
    }
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
    // A type not known yet (cardType null) is learned by reading the card.
    if ((reader.cardType !== 'hpki' && reader.cardType !== null) || result.cards.length >= MAX_CARD_CHOICES) {
      result.others.push({ reader: reader.name, cardType: reader.cardType ?? 'unknown' });
      continue;
    }
    try {
      result.cards.push(await runGetCertificate(backend, { reader: reader.name }));
    } catch (err) {
      const error = toHpkiError(err);
      // Pulled between the listing and the read: as if it had not been there.
      if (error.code === 'ERR_HPKI_NO_CARD' || error.code === 'ERR_HPKI_CARD_REMOVED') continue;
      if (error.code === 'ERR_HPKI_UNSUPPORTED_CARD')
        result.others.push({ reader: reader.name, cardType: reader.cardType ?? unsupportedType(error) });
      else throw error;
    }
  }
  return result;
}

/** What the driver said the refused card is (it names a My Number card). */
function unsupportedType(error: HpkiError): 'jpki' | 'unknown' {
  return /my number/i.test(error.message) ? 'jpki' : 'unknown';
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
    const { readers, noReader } = await listOrNone(backend, context.presence);
    const present = readers.filter((r) => r.cardPresent);
    if (present.some((r) => r.cardType === 'unknown') && unready < UNREADY_RETRIES) {
      unready++;
      await sleep(UNREADY_PAUSE_MS);
      continue;
    }
    if (present.length > 0) {
      const found = await readAll(backend, present);
      // A card that did not answer as any known card right after it came in is asked again.
      if (found.cards.length === 0 && found.others.some((o) => o.cardType === 'unknown') && unready < UNREADY_RETRIES) {
        unready++;
        await sleep(UNREADY_PAUSE_MS);
        continue;
      }
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
