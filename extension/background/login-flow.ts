import { HpkiError, toHpkiError } from '../../protocol/errors.js';
import { assertSecureOrigin } from '../../protocol/origin.js';
import { DEFAULT_USER_TIMEOUT_MS, HOST_HELLO_TIMEOUT_MS } from '../../protocol/timeouts.js';
import type { Token } from '../../protocol/token.js';
import { createLoginGate, type LoginGate } from './login-gate.js';
import type { NativeConnector } from './native-host.js';
import { openHostSession } from './native-host.js';
import type { PinPrompt, PinPrompts } from './pin-prompts.js';
import type { SiteAccess } from './site-access.js';

/**
 * One login, top to bottom: §6 and enabled-site checks, one native port for the whole login,
 * `get-certificate`, the PIN window, `authenticate` for each PIN the user submits (a wrong PIN keeps
 * the window open), and the token. One login per tab and one in the whole browser at a time (see
 * login-gate.ts); the login ends, its window closed, when its `signal` aborts (the requesting page
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

function goneError(): HpkiError {
  return new HpkiError('ERR_HPKI_USER_CANCELLED', 'the requesting page went away');
}

/** Waits `ms`, or rejects as soon as `signal` aborts. */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(goneError());
      return;
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    function onAbort(): void {
      clearTimeout(timer);
      reject(goneError());
    }
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Rejects with the cancel as soon as `signal` aborts, else settles as `promise` does. */
function unlessGone<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(goneError());
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(goneError());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

export function createLoginService(deps: LoginDeps): LoginService {
  const gate = deps.gate ?? createLoginGate();
  const sleep = deps.sleep ?? abortableSleep;
  const abortByTab = new Map<number, AbortController>();

  async function run(request: LoginRequest, origin: string, signal: AbortSignal): Promise<Token> {
    const site = await unlessGone(deps.siteAccess.check(origin), signal);
    const opening = openHostSession(deps.connector, deps.helloTimeoutMs ?? HOST_HELLO_TIMEOUT_MS);
    const host = await unlessGone(opening, signal).catch((err: unknown) => {
      // Gone while the host was starting: it is stopped as soon as it is there.
      opening.then(
        (late) => late.close(),
        () => undefined,
      );
      throw err;
    });
    let prompt: PinPrompt | undefined;
    // The page went away: the window closes and the host stops; nobody hears the cancel.
    const onGone = (): void => {
      prompt?.cancel('ERR_HPKI_USER_CANCELLED');
      host.close();
    };
    signal.addEventListener('abort', onGone, { once: true });
    try {
      const card = await unlessGone(host.request('get-certificate', undefined), signal);
      if (card.cardType !== 'hpki')
        throw new HpkiError('ERR_HPKI_UNSUPPORTED_CARD', `the card is a ${card.cardType} card`);
      prompt = await deps.prompts.open(
        {
          siteName: site.name,
          origin,
          holder: card.holder,
          issuerName: card.issuer,
          notAfter: card.notAfter,
          retriesLeft: card.pinRetriesLeft,
          maxRetries: card.pinMaxRetries,
          roles: site.roles,
        },
        request.timeoutMs ?? DEFAULT_USER_TIMEOUT_MS,
      );
      if (signal.aborted) throw goneError();
      if (card.pinRetriesLeft === 0) {
        // The window explains the unlock procedure; no PIN is asked for a locked card.
        prompt.finish(true);
        prompt = undefined;
        throw new HpkiError('ERR_HPKI_PIN_BLOCKED', 'the card is locked');
      }
      let retriesLeft = card.pinRetriesLeft;
      for (;;) {
        const submission = await prompt.nextPin();
        try {
          const { token } = await host.request('authenticate', {
            origin,
            challenge: request.challenge,
            pin: submission.takePin(),
            certificateSha256: card.certificateSha256,
          });
          submission.reply({ outcome: 'done' });
          return token;
        } catch (err) {
          const error = toHpkiError(err);
          if (error.code === 'ERR_HPKI_PIN_INCORRECT') retriesLeft = error.retriesLeft ?? Math.max(0, retriesLeft - 1);
          if (error.code === 'ERR_HPKI_PIN_INCORRECT' && retriesLeft > 0) {
            submission.reply({ outcome: 'retry', retriesLeft });
            continue;
          }
          if (error.code === 'ERR_HPKI_PIN_BLOCKED' || error.code === 'ERR_HPKI_PIN_INCORRECT') {
            submission.reply({ outcome: 'blocked' });
            prompt.finish(true);
            prompt = undefined;
            throw error.code === 'ERR_HPKI_PIN_BLOCKED'
              ? error
              : new HpkiError('ERR_HPKI_PIN_BLOCKED', 'no PIN tries left');
          }
          submission.reply({ outcome: 'failed', error: error.toWire() });
          throw error;
        }
      }
    } finally {
      signal.removeEventListener('abort', onGone);
      prompt?.finish();
      host.close();
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
