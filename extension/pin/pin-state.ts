import { isValidPinFormat } from '../../protocol/challenge.js';
import { errorMessageKey } from '../shared/error-text.js';
import type { MessageKey } from '../shared/i18n.js';
import type { PinSubmitOutcome, PinWindowModel } from '../shared/runtime-messages.js';

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

export type PinPhase = 'loading' | 'ready' | 'submitting' | 'blocked' | 'done' | 'failed' | 'gone';

export interface PinViewState {
  phase: PinPhase;
  model: PinWindowModel | null;
  retriesLeft: number | null;
  notices: Notice[];
}

export type PinEvent =
  | { type: 'loaded'; model: PinWindowModel }
  | { type: 'load-failed' }
  | { type: 'invalid-format' }
  | { type: 'submitted' }
  | { type: 'answered'; outcome: PinSubmitOutcome };

export const INITIAL_PIN_STATE: PinViewState = {
  phase: 'loading',
  model: null,
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

export function reducePin(state: PinViewState, event: PinEvent): PinViewState {
  switch (event.type) {
    case 'loaded': {
      const retriesLeft = event.model.retriesLeft;
      if (retriesLeft <= 0)
        return { phase: 'blocked', model: event.model, retriesLeft: 0, notices: blockedNotices(event.model) };
      return { phase: 'ready', model: event.model, retriesLeft, notices: retryNotices(retriesLeft, false) };
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
