import { HpkiError } from '../../protocol/errors.js';
import type {
  FlowPhase,
  PinAsker,
  PinStage,
  PinSubmitOutcome,
  PinWindowModel,
  PinWindowView,
} from '../shared/runtime-messages.js';
import { createPinSubmission, type HeldSubmission, type PinSubmission } from './pin-submission.js';

export type { PinSubmission } from './pin-submission.js';

/**
 * The PIN windows: one extension window per card flow, and the meeting point between the flow
 * (which waits for a PIN or a choice) and the window (which submits one and waits for the outcome).
 * A session is in one phase at a time (the §7 vocabulary) and holds at most one wait, tied to its
 * phase: leaving the phase drops the wait, and a PIN the window sent but the card never saw is
 * withdrawn. Closing the window is a cancel; not answering in time is a timeout; either ends every
 * wait. The PIN passes through without being kept: a submission hands it over once.
 */

export interface WindowsApi {
  create(data: {
    url: string;
    type: 'popup';
    width: number;
    height: number;
    focused: boolean;
  }): Promise<{ id?: number }>;
  remove(windowId: number): Promise<void>;
  onRemoved: { addListener(callback: (windowId: number) => void): void };
}

export interface PinPrompt {
  /** Aborts, with the HpkiError as its reason, when the window is closed, cancelled or times out. */
  readonly ended: AbortSignal;
  /** The phase the window shows now. */
  readonly phase: FlowPhase;
  /** Moves the window to another phase; a wait of the phase it leaves is dropped (rejected). */
  show(stage: PinStage): void;
  /** In phase `pin`: waits for the user's PIN. Rejects when the phase is left or the window ends. */
  nextPin(): Promise<PinSubmission>;
  /** In phase `choose-card`: waits for the reader of the card the user chooses. */
  nextChoice(): Promise<string>;
  /** Ends the prompt from the flow's side; `keepOpen` leaves the window showing its last message. */
  finish(keepOpen?: boolean): void;
  cancel(code: 'ERR_HPKI_USER_CANCELLED' | 'ERR_HPKI_USER_TIMEOUT'): void;
}

export interface PinPrompts {
  /** Opens the window at once, in phase `reading`, naming who asks. */
  open(asker: PinAsker, timeoutMs: number): Promise<PinPrompt>;
  /** For the window: what to show now. */
  model(session: string): PinWindowView;
  /** For the window: the view once its version is above `after`. */
  watch(session: string, after: number): Promise<PinWindowView>;
  /** For the window: the card chosen in phase choose-card. */
  choose(session: string, reader: string): void;
  /** For the window: the PIN typed; resolves when the flow has an outcome. */
  submit(session: string, pin: string): Promise<PinSubmitOutcome>;
  /** For the window's cancel button. */
  cancel(session: string): void;
}

export interface PinPromptsDeps {
  windows: WindowsApi;
  pageUrl(session: string): string;
  newSessionId(): string;
  setTimer?: (callback: () => void, ms: number) => ReturnType<typeof setTimeout>;
  clearTimer?: (timer: ReturnType<typeof setTimeout>) => void;
}

export const PIN_WINDOW_SIZE = { width: 440, height: 640 } as const;

/** What the flow waits for from the window: one at a time, in the phase it belongs to. */
type Wait =
  | { phase: 'pin'; resolve: (submission: PinSubmission) => void; reject: (err: HpkiError) => void }
  | { phase: 'choose-card'; resolve: (reader: string) => void; reject: (err: HpkiError) => void };

interface Watcher {
  after: number;
  resolve: (view: PinWindowView) => void;
  reject: (err: HpkiError) => void;
}

interface Session {
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

function sessionGone(): HpkiError {
  return new HpkiError('ERR_HPKI_INVALID_ARGUMENT', 'no such PIN window session');
}

function ended(session: Session): HpkiError | undefined {
  return session.end.signal.aborted ? (session.end.signal.reason as HpkiError) : undefined;
}

function failedOutcome(code: 'ERR_HPKI_INVALID_ARGUMENT' | 'ERR_HPKI_BUSY', message: string): PinSubmitOutcome {
  return { outcome: 'failed', error: { code, message } };
}

export function createPinPrompts(deps: PinPromptsDeps): PinPrompts {
  const setTimer = deps.setTimer ?? ((cb, ms) => setTimeout(cb, ms));
  const clearTimer = deps.clearTimer ?? ((t) => clearTimeout(t));
  const sessions = new Map<string, Session>();

  deps.windows.onRemoved.addListener((windowId) => {
    for (const session of sessions.values()) {
      if (session.windowId !== windowId) continue;
      session.windowId = undefined;
      end(session, new HpkiError('ERR_HPKI_USER_CANCELLED', 'the PIN window was closed'));
      closeWindow(session);
    }
  });

  function stopTimer(session: Session): void {
    if (session.timer !== undefined) clearTimer(session.timer);
    session.timer = undefined;
  }

  function startTimer(session: Session): void {
    stopTimer(session);
    session.timer = setTimer(() => {
      const seconds = Math.round(session.timeoutMs / 1000);
      end(session, new HpkiError('ERR_HPKI_USER_TIMEOUT', `no PIN entered within ${seconds} s`));
      closeWindow(session);
    }, session.timeoutMs);
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

  /** Every wait and every PIN without an outcome ends with `err`; the window may still show it. */
  function end(session: Session, err: HpkiError): void {
    stopTimer(session);
    if (!session.end.signal.aborted) session.end.abort(err);
    const reason = ended(session) ?? err;
    dropWait(session, reason);
    session.submission?.settle({ outcome: 'failed', error: reason.toWire() });
  }

  function show(session: Session, stage: PinStage): void {
    const leaving = session.view.stage.phase;
    if (leaving !== stage.phase) {
      if (session.wait !== undefined && session.wait.phase !== stage.phase)
        dropWait(session, new HpkiError('ERR_HPKI_INTERNAL', `the window left phase ${leaving}`));
      // A PIN the flow had not presented yet is not kept past its phase.
      if (leaving === 'pin') session.submission?.settle({ outcome: 'withdrawn' });
    }
    setView(session, { ...session.view, stage });
  }

  function closeWindow(session: Session): void {
    const windowId = session.windowId;
    session.windowId = undefined;
    sessions.delete(session.id);
    for (const watcher of session.watchers.splice(0)) watcher.reject(sessionGone());
    if (windowId !== undefined) deps.windows.remove(windowId).catch(() => undefined);
  }

  function lookup(id: string): Session {
    const session = sessions.get(id);
    if (session === undefined) throw sessionGone();
    return session;
  }

  /** Why the flow cannot wait for `phase` now: one wait at a time, in its own phase, while the window lives. */
  function cannotWait(session: Session, phase: Wait['phase']): Error | undefined {
    const why = ended(session);
    if (why !== undefined) return why;
    if (session.view.stage.phase !== phase) return new Error(`a ${phase} wait outside phase ${phase}`);
    if (session.wait !== undefined || session.submission?.handedOver)
      return new Error(`a wait in phase ${phase} is already pending`);
    return undefined;
  }

  function handle(session: Session): PinPrompt {
    return {
      ended: session.end.signal,
      get phase() {
        return session.view.stage.phase;
      },
      show: (stage) => show(session, stage),
      nextPin() {
        const refused = cannotWait(session, 'pin');
        if (refused !== undefined) return Promise.reject(refused);
        const early = session.submission;
        if (early !== undefined) {
          early.handedOver = true;
          return Promise.resolve(early.submission);
        }
        startTimer(session);
        return new Promise<PinSubmission>((resolve, reject) => {
          session.wait = { phase: 'pin', resolve, reject };
        });
      },
      nextChoice() {
        const refused = cannotWait(session, 'choose-card');
        if (refused !== undefined) return Promise.reject(refused);
        return new Promise<string>((resolve, reject) => {
          session.wait = { phase: 'choose-card', resolve, reject };
        });
      },
      finish(keepOpen = false) {
        end(session, new HpkiError('ERR_HPKI_INTERNAL', 'the login has ended'));
        if (!keepOpen) closeWindow(session);
      },
      cancel(code) {
        const message = code === 'ERR_HPKI_USER_CANCELLED' ? 'the login was cancelled' : 'the login timed out';
        end(session, new HpkiError(code, message));
        closeWindow(session);
      },
    };
  }

  async function openWindow(session: Session): Promise<void> {
    try {
      const created = await deps.windows.create({
        url: deps.pageUrl(session.id),
        type: 'popup',
        ...PIN_WINDOW_SIZE,
        focused: true,
      });
      session.windowId = created.id;
    } catch (err) {
      sessions.delete(session.id);
      const why = err instanceof Error ? err.message : String(err);
      throw new HpkiError('ERR_HPKI_INTERNAL', `cannot open the PIN window: ${why}`);
    }
  }

  function refusal(session: Session): PinSubmitOutcome | undefined {
    if (ended(session) !== undefined) return failedOutcome('ERR_HPKI_INVALID_ARGUMENT', 'this login has ended');
    if (session.view.stage.phase !== 'pin')
      return failedOutcome('ERR_HPKI_INVALID_ARGUMENT', 'the window is not asking for a PIN');
    if (session.submission !== undefined) return failedOutcome('ERR_HPKI_BUSY', 'a PIN is already being checked');
    return undefined;
  }

  return {
    async open(asker, timeoutMs) {
      const session: Session = {
        id: deps.newSessionId(),
        view: { ...asker, version: 1, stage: { phase: 'reading' } },
        watchers: [],
        windowId: undefined,
        timeoutMs,
        timer: undefined,
        wait: undefined,
        submission: undefined,
        end: new AbortController(),
      };
      sessions.set(session.id, session);
      await openWindow(session);
      startTimer(session);
      return handle(session);
    },

    model(id) {
      return lookup(id).view;
    },

    watch(id, after) {
      const session = lookup(id);
      if (session.view.version > after) return Promise.resolve(session.view);
      return new Promise<PinWindowView>((resolve, reject) => {
        session.watchers.push({ after, resolve, reject });
      });
    },

    choose(id, reader) {
      const session = lookup(id);
      const wait = session.wait;
      const stage = session.view.stage;
      if (
        wait?.phase !== 'choose-card' ||
        stage.phase !== 'choose-card' ||
        !stage.cards.some((c) => c.reader === reader)
      )
        throw new HpkiError('ERR_HPKI_INVALID_ARGUMENT', 'no such card to choose');
      session.wait = undefined;
      wait.resolve(reader);
    },

    submit(id, pin) {
      const session = lookup(id);
      const refused = refusal(session);
      if (refused !== undefined) return Promise.resolve(refused);
      stopTimer(session);
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
    },

    cancel(id) {
      const session = lookup(id);
      end(session, new HpkiError('ERR_HPKI_USER_CANCELLED', 'the user cancelled the login'));
      closeWindow(session);
    },
  };
}
