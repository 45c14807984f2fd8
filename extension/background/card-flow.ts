import { HpkiError, toHpkiError } from '../../protocol/errors.js';
import type { FindCardsResult, GetCertificateResult } from '../../protocol/messages.js';
import type { CardChoice, PinAsker, PinWindowModel } from '../shared/index.js';
import { until } from './abortable.js';
import { type CardRemovals, watchRemovals } from './card-removals.js';
import { nextStepAfter } from './flow-errors.js';
import type { HostSession } from './native-host.js';
import type { PinPrompt, PinSubmission } from './pin-prompts.js';

/**
 * The card flow, one machine for every use of a card's PIN: find the card (`reading`, waiting in
 * `insert-card`, `choose-card` among several), ask for the PIN (`pin`), spend it once on the card,
 * and after a pull wait for a card again; `blocked` and failures end it (flow-errors.ts says which).
 * A login runs it with `find-cards` and `authenticate`; a signature (PROTOCOL.md §11) is a second
 * instance with its own steps. Every wait goes through `until(…, ended)`: the window closing or
 * timing out, the page going away or the host stopping ends the flow wherever it stands.
 */

export type FoundCard = GetCertificateResult;

export interface CardFlowSteps<R> {
  /** The cards, read without a PIN; `waiting` is called when the host starts waiting for one. */
  find(host: HostSession, waitMs: number, waiting: () => void): Promise<FindCardsResult>;
  /** Spends the PIN once on `card` (authenticate for a login, sign for a signature). */
  spend(host: HostSession, card: FoundCard, pin: string): Promise<R>;
}

export interface CardFlowContext {
  host: HostSession;
  prompt: PinPrompt;
  asker: PinAsker;
  /** Aborts when the flow must end (window, page, timeout, host). */
  ended: AbortSignal;
  /** How long the host may wait for a card. */
  waitMs: number;
}

/** What one PIN led to: the result, another PIN for the same card, or a new card. */
type Spent<R> = { kind: 'done'; value: R } | { kind: 'retry'; retriesLeft: number } | { kind: 'card-gone' };

function choiceOf(card: FoundCard): CardChoice {
  return {
    reader: card.reader,
    holder: card.holder,
    issuerName: card.issuerOrganization ?? card.issuer,
    notAfter: card.notAfter,
  };
}

function modelOf(asker: PinAsker, card: FoundCard): PinWindowModel {
  return {
    ...asker,
    holder: card.holder,
    issuerName: card.issuerOrganization ?? card.issuer,
    notAfter: card.notAfter,
    retriesLeft: card.pinRetriesLeft,
    maxRetries: card.pinMaxRetries,
  };
}

export async function runCardFlow<R>(steps: CardFlowSteps<R>, ctx: CardFlowContext): Promise<R> {
  const removals = watchRemovals(ctx.host);
  for (;;) {
    const card = await pickCard(steps, ctx);
    const spent = await askAndSpend(steps, ctx, card, removals);
    if (spent.kind === 'done') return spent.value;
  }
}

/**
 * The consent of a signature's first half (PROTOCOL.md §11): the card as `pickCard` finds it, then
 * `confirm` (who asks, and that the site will receive the name and holder id) until the doctor agrees.
 */
export async function runConfirmFlow(
  steps: Pick<CardFlowSteps<unknown>, 'find'>,
  ctx: CardFlowContext,
): Promise<FoundCard> {
  const card = await pickCard(steps, ctx);
  ctx.prompt.show({ phase: 'confirm', model: modelOf(ctx.asker, card) });
  await until(ctx.prompt.nextConfirm(), ctx.ended);
  ctx.prompt.show({ phase: 'reading' });
  return card;
}

/** `reading` → (`insert-card`) → one card, or `choose-card` and the one the user picks. */
async function pickCard(steps: Pick<CardFlowSteps<unknown>, 'find'>, ctx: CardFlowContext): Promise<FoundCard> {
  const { host, prompt, ended } = ctx;
  const found = await until(
    steps.find(host, ctx.waitMs, () => prompt.show({ phase: 'insert-card' })),
    ended,
  );
  const [first, ...more] = found.cards;
  if (first === undefined) {
    const other = found.others[0];
    throw new HpkiError('ERR_HPKI_UNSUPPORTED_CARD', `the card is a ${other?.cardType ?? 'unknown'} card`);
  }
  if (more.length === 0) return first;
  prompt.show({ phase: 'choose-card', cards: found.cards.map(choiceOf) });
  const reader = await until(prompt.nextChoice(), ended);
  const chosen = found.cards.find((c) => c.reader === reader);
  if (chosen === undefined) throw new HpkiError('ERR_HPKI_INVALID_ARGUMENT', 'no such card');
  prompt.show({ phase: 'reading' });
  return chosen;
}

/** `pin` until a PIN goes through, the card is pulled (back to `insert-card`) or the flow ends. */
async function askAndSpend<R>(
  steps: CardFlowSteps<R>,
  ctx: CardFlowContext,
  card: FoundCard,
  removals: CardRemovals,
): Promise<Spent<R>> {
  const { host, prompt, ended } = ctx;
  const model = modelOf(ctx.asker, card);
  if (card.pinRetriesLeft === 0) {
    // The window explains the unlock procedure; no PIN is asked for a locked card.
    prompt.show({ phase: 'blocked', model });
    throw new HpkiError('ERR_HPKI_PIN_BLOCKED', 'the card is locked');
  }
  prompt.show({ phase: 'pin', model });
  const removed = removals.next(card.reader);
  await until(host.request('watch-card', { reader: card.reader }), ended);
  let retriesLeft = card.pinRetriesLeft;
  for (;;) {
    const next = await until(Promise.race([prompt.nextPin(), removed]), ended);
    // Leaving `pin` drops the PIN wait, and a PIN typed meanwhile is withdrawn, not kept.
    const spent = next === 'removed' ? cardGone(prompt) : await spendOnce(steps, ctx, card, next, retriesLeft);
    if (spent.kind !== 'retry') return spent;
    retriesLeft = spent.retriesLeft;
  }
}

function cardGone(prompt: PinPrompt): { kind: 'card-gone' } {
  prompt.show({ phase: 'insert-card' });
  return { kind: 'card-gone' };
}

async function spendOnce<R>(
  steps: CardFlowSteps<R>,
  ctx: CardFlowContext,
  card: FoundCard,
  submission: PinSubmission,
  retriesLeft: number,
): Promise<Spent<R>> {
  let value: R;
  try {
    value = await until(steps.spend(ctx.host, card, submission.takePin()), ctx.ended);
  } catch (err) {
    const error = toHpkiError(err);
    // The flow's end answers the window (prompt-side); nothing more to decide here.
    if (ctx.ended.aborted) throw error;
    const next = nextStepAfter(error, retriesLeft);
    switch (next.step) {
      case 'retry':
        submission.reply({ outcome: 'retry', retriesLeft: next.retriesLeft });
        return { kind: 'retry', retriesLeft: next.retriesLeft };
      case 'insert-card':
        // Pulled during the check: the PIN never reached the card; it is withdrawn with the phase.
        return cardGone(ctx.prompt);
      case 'blocked':
        submission.reply({ outcome: 'blocked' });
        ctx.prompt.show({ phase: 'blocked', model: { ...modelOf(ctx.asker, card), retriesLeft: 0 } });
        throw next.error;
      case 'failed':
        submission.reply({ outcome: 'failed', error: next.error.toWire() });
        throw next.error;
    }
  }
  submission.reply({ outcome: 'done' });
  return { kind: 'done', value };
}
