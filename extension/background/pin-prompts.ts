import { HpkiError } from '../../protocol/errors.js';
import type { PinSubmitOutcome, PinWindowModel } from '../shared/runtime-messages.js';

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
  /** Updates what a reloaded window would show. */
  update(patch: Partial<PinWindowModel>): void;
  /** Ends the prompt from the login side; `keepOpen` leaves the window showing its last message. */
  finish(keepOpen?: boolean): void;
  cancel(code: 'ERR_HPKI_USER_CANCELLED' | 'ERR_HPKI_USER_TIMEOUT'): void;
}

export interface PinPrompts {
  open(model: PinWindowModel, timeoutMs: number): Promise<PinPrompt>;
  /** For the window: what to show. */
  model(session: string): PinWindowModel;
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
  model: PinWindowModel;
  windowId: number | undefined;
  timeoutMs: number;
  timer: ReturnType<typeof setTimeout> | undefined;
  waiter: Waiter | undefined;
  /** A PIN that arrived before the login flow asked for one. */
  early: PinSubmission | undefined;
  inFlight: boolean;
  ended: HpkiError | undefined;
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

  function end(session: Session, err: HpkiError): void {
    stopTimer(session);
    if (session.ended === undefined) session.ended = err;
    const waiter = session.waiter;
    session.waiter = undefined;
    waiter?.reject(err);
  }

  function closeWindow(session: Session): void {
    const windowId = session.windowId;
    session.windowId = undefined;
    sessions.delete(session.id);
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
        if (outcome.outcome === 'retry') session.model = { ...session.model, retriesLeft: outcome.retriesLeft };
        if (outcome.outcome === 'blocked') session.model = { ...session.model, retriesLeft: 0 };
        settle(outcome);
      },
    };
  }

  return {
    async open(model, timeoutMs) {
      const session: Session = {
        id: deps.newSessionId(),
        model,
        windowId: undefined,
        timeoutMs,
        timer: undefined,
        waiter: undefined,
        early: undefined,
        inFlight: false,
        ended: undefined,
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
        update(patch) {
          session.model = { ...session.model, ...patch };
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
      return lookup(id).model;
    },

    submit(id, pin) {
      const session = lookup(id);
      if (session.finished || session.ended !== undefined) {
        return Promise.resolve({
          outcome: 'failed',
          error: { code: 'ERR_HPKI_INVALID_ARGUMENT', message: 'this login has ended' },
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
