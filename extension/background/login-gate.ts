import { HpkiError } from '../../protocol/errors.js';

/**
 * Who may start a login, in the whole browser: one login at a time (another tab's request while one
 * is pending gets ERR_HPKI_BUSY, so five popups of one site open one window, not five), one per tab,
 * and a tab whose last logins were cancelled waits a growing cool-down before its next window (a
 * page that re-asks after every cancel cannot keep a focused window in the doctor's face).
 */

/** The first cancel costs this much before the next window, each further one twice as much. */
export const COOLDOWN_BASE_MS = 1_000;
export const COOLDOWN_MAX_MS = 30_000;
/** A tab with no cancel for this long starts over. */
export const COOLDOWN_FORGET_MS = 10 * 60_000;

export interface LoginGate {
  /** Throws ERR_HPKI_BUSY when this tab already has a login (waiting or running). */
  enterTab(tabId: number): void;
  leaveTab(tabId: number): void;
  /** How long this tab must wait before a new window, from now. */
  cooldownMs(tabId: number): number;
  /** Throws ERR_HPKI_BUSY when another login holds the browser's one login slot. */
  takeSlot(tabId: number): void;
  releaseSlot(tabId: number): void;
  /** The user cancelled (or let time out) this tab's login: its next one waits longer. */
  cancelled(tabId: number): void;
  /** A login went through: the tab starts over. */
  succeeded(tabId: number): void;
}

export function createLoginGate(now: () => number = Date.now): LoginGate {
  const tabs = new Set<number>();
  let slot: number | undefined;
  const cancels = new Map<number, { count: number; at: number }>();

  function recentCancels(tabId: number): { count: number; at: number } | undefined {
    const record = cancels.get(tabId);
    if (record !== undefined && now() - record.at > COOLDOWN_FORGET_MS) {
      cancels.delete(tabId);
      return undefined;
    }
    return record;
  }

  return {
    enterTab(tabId) {
      if (tabs.has(tabId)) throw new HpkiError('ERR_HPKI_BUSY', 'a login is already pending in this tab');
      tabs.add(tabId);
    },
    leaveTab(tabId) {
      tabs.delete(tabId);
    },
    cooldownMs(tabId) {
      const record = recentCancels(tabId);
      if (record === undefined) return 0;
      const wait = Math.min(COOLDOWN_MAX_MS, COOLDOWN_BASE_MS * 2 ** (record.count - 1));
      return Math.max(0, record.at + wait - now());
    },
    takeSlot(tabId) {
      if (slot !== undefined && slot !== tabId)
        throw new HpkiError('ERR_HPKI_BUSY', 'another login is using the card in this browser');
      slot = tabId;
    },
    releaseSlot(tabId) {
      if (slot === tabId) slot = undefined;
    },
    cancelled(tabId) {
      const record = recentCancels(tabId);
      cancels.set(tabId, { count: (record?.count ?? 0) + 1, at: now() });
    },
    succeeded(tabId) {
      cancels.delete(tabId);
    },
  };
}
