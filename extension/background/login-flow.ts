import { type HpkiError, toHpkiError } from '../../protocol/errors.js';
import { assertSecureOrigin } from '../../protocol/origin.js';
import { DEFAULT_USER_TIMEOUT_MS, HOST_COMMAND_TIMEOUT_MS, HOST_HELLO_TIMEOUT_MS } from '../../protocol/timeouts.js';
import type { Token } from '../../protocol/token.js';
import type { PinAsker } from '../shared/index.js';
import { abortableSleep, goneError, until } from './abortable.js';
import { type CardFlowSteps, runCardFlow } from './card-flow.js';
import { createLoginGate, type LoginGate } from './login-gate.js';
import type { HostSession, NativeConnector } from './native-host.js';
import { openHostSession } from './native-host.js';
import type { PinPrompt, PinPrompts } from './pin-prompts.js';
import type { SiteAccess } from './site-access.js';

/**
 * One login, top to bottom: §6 and enabled-site checks, the PIN window at once, one native port for
 * the whole login, and the card flow (card-flow.ts) with `find-cards` and `authenticate`. One login
 * per tab and one in the whole browser at a time (see login-gate.ts). The login ends, and releases
 * the browser's slot, the tab's entry, the window and the host, on every path: a token, an error, the
 * window closed or timed out, the host stopped, or its `signal` aborting (the requesting page
 * navigated, reloaded or closed: the content script's port went away).
 */

export interface LoginRequest {
  tabId: number;
  /** From the browser's sender information, never from the page. */
  origin: string;
  challenge: string;
  timeoutMs?: number;
  /** Aborts when the requesting document is gone. */
  signal?: AbortSignal;
}

export interface LoginService {
  authenticate(request: LoginRequest): Promise<Token>;
  /** The tab went away: its login, if any, is cancelled. */
  cancelTab(tabId: number): void;
}

export interface LoginDeps {
  connector: NativeConnector;
  siteAccess: SiteAccess;
  prompts: PinPrompts;
  gate?: LoginGate;
  helloTimeoutMs?: number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** The login's two card steps: every card read as `get-certificate` reads it, and `authenticate`. */
function loginSteps(origin: string, challenge: string): CardFlowSteps<Token> {
  return {
    find: (host, waitMs, waiting) =>
      host.request('find-cards', { waitMs }, waitMs + HOST_COMMAND_TIMEOUT_MS, (event) => {
        if (event.type === 'waiting-for-card') waiting();
      }),
    spend: async (host, card, pin) => {
      const { token } = await host.request('authenticate', {
        origin,
        challenge,
        pin,
        certificateSha256: card.certificateSha256,
        reader: card.reader,
      });
      return token;
    },
  };
}

/** Whether the window keeps showing how the login ended: not after a cancel, a timeout or a page gone. */
function keepsWindow(error: HpkiError, pageGone: boolean): boolean {
  return !pageGone && error.code !== 'ERR_HPKI_USER_CANCELLED' && error.code !== 'ERR_HPKI_USER_TIMEOUT';
}

/** The host, closed at once if it comes after nobody needs it any more. */
function closeWhenOpen(opening: Promise<HostSession>): void {
  opening.then(
    (late) => late.close(),
    () => undefined,
  );
}

export function createLoginService(deps: LoginDeps): LoginService {
  const gate = deps.gate ?? createLoginGate();
  const sleep = deps.sleep ?? abortableSleep;
  const abortByTab = new Map<number, AbortController>();

  async function run(request: LoginRequest, origin: string, signal: AbortSignal): Promise<Token> {
    const site = await until(deps.siteAccess.check(origin), signal);
    const asker: PinAsker = { siteName: site.name, origin, roles: site.roles };
    // Window first: the host starts on the click, and the window shows who asks while it does.
    const opening = openHostSession(deps.connector, deps.helloTimeoutMs ?? HOST_HELLO_TIMEOUT_MS);
    let prompt: PinPrompt;
    try {
      prompt = await deps.prompts.open(asker, request.timeoutMs ?? DEFAULT_USER_TIMEOUT_MS);
    } catch (err) {
      closeWhenOpen(opening);
      throw err;
    }
    let host: HostSession | undefined;
    let keepWindow = false;
    try {
      if (signal.aborted) throw goneError();
      // Either way the login is over: the page went away, or the window closed or timed out.
      host = await until(opening, AbortSignal.any([signal, prompt.ended]));
      const ended = AbortSignal.any([signal, prompt.ended, host.ended]);
      const waitMs = request.timeoutMs ?? DEFAULT_USER_TIMEOUT_MS;
      return await runCardFlow(loginSteps(origin, request.challenge), { host, prompt, asker, ended, waitMs });
    } catch (err) {
      const error = toHpkiError(err);
      // What went wrong stays in the window, with what to do, until the doctor closes it.
      keepWindow = keepsWindow(error, signal.aborted);
      if (keepWindow && prompt.phase !== 'blocked') prompt.show({ phase: 'error', error: error.toWire() });
      throw error;
    } finally {
      prompt.finish(keepWindow);
      if (host === undefined) closeWhenOpen(opening);
      else host.close();
    }
  }

  return {
    async authenticate(request) {
      const origin = assertSecureOrigin(request.origin);
      const { tabId } = request;
      gate.enterTab(tabId);
      const controller = new AbortController();
      abortByTab.set(tabId, controller);
      const onRequestGone = (): void => controller.abort();
      request.signal?.addEventListener('abort', onRequestGone, { once: true });
      if (request.signal?.aborted) controller.abort();
      let holdsSlot = false;
      try {
        // Another tab's login: refused at once, before any wait.
        gate.takeSlot(tabId);
        gate.releaseSlot(tabId);
        const wait = gate.cooldownMs(tabId);
        if (wait > 0) await sleep(wait, controller.signal);
        gate.takeSlot(tabId);
        holdsSlot = true;
        const token = await run(request, origin, controller.signal);
        gate.succeeded(tabId);
        return token;
      } catch (err) {
        const code = toHpkiError(err).code;
        // The user said no (or let the window time out): this tab's next window waits longer.
        if (!controller.signal.aborted && (code === 'ERR_HPKI_USER_CANCELLED' || code === 'ERR_HPKI_USER_TIMEOUT'))
          gate.cancelled(tabId);
        throw err;
      } finally {
        request.signal?.removeEventListener('abort', onRequestGone);
        if (holdsSlot) gate.releaseSlot(tabId);
        gate.leaveTab(tabId);
        abortByTab.delete(tabId);
      }
    },

    cancelTab(tabId) {
      abortByTab.get(tabId)?.abort();
    },
  };
}
