import { isValidPinFormat } from '../../protocol/challenge.js';
import { errorMessageKey } from '../shared/error-text.js';
import type { MessageKey } from '../shared/i18n.js';
import type {
  CardChoice,
  PinAsker,
  PinSubmitOutcome,
  PinWindowModel,
  PinWindowView,
} from '../shared/runtime-messages.js';

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

export type PinPhase =
  | 'loading'
  | 'insert-card'
  | 'choose-card'
  | 'ready'
  | 'submitting'
  | 'blocked'
  | 'done'
  | 'failed'
  | 'error'
  | 'gone';

export interface PinViewState {
  phase: PinPhase;
  /** Who asks: known from the window's first moment. */
  asker: PinAsker | null;
  model: PinWindowModel | null;
  choices: CardChoice[];
  retriesLeft: number | null;
  notices: Notice[];
}

/** PROTOCOL.md §7: the `data-state` of `[data-hpki-login="state"]` for a phase. */
export type StateAttribute = 'reading' | 'insert-card' | 'choose-card' | 'pin' | 'blocked' | 'error';

export function stateAttribute(phase: PinPhase): StateAttribute {
  switch (phase) {
    case 'loading':
    case 'submitting':
    case 'done':
      return 'reading';
    case 'insert-card':
    case 'choose-card':
    case 'blocked':
    case 'error':
      return phase;
    case 'ready':
      return 'pin';
    case 'failed':
    case 'gone':
      return 'error';
  }
}

export type PinEvent =
  | { type: 'view'; view: PinWindowView }
  | { type: 'loaded'; model: PinWindowModel }
  | { type: 'load-failed' }
  | { type: 'invalid-format' }
  | { type: 'submitted' }
  | { type: 'answered'; outcome: PinSubmitOutcome };

export const INITIAL_PIN_STATE: PinViewState = {
  phase: 'loading',
  asker: null,
  model: null,
  choices: [],
  retriesLeft: null,
  notices: [{ key: 'pin_loading', substitutions: [], tone: 'info' }],
};

export function pinFormatOk(value: string): boolean {
  return isValidPinFormat(value);
}

function blockedNotices(model: PinWindowModel | null): Notice[] {
  const authority = unlockAuthority(model?.issuerName ?? null);
  const help: Notice =
    authority === 'jma'
      ? { key: 'pin_unlock_jma', substitutions: [], tone: 'blocked' }
      : authority === 'medis'
        ? { key: 'pin_unlock_medis', substitutions: [], tone: 'blocked' }
        : { key: 'pin_unlock_other', substitutions: [model?.issuerName ?? '—'], tone: 'blocked' };
  return [{ key: 'pin_blocked', substitutions: [], tone: 'blocked' }, help];
}

function retryNotices(retriesLeft: number, afterWrongPin: boolean): Notice[] {
  const count = String(retriesLeft);
  if (retriesLeft <= STRONG_WARNING_AT) return [{ key: 'pin_warning_strong', substitutions: [count], tone: 'warning' }];
  return afterWrongPin ? [{ key: 'pin_wrong', substitutions: [count], tone: 'error' }] : [];
}

function sameCard(a: PinWindowModel | null, b: PinWindowModel): boolean {
  return a !== null && a.holder.name === b.holder.name && a.issuerName === b.issuerName && a.notAfter === b.notAfter;
}

/** The background's view of the login, as it changes (pin-open, then pin-watch). */
function viewed(state: PinViewState, view: PinWindowView): PinViewState {
  const asker: PinAsker = { siteName: view.siteName, origin: view.origin, roles: view.roles };
  const base = { ...state, asker };
  const stage = view.stage;
  switch (stage.stage) {
    case 'reading':
      if (state.phase === 'submitting') return base;
      return {
        ...base,
        phase: 'loading',
        choices: [],
        notices: [{ key: 'pin_loading', substitutions: [], tone: 'info' }],
      };
    case 'insert-card':
      return {
        ...base,
        phase: 'insert-card',
        choices: [],
        notices: [{ key: 'pin_insert_card', substitutions: [], tone: 'info' }],
      };
    case 'choose-card':
      return {
        ...base,
        phase: 'choose-card',
        choices: stage.cards,
        notices: [{ key: 'pin_choose_card', substitutions: [], tone: 'info' }],
      };
    case 'pin': {
      // The same card's counter changing under an answer: the answer decides the phase.
      const settled =
        state.phase === 'ready' ||
        state.phase === 'submitting' ||
        state.phase === 'blocked' ||
        state.phase === 'failed';
      if (settled && sameCard(state.model, stage.model)) return { ...base, model: stage.model };
      return { ...reducePin(base, { type: 'loaded', model: stage.model }), asker };
    }
    case 'error': {
      const key = errorMessageKey(stage.error.code) ?? 'error_ERR_HPKI_INTERNAL';
      const notices: Notice[] = [{ key, substitutions: [stage.error.message], tone: 'error' }];
      if (stage.error.code === 'ERR_HPKI_NATIVE_UNAVAILABLE' || stage.error.code === 'ERR_HPKI_VERSION_MISMATCH')
        notices.push({ key: 'pin_help_host', substitutions: [], tone: 'info' });
      if (stage.error.code === 'ERR_HPKI_NO_READER' || stage.error.code === 'ERR_HPKI_NO_CARD')
        notices.push({ key: 'pin_help_doctor', substitutions: [], tone: 'info' });
      return { ...base, phase: 'error', choices: [], notices };
    }
  }
}

export function reducePin(state: PinViewState, event: PinEvent): PinViewState {
  switch (event.type) {
    case 'view':
      return viewed(state, event.view);
    case 'loaded': {
      const retriesLeft = event.model.retriesLeft;
      const base = { ...state, choices: [], model: event.model };
      if (retriesLeft <= 0) return { ...base, phase: 'blocked', retriesLeft: 0, notices: blockedNotices(event.model) };
      return { ...base, phase: 'ready', retriesLeft, notices: retryNotices(retriesLeft, false) };
    }
    case 'load-failed':
      return { ...state, phase: 'gone', notices: [{ key: 'pin_session_gone', substitutions: [], tone: 'info' }] };
    case 'invalid-format':
      if (state.phase !== 'ready') return state;
      return {
        ...state,
        notices: [
          { key: 'pin_format_invalid', substitutions: [], tone: 'error' },
          ...retryNotices(state.retriesLeft ?? 0, false),
        ],
      };
    case 'submitted':
      if (state.phase !== 'ready') return state;
      return { ...state, phase: 'submitting', notices: [{ key: 'pin_checking', substitutions: [], tone: 'info' }] };
    case 'answered':
      return answered(state, event.outcome);
  }
}

function answered(state: PinViewState, outcome: PinSubmitOutcome): PinViewState {
  switch (outcome.outcome) {
    case 'done':
      return { ...state, phase: 'done', notices: [] };
    case 'retry':
      return {
        ...state,
        phase: 'ready',
        retriesLeft: outcome.retriesLeft,
        notices: retryNotices(outcome.retriesLeft, true),
      };
    case 'blocked':
      return { ...state, phase: 'blocked', retriesLeft: 0, notices: blockedNotices(state.model) };
    case 'failed': {
      const key = errorMessageKey(outcome.error.code) ?? 'error_ERR_HPKI_INTERNAL';
      return { ...state, phase: 'failed', notices: [{ key, substitutions: [outcome.error.message], tone: 'error' }] };
    }
  }
}

/** Whether the PIN field and submit button are usable in this phase. */
export function canEnterPin(state: PinViewState): boolean {
  return state.phase === 'ready';
}
