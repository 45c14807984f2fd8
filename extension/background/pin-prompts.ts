import { HpkiError } from '../../protocol/errors.js';
import type {
  PinAsker,
  PinStage,
  PinSubmitOutcome,
  PinWindowModel,
  PinWindowView,
} from '../shared/runtime-messages.js';

/**
 * The PIN windows: one extension window per login, and the meeting point between the login flow
 * (which waits for a PIN) and the window (which submits one and waits for the outcome). Closing the
 * window is a cancel; not answering in time is a timeout. The PIN passes through here without being
 * kept: a submission hands it over once and forgets it.
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

export interface PinSubmission {
  /** Returns the PIN once; later calls throw, so no second copy outlives the host request. */
  takePin(): string;
  reply(outcome: PinSubmitOutcome): void;
}

export interface PinPrompt {
  /** Waits for the user's PIN; rejects with ERR_HPKI_USER_CANCELLED or ERR_HPKI_USER_TIMEOUT. */
  nextPin(): Promise<PinSubmission>;
  /** Aborts, with the HpkiError as its reason, when the window is closed, cancelled or times out. */
  readonly ended: AbortSignal;
  /** Shows another stage (reading, insert-card, choose-card, pin, error). */
  show(stage: PinStage): void;
  /** Waits for the reader of the card the user chooses (stage choose-card). */
  nextChoice(): Promise<string>;
  /** Updates the card's model in the pin stage. */
  update(patch: Partial<PinWindowModel>): void;
  /** Ends the prompt from the login side; `keepOpen` leaves the window showing its last message. */
  finish(keepOpen?: boolean): void;
  cancel(code: 'ERR_HPKI_USER_CANCELLED' | 'ERR_HPKI_USER_TIMEOUT'): void;
}

export interface PinPrompts {
  /** Opens the window at once, in stage `reading`, naming who asks. */
  open(asker: PinAsker, timeoutMs: number): Promise<PinPrompt>;
  /** For the window: what to show now. */
  model(session: string): PinWindowView;
  /** For the window: the view once its version is above `after`. */
  watch(session: string, after: number): Promise<PinWindowView>;
  /** For the window: the card chosen in stage choose-card. */
  choose(session: string, reader: string): void;
  /** For the window: the PIN typed; resolves when the login flow has an outcome. */
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

interface Waiter {
  resolve: (submission: PinSubmission) => void;
  reject: (err: HpkiError) => void;
}

interface Session {
  id: string;
  view: PinWindowView;
  watchers: Array<{ after: number; resolve: (view: PinWindowView) => void; reject: (err: HpkiError) => void }>;
  chooser: ((reader: string) => void) | undefined;
  windowId: number | undefined;
  timeoutMs: number;
  timer: ReturnType<typeof setTimeout> | undefined;
  waiter: Waiter | undefined;
  /** A PIN that arrived before the login flow asked for one. */
  early: PinSubmission | undefined;
  inFlight: boolean;
  ended: HpkiError | undefined;
  endedSignal: AbortController;
  finished: boolean;
}

function sessionGone(): HpkiError {
  return new HpkiError('ERR_HPKI_INVALID_ARGUMENT', 'no such PIN window session');
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
      sessions.delete(session.id);
    }
  });

  function stopTimer(session: Session): void {
    if (session.timer !== undefined) clearTimer(session.timer);
    session.timer = undefined;
  }

  function startTimer(session: Session): void {
    stopTimer(session);
    session.timer = setTimer(() => {
      end(
        session,
        new HpkiError('ERR_HPKI_USER_TIMEOUT', `no PIN entered within ${Math.round(session.timeoutMs / 1000)} s`),
      );
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
    if (stage.stage !== 'pin') return;
    setView(session, { ...session.view, stage: { stage: 'pin', model: { ...stage.model, ...patch } } });
  }

  function end(session: Session, err: HpkiError): void {
    stopTimer(session);
    if (session.ended === undefined) session.ended = err;
    session.endedSignal.abort(session.ended);
    const waiter = session.waiter;
    session.waiter = undefined;
    waiter?.reject(err);
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

  function makeSubmission(session: Session, pin: string, settle: (outcome: PinSubmitOutcome) => void): PinSubmission {
    let held: string | undefined = pin;
    return {
      takePin() {
        if (held === undefined) throw new Error('PIN already taken');
        const value = held;
        held = undefined;
        return value;
      },
      reply(outcome) {
        held = undefined;
        session.inFlight = false;
        if (outcome.outcome === 'retry') patchModel(session, { retriesLeft: outcome.retriesLeft });
        if (outcome.outcome === 'blocked') patchModel(session, { retriesLeft: 0 });
        settle(outcome);
      },
    };
  }

  return {
    async open(asker, timeoutMs) {
      const session: Session = {
        id: deps.newSessionId(),
        view: {
          siteName: asker.siteName,
          origin: asker.origin,
          roles: asker.roles,
          version: 1,
          stage: { stage: 'reading' },
        },
        watchers: [],
        chooser: undefined,
        windowId: undefined,
        timeoutMs,
        timer: undefined,
        waiter: undefined,
        early: undefined,
        inFlight: false,
        ended: undefined,
        endedSignal: new AbortController(),
        finished: false,
      };
      sessions.set(session.id, session);
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
        throw new HpkiError(
          'ERR_HPKI_INTERNAL',
          `cannot open the PIN window: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
      startTimer(session);

      return {
        ended: session.endedSignal.signal,
        nextPin() {
          if (session.ended !== undefined) return Promise.reject(session.ended);
          const early = session.early;
          if (early !== undefined) {
            session.early = undefined;
            return Promise.resolve(early);
          }
          startTimer(session);
          return new Promise<PinSubmission>((resolve, reject) => {
            session.waiter = { resolve, reject };
          });
        },
        show(stage) {
          setView(session, { ...session.view, stage });
        },
        nextChoice() {
          if (session.ended !== undefined) return Promise.reject(session.ended);
          return new Promise<string>((resolve, reject) => {
            session.chooser = resolve;
            // The same end that rejects a PIN wait rejects this one.
            session.waiter = { resolve: () => undefined, reject };
          });
        },
        update(patch) {
          patchModel(session, patch);
        },
        finish(keepOpen = false) {
          session.finished = true;
          end(session, new HpkiError('ERR_HPKI_INTERNAL', 'the login has ended'));
          if (!keepOpen) closeWindow(session);
        },
        cancel(code) {
          end(
            session,
            new HpkiError(code, code === 'ERR_HPKI_USER_CANCELLED' ? 'the login was cancelled' : 'the login timed out'),
          );
          closeWindow(session);
        },
      };
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
      const chooser = session.chooser;
      const stage = session.view.stage;
      if (chooser === undefined || stage.stage !== 'choose-card' || !stage.cards.some((c) => c.reader === reader))
        throw new HpkiError('ERR_HPKI_INVALID_ARGUMENT', 'no such card to choose');
      session.chooser = undefined;
      session.waiter = undefined;
      chooser(reader);
    },

    submit(id, pin) {
      const session = lookup(id);
      if (session.finished || session.ended !== undefined) {
        return Promise.resolve({
          outcome: 'failed',
          error: { code: 'ERR_HPKI_INVALID_ARGUMENT', message: 'this login has ended' },
        });
      }
      if (session.view.stage.stage !== 'pin') {
        return Promise.resolve({
          outcome: 'failed',
          error: { code: 'ERR_HPKI_INVALID_ARGUMENT', message: 'the window is not asking for a PIN' },
        });
      }
      if (session.inFlight) {
        return Promise.resolve({
          outcome: 'failed',
          error: { code: 'ERR_HPKI_BUSY', message: 'a PIN is already being checked' },
        });
      }
      session.inFlight = true;
      stopTimer(session);
      return new Promise<PinSubmitOutcome>((settle) => {
        const submission = makeSubmission(session, pin, settle);
        const waiter = session.waiter;
        session.waiter = undefined;
        if (waiter !== undefined) waiter.resolve(submission);
        else session.early = submission;
      });
    },

    cancel(id) {
      const session = lookup(id);
      end(session, new HpkiError('ERR_HPKI_USER_CANCELLED', 'the user cancelled the login'));
      closeWindow(session);
    },
  };
}
