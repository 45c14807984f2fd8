import type { LoginGate } from './login-gate.js';
import type { PinPrompt } from './pin-prompts.js';

/**
 * The window a `getSigningCertificate` leaves open for the `sign` that follows from the same tab
 * (PROTOCOL.md §11: one document, one window, one PIN). While it is held the tab keeps the browser's
 * one flow slot, so no other tab starts a login or a signature in that gap (ERR_HPKI_BUSY, as for
 * any second flow). The hold ends, and the slot is freed, when the window closes or times out, the
 * page goes away (the content script's port of the `getSigningCertificate` disconnects), the tab
 * closes, or no flow of the tab claims it within `HELD_WINDOW_MS`.
 */

/** How long a held window waits for the tab's `sign`, from the moment the certificate was given. */
export const HELD_WINDOW_MS = 60_000;

export interface HeldWindow {
  /**
   * Keeps `prompt` open for the tab's next flow; the tab keeps the browser's slot meanwhile.
   * `pageGone` aborts when the page that asked goes away.
   */
  hold(tabId: number, origin: string, prompt: PinPrompt, pageGone: AbortSignal | undefined): void;
  /**
   * A flow of `tabId` starts (it holds the slot now): the held window is handed to it when it
   * `wants` it and comes from the same origin, else closed. Either way the hold is over.
   */
  claim(tabId: number, origin: string, wants: boolean): PinPrompt | undefined;
  /** Whether a window is held for `tabId`. */
  holds(tabId: number): boolean;
  /** The tab went away: its held window closes and the slot is free. */
  drop(tabId: number): void;
}

export interface HeldWindowDeps {
  gate: LoginGate;
  boundMs?: number;
  setTimer?: (callback: () => void, ms: number) => ReturnType<typeof setTimeout>;
  clearTimer?: (timer: ReturnType<typeof setTimeout>) => void;
}

interface Hold {
  tabId: number;
  origin: string;
  prompt: PinPrompt;
  /** Stops the hold's clock and listeners. */
  detach(): void;
}

export function createHeldWindow(deps: HeldWindowDeps): HeldWindow {
  const setTimer = deps.setTimer ?? ((cb, ms) => setTimeout(cb, ms));
  const clearTimer = deps.clearTimer ?? ((t) => clearTimeout(t));
  const boundMs = deps.boundMs ?? HELD_WINDOW_MS;
  // The browser's one slot admits one held window at most.
  let current: Hold | undefined;

  /** Nobody claimed it: the window closes (if still open) and the slot is free. */
  function end(hold: Hold): void {
    if (current !== hold) return;
    current = undefined;
    hold.detach();
    hold.prompt.finish();
    deps.gate.releaseSlot(hold.tabId);
  }

  function hold(tabId: number, origin: string, prompt: PinPrompt, pageGone: AbortSignal | undefined): void {
    if (current !== undefined) end(current);
    const ends = AbortSignal.any(pageGone === undefined ? [prompt.ended] : [prompt.ended, pageGone]);
    const onEnd = (): void => end(entry);
    const timer = setTimer(onEnd, boundMs);
    const entry: Hold = {
      tabId,
      origin,
      prompt,
      detach() {
        clearTimer(timer);
        ends.removeEventListener('abort', onEnd);
      },
    };
    current = entry;
    if (ends.aborted) end(entry);
    else ends.addEventListener('abort', onEnd, { once: true });
  }

  return {
    hold,
    claim(tabId, origin, wants) {
      const held = current;
      if (held === undefined || held.tabId !== tabId) return undefined;
      current = undefined;
      held.detach();
      if (wants && held.origin === origin && !held.prompt.ended.aborted) return held.prompt;
      held.prompt.finish();
      return undefined;
    },
    holds: (tabId) => current?.tabId === tabId,
    drop(tabId) {
      if (current?.tabId === tabId) end(current);
    },
  };
}
