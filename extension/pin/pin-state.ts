import { isValidPinFormat } from '../../protocol/challenge.js';
import type { WireError } from '../../protocol/errors.js';
import type {
  CardChoice,
  FlowPhase,
  FlowPurpose,
  MessageKey,
  PinAsker,
  PinSubmitOutcome,
  PinWindowModel,
  PinWindowView,
} from '../shared/index.js';
import { errorMessageKey } from '../shared/index.js';

/**
 * What the PIN window shows, as a pure function of what has happened: loaded, submitted, answered.
 * The DOM side (pin-view.ts) only renders this state, so the rules — tries left, the strong warning
 * near the end, the blocked card's unlock procedure — are tested without a browser.
 */

/** At this many tries left or fewer, the window warns loudly before the user types. */
export const STRONG_WARNING_AT = 3;

export type UnlockAuthority = 'jma' | 'medis' | 'other';

/** Who unlocks a blocked card, from the issuing CA's name (HPKI-CARD.md §3, §6). */
export function unlockAuthority(issuerName: string | null): UnlockAuthority {
  if (issuerName === null) return 'other';
  if (/medis/i.test(issuerName)) return 'medis';
  if (/HPKI_JV|\bJMA\b|Japan Medical Association|日本医師会/i.test(issuerName)) return 'jma';
  return 'other';
}

export interface Notice {
  key: MessageKey;
  substitutions: string[];
  tone: 'info' | 'error' | 'warning' | 'blocked';
}

export interface PinViewState {
  /**
   * What the window is for: from its URL at the first paint (the background opens it with its
   * purpose), then from the background's view. Null only while unknown (a URL the background does
   * not make): the window's own texts stay empty then. A signature's window says 電子署名 in every
   * state, never ログイン (PROTOCOL.md §11).
   */
  purpose: FlowPurpose | null;
  /** The phase shown, in the one vocabulary of PROTOCOL.md §7 (the `data-state`). */
  phase: FlowPhase;
  /** A PIN is with the card and the window waits for its outcome (shown as `reading`). */
  checking: boolean;
  /** How the window's part ended: the login went through, the PIN failed, or the session is gone. */
  over: 'done' | 'failed' | 'gone' | null;
  /** Who asks: known from the window's first moment. */
  asker: PinAsker | null;
  model: PinWindowModel | null;
  choices: CardChoice[];
  retriesLeft: number | null;
  notices: Notice[];
}

export type PinEvent =
  | { type: 'view'; view: PinWindowView }
  | { type: 'loaded'; model: PinWindowModel }
  | { type: 'load-failed' }
  | { type: 'invalid-format' }
  | { type: 'submitted' }
  | { type: 'answered'; outcome: PinSubmitOutcome };

export const INITIAL_PIN_STATE: PinViewState = {
  purpose: null,
  phase: 'reading',
  checking: false,
  over: null,
  asker: null,
  model: null,
  choices: [],
  retriesLeft: null,
  notices: [{ key: 'pin_loading', substitutions: [], tone: 'info' }],
};

/** The state of a window opened for `purpose` (null: not known yet), before the background answers. */
export function initialPinState(purpose: FlowPurpose | null): PinViewState {
  return { ...INITIAL_PIN_STATE, purpose };
}

/** The purpose the background put in the window's URL (`?purpose=sign`), or null without a valid one. */
export function purposeFromSearch(search: string): FlowPurpose | null {
  const purpose = new URLSearchParams(search).get('purpose');
  return purpose === 'login' || purpose === 'sign' ? purpose : null;
}

/** The texts that differ by purpose: a login's, or a signature's (which never says ログイン). */
const WORDING = {
  login: {
    insertCard: 'pin_insert_card',
    chooseCard: 'pin_choose_card',
    sessionGone: 'pin_session_gone',
    warningStrong: 'pin_warning_strong',
    blocked: 'pin_blocked',
    helpHost: 'pin_help_host',
  },
  sign: {
    insertCard: 'sign_insert_card',
    chooseCard: 'sign_choose_card',
    sessionGone: 'sign_session_gone',
    warningStrong: 'sign_warning_strong',
    blocked: 'sign_blocked',
    helpHost: 'sign_help_host',
  },
} as const satisfies Record<FlowPurpose, Record<string, MessageKey>>;

/** A notice of a window whose purpose is unknown (no view, a URL without it) keeps a login's words. */
function wordingOf(state: PinViewState): (typeof WORDING)[FlowPurpose] {
  return WORDING[state.purpose ?? 'login'];
}

function errorKey(state: PinViewState, code: string): MessageKey {
  return errorMessageKey(code, state.purpose ?? 'login') ?? 'error_ERR_HPKI_INTERNAL';
}

export function pinFormatOk(value: string): boolean {
  return isValidPinFormat(value);
}

function blockedNotices(state: PinViewState, model: PinWindowModel | null): Notice[] {
  const authority = unlockAuthority(model?.issuerName ?? null);
  const help: Notice =
    authority === 'jma'
      ? { key: 'pin_unlock_jma', substitutions: [], tone: 'blocked' }
      : authority === 'medis'
        ? { key: 'pin_unlock_medis', substitutions: [], tone: 'blocked' }
        : { key: 'pin_unlock_other', substitutions: [model?.issuerName ?? '—'], tone: 'blocked' };
  return [{ key: wordingOf(state).blocked, substitutions: [], tone: 'blocked' }, help];
}

function retryNotices(state: PinViewState, retriesLeft: number, afterWrongPin: boolean): Notice[] {
  const count = String(retriesLeft);
  if (retriesLeft <= STRONG_WARNING_AT)
    return [{ key: wordingOf(state).warningStrong, substitutions: [count], tone: 'warning' }];
  return afterWrongPin ? [{ key: 'pin_wrong', substitutions: [count], tone: 'error' }] : [];
}

function sameCard(a: PinWindowModel | null, b: PinWindowModel): boolean {
  return a !== null && a.holder.name === b.holder.name && a.issuerName === b.issuerName && a.notAfter === b.notAfter;
}

function errorNotices(state: PinViewState, error: WireError): Notice[] {
  const notices: Notice[] = [{ key: errorKey(state, error.code), substitutions: [error.message], tone: 'error' }];
  if (error.code === 'ERR_HPKI_NATIVE_UNAVAILABLE' || error.code === 'ERR_HPKI_VERSION_MISMATCH')
    notices.push({ key: wordingOf(state).helpHost, substitutions: [], tone: 'info' });
  if (error.code === 'ERR_HPKI_NO_READER' || error.code === 'ERR_HPKI_NO_CARD')
    notices.push({ key: 'pin_help_doctor', substitutions: [], tone: 'info' });
  return notices;
}

/** A phase without a card: what it says, and no PIN being checked any more. */
function cardless(state: PinViewState, phase: 'reading' | 'insert-card', key: MessageKey): PinViewState {
  return { ...state, phase, checking: false, choices: [], notices: [{ key, substitutions: [], tone: 'info' }] };
}

/** The background's view of the flow, as it changes (pin-open, then pin-watch). */
function viewed(state: PinViewState, view: PinWindowView): PinViewState {
  // Who asks; what for is the state's `purpose`, the one the window's texts are chosen by.
  const asker: PinAsker = { siteName: view.siteName, origin: view.origin, roles: view.roles };
  // The background's word on the purpose: a view without one is a login's.
  const base: PinViewState = { ...state, asker, purpose: view.purpose ?? 'login' };
  const stage = view.stage;
  switch (stage.phase) {
    case 'reading':
      if (state.checking) return base;
      // After the consent, the held window waits for the site's `sign`.
      return cardless(base, 'reading', state.phase === 'confirm' ? 'sign_waiting' : 'pin_loading');
    case 'insert-card':
      return cardless(base, 'insert-card', wordingOf(base).insertCard);
    case 'choose-card':
      return {
        ...base,
        phase: 'choose-card',
        checking: false,
        choices: stage.cards,
        notices: [{ key: wordingOf(base).chooseCard, substitutions: [], tone: 'info' }],
      };
    case 'blocked':
      return { ...reducePin(base, { type: 'loaded', model: { ...stage.model, retriesLeft: 0 } }), asker };
    case 'pin': {
      // The same card's counter changing under an answer: the answer decides the phase.
      const settled = state.phase === 'pin' || state.checking || state.phase === 'blocked' || state.over === 'failed';
      if (settled && sameCard(state.model, stage.model)) return { ...base, model: stage.model };
      return { ...reducePin(base, { type: 'loaded', model: stage.model }), asker };
    }
    case 'confirm':
      // The signing certificate is about to go to the site: who asks, and what it will receive.
      return {
        ...base,
        phase: 'confirm',
        checking: false,
        choices: [],
        model: stage.model,
        retriesLeft: stage.model.retriesLeft,
        notices: [{ key: 'sign_confirm_notice', substitutions: [], tone: 'info' }],
      };
    case 'error':
      return { ...base, phase: 'error', checking: false, choices: [], notices: errorNotices(base, stage.error) };
  }
}

export function reducePin(state: PinViewState, event: PinEvent): PinViewState {
  switch (event.type) {
    case 'view':
      return viewed(state, event.view);
    case 'loaded': {
      const retriesLeft = event.model.retriesLeft;
      const purpose = event.model.purpose ?? state.purpose;
      const base = { ...state, purpose, checking: false, choices: [], model: event.model };
      if (retriesLeft <= 0)
        return { ...base, phase: 'blocked', retriesLeft: 0, notices: blockedNotices(base, event.model) };
      return { ...base, phase: 'pin', retriesLeft, notices: retryNotices(base, retriesLeft, false) };
    }
    case 'load-failed':
      return {
        ...state,
        phase: 'error',
        over: 'gone',
        notices: [{ key: wordingOf(state).sessionGone, substitutions: [], tone: 'info' }],
      };
    case 'invalid-format':
      if (!canEnterPin(state)) return state;
      return {
        ...state,
        notices: [
          { key: 'pin_format_invalid', substitutions: [], tone: 'error' },
          ...retryNotices(state, state.retriesLeft ?? 0, false),
        ],
      };
    case 'submitted':
      if (!canEnterPin(state)) return state;
      return {
        ...state,
        phase: 'reading',
        checking: true,
        notices: [{ key: 'pin_checking', substitutions: [], tone: 'info' }],
      };
    case 'answered':
      return state.checking ? answered(state, event.outcome) : state;
  }
}

function answered(state: PinViewState, outcome: PinSubmitOutcome): PinViewState {
  const base = { ...state, checking: false };
  switch (outcome.outcome) {
    case 'done':
      return { ...base, phase: 'reading', over: 'done', notices: [] };
    case 'withdrawn':
      // The card went away before the PIN reached it: the view says what comes next.
      return cardless(base, 'insert-card', wordingOf(base).insertCard);
    case 'retry':
      return {
        ...base,
        phase: 'pin',
        retriesLeft: outcome.retriesLeft,
        notices: retryNotices(base, outcome.retriesLeft, true),
      };
    case 'blocked':
      return { ...base, phase: 'blocked', retriesLeft: 0, notices: blockedNotices(base, state.model) };
    case 'failed':
      return {
        ...base,
        phase: 'error',
        over: 'failed',
        notices: [{ key: errorKey(base, outcome.error.code), substitutions: [outcome.error.message], tone: 'error' }],
      };
  }
}

/** Whether the PIN field and submit button are usable in this phase. */
export function canEnterPin(state: PinViewState): boolean {
  return state.phase === 'pin' && !state.checking && state.over === null;
}

/** Whether nothing more will come to this window but its close button. */
export function isOver(state: PinViewState): boolean {
  return state.over !== null || state.phase === 'blocked' || state.phase === 'error';
}
