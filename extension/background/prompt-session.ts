import { HpkiError } from '../../protocol/errors.js';
import type { PinAsker, PinStage, PinSubmitOutcome, PinWindowModel, PinWindowView } from '../shared/index.js';
import { createPinSubmission, type HeldSubmission, type PinSubmission } from './pin-submission.js';

/**
 * One PIN window's session, without the window and the clock (pin-prompts.ts owns those): the view
 * in its phase, the one wait of that phase, the PIN on its way, and the end. Every change of phase
 * goes through `showStage`, which is where a wait of the phase being left is dropped.
 */

/** What the flow waits for from the window: one at a time, in the phase it belongs to. */
export type Wait =
  | { phase: 'pin'; resolve: (submission: PinSubmission) => void; reject: (err: HpkiError) => void }
  | { phase: 'choose-card'; resolve: (reader: string) => void; reject: (err: HpkiError) => void }
  | { phase: 'confirm'; resolve: (agreed: true) => void; reject: (err: HpkiError) => void };

interface Watcher {
  after: number;
  resolve: (view: PinWindowView) => void;
  reject: (err: HpkiError) => void;
}

export interface Session {
  id: string;
  view: PinWindowView;
  watchers: Watcher[];
  windowId: number | undefined;
  timeoutMs: number;
  timer: ReturnType<typeof setTimeout> | undefined;
  wait: Wait | undefined;
  /** The PIN the window sent that has no outcome yet (handed to the flow, or early). */
  submission: HeldSubmission | undefined;
  /** Aborts with the HpkiError that ended the session. */
  end: AbortController;
}

export function newSession(id: string, asker: PinAsker, timeoutMs: number): Session {
  return {
    id,
    view: { ...asker, version: 1, stage: { phase: 'reading' } },
    watchers: [],
    windowId: undefined,
    timeoutMs,
    timer: undefined,
    wait: undefined,
    submission: undefined,
    end: new AbortController(),
  };
}

export function sessionGone(): HpkiError {
  return new HpkiError('ERR_HPKI_INVALID_ARGUMENT', 'no such PIN window session');
}

export function endedWith(session: Session): HpkiError | undefined {
  return session.end.signal.aborted ? (session.end.signal.reason as HpkiError) : undefined;
}

function setView(session: Session, view: Omit<PinWindowView, 'version'>): void {
  session.view = { ...view, version: session.view.version + 1 };
  const ready = session.watchers.filter((w) => session.view.version > w.after);
  session.watchers = session.watchers.filter((w) => session.view.version <= w.after);
  for (const watcher of ready) watcher.resolve(session.view);
}

function patchModel(session: Session, patch: Partial<PinWindowModel>): void {
  const stage = session.view.stage;
  if (stage.phase !== 'pin') return;
  setView(session, { ...session.view, stage: { phase: 'pin', model: { ...stage.model, ...patch } } });
}

function dropWait(session: Session, err: HpkiError): void {
  const wait = session.wait;
  session.wait = undefined;
  wait?.reject(err);
}

/** Every wait and every PIN without an outcome ends with `err`; the window may still show the view. */
export function endSession(session: Session, err: HpkiError): void {
  if (!session.end.signal.aborted) session.end.abort(err);
  const reason = endedWith(session) ?? err;
  dropWait(session, reason);
  session.submission?.settle({ outcome: 'failed', error: reason.toWire() });
}

export function showStage(session: Session, stage: PinStage): void {
  const leaving = session.view.stage.phase;
  if (leaving !== stage.phase) {
    if (session.wait !== undefined && session.wait.phase !== stage.phase)
      dropWait(session, new HpkiError('ERR_HPKI_INTERNAL', `the window left phase ${leaving}`));
    // A PIN the flow had not presented yet is not kept past its phase.
    if (leaving === 'pin') session.submission?.settle({ outcome: 'withdrawn' });
  }
  setView(session, { ...session.view, stage });
}

export function watchView(session: Session, after: number): Promise<PinWindowView> {
  if (session.view.version > after) return Promise.resolve(session.view);
  return new Promise<PinWindowView>((resolve, reject) => {
    session.watchers.push({ after, resolve, reject });
  });
}

export function dropWatchers(session: Session): void {
  for (const watcher of session.watchers.splice(0)) watcher.reject(sessionGone());
}

/** Why the flow cannot wait for `phase` now: one wait at a time, in its own phase, while the window lives. */
function cannotWait(session: Session, phase: Wait['phase']): Error | undefined {
  const why = endedWith(session);
  if (why !== undefined) return why;
  if (session.view.stage.phase !== phase) return new Error(`a ${phase} wait outside phase ${phase}`);
  if (session.wait !== undefined || session.submission?.handedOver)
    return new Error(`a wait in phase ${phase} is already pending`);
  return undefined;
}

/** The flow waits for a PIN: one typed early is handed over at once; `waiting` runs when it must wait. */
export function waitForPin(session: Session, waiting: () => void): Promise<PinSubmission> {
  const refused = cannotWait(session, 'pin');
  if (refused !== undefined) return Promise.reject(refused);
  const early = session.submission;
  if (early !== undefined) {
    early.handedOver = true;
    return Promise.resolve(early.submission);
  }
  waiting();
  return new Promise<PinSubmission>((resolve, reject) => {
    session.wait = { phase: 'pin', resolve, reject };
  });
}

export function waitForChoice(session: Session): Promise<string> {
  const refused = cannotWait(session, 'choose-card');
  if (refused !== undefined) return Promise.reject(refused);
  return new Promise<string>((resolve, reject) => {
    session.wait = { phase: 'choose-card', resolve, reject };
  });
}

/** In phase `confirm`: waits for the doctor's consent (the cancel button ends the session instead). */
export function waitForConfirm(session: Session): Promise<true> {
  const refused = cannotWait(session, 'confirm');
  if (refused !== undefined) return Promise.reject(refused);
  return new Promise<true>((resolve, reject) => {
    session.wait = { phase: 'confirm', resolve, reject };
  });
}

export function confirm(session: Session): void {
  const wait = session.wait;
  if (wait?.phase !== 'confirm') throw new HpkiError('ERR_HPKI_INVALID_ARGUMENT', 'nothing to confirm');
  session.wait = undefined;
  wait.resolve(true);
}

export function choose(session: Session, reader: string): void {
  const wait = session.wait;
  const stage = session.view.stage;
  const offered = stage.phase === 'choose-card' && stage.cards.some((c) => c.reader === reader);
  if (wait?.phase !== 'choose-card' || !offered)
    throw new HpkiError('ERR_HPKI_INVALID_ARGUMENT', 'no such card to choose');
  session.wait = undefined;
  wait.resolve(reader);
}

function failedOutcome(code: 'ERR_HPKI_INVALID_ARGUMENT' | 'ERR_HPKI_BUSY', message: string): PinSubmitOutcome {
  return { outcome: 'failed', error: { code, message } };
}

/** Why the window's PIN is refused at once, or undefined when the session takes it. */
export function pinRefusal(session: Session): PinSubmitOutcome | undefined {
  if (endedWith(session) !== undefined) return failedOutcome('ERR_HPKI_INVALID_ARGUMENT', 'this login has ended');
  if (session.view.stage.phase !== 'pin')
    return failedOutcome('ERR_HPKI_INVALID_ARGUMENT', 'the window is not asking for a PIN');
  if (session.submission !== undefined) return failedOutcome('ERR_HPKI_BUSY', 'a PIN is already being checked');
  return undefined;
}

/** Takes the window's PIN (after `pinRefusal` said yes): to the waiting flow, or kept until it asks. */
export function takePin(session: Session, pin: string): Promise<PinSubmitOutcome> {
  return new Promise<PinSubmitOutcome>((settle) => {
    const held = createPinSubmission(pin, (outcome) => {
      if (session.submission === held) session.submission = undefined;
      if (outcome.outcome === 'retry') patchModel(session, { retriesLeft: outcome.retriesLeft });
      if (outcome.outcome === 'blocked') patchModel(session, { retriesLeft: 0 });
      settle(outcome);
    });
    session.submission = held;
    const wait = session.wait;
    if (wait?.phase !== 'pin') return;
    session.wait = undefined;
    held.handedOver = true;
    wait.resolve(held.submission);
  });
}
