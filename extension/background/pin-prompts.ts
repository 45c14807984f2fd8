import { HpkiError } from '../../protocol/errors.js';
import type { FlowPhase, FlowPurpose, PinAsker, PinStage, PinSubmitOutcome, PinWindowView } from '../shared/index.js';
import type { PinSubmission } from './pin-submission.js';
import {
  choose,
  confirm,
  dropWatchers,
  endSession,
  newSession,
  pinRefusal,
  type Session,
  sessionGone,
  showStage,
  takePin,
  waitForChoice,
  waitForConfirm,
  waitForPin,
  watchView,
} from './prompt-session.js';

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
  /** In phase `confirm`: waits for the doctor's consent; cancelling ends the prompt instead. */
  nextConfirm(): Promise<true>;
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
  /** For the window: the consent given in phase confirm. */
  confirm(session: string): void;
  /** For the window: the PIN typed; resolves when the flow has an outcome. */
  submit(session: string, pin: string): Promise<PinSubmitOutcome>;
  /** For the window's cancel button. */
  cancel(session: string): void;
}

export interface PinPromptsDeps {
  windows: WindowsApi;
  /** The window's URL: its session, and its purpose so that its first paint is already right. */
  pageUrl(session: string, purpose: FlowPurpose): string;
  newSessionId(): string;
  setTimer?: (callback: () => void, ms: number) => ReturnType<typeof setTimeout>;
  clearTimer?: (timer: ReturnType<typeof setTimeout>) => void;
}

export const PIN_WINDOW_SIZE = { width: 440, height: 640 } as const;

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

  /** Ends every wait and PIN of the session, and its clock. */
  function end(session: Session, err: HpkiError): void {
    stopTimer(session);
    endSession(session, err);
  }

  function closeWindow(session: Session): void {
    const windowId = session.windowId;
    session.windowId = undefined;
    sessions.delete(session.id);
    dropWatchers(session);
    if (windowId !== undefined) deps.windows.remove(windowId).catch(() => undefined);
  }

  function lookup(id: string): Session {
    const session = sessions.get(id);
    if (session === undefined) throw sessionGone();
    return session;
  }

  function handle(session: Session): PinPrompt {
    return {
      ended: session.end.signal,
      get phase() {
        return session.view.stage.phase;
      },
      show: (stage) => showStage(session, stage),
      nextPin: () => waitForPin(session, () => startTimer(session)),
      nextChoice: () => waitForChoice(session),
      nextConfirm: () => waitForConfirm(session),
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
        url: deps.pageUrl(session.id, session.view.purpose ?? 'login'),
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

  return {
    async open(asker, timeoutMs) {
      const session = newSession(deps.newSessionId(), asker, timeoutMs);
      sessions.set(session.id, session);
      await openWindow(session);
      startTimer(session);
      return handle(session);
    },

    model: (id) => lookup(id).view,
    watch: (id, after) => watchView(lookup(id), after),
    choose: (id, reader) => choose(lookup(id), reader),
    confirm: (id) => confirm(lookup(id)),

    submit(id, pin) {
      const session = lookup(id);
      const refused = pinRefusal(session);
      if (refused !== undefined) return Promise.resolve(refused);
      stopTimer(session);
      return takePin(session, pin);
    },

    cancel(id) {
      const session = lookup(id);
      end(session, new HpkiError('ERR_HPKI_USER_CANCELLED', 'the user cancelled the login'));
      closeWindow(session);
    },
  };
}
