import { HpkiError, toHpkiError } from '../../protocol/errors.js';
import type { GetCertificateResult } from '../../protocol/messages.js';
import { assertSecureOrigin } from '../../protocol/origin.js';
import { DEFAULT_USER_TIMEOUT_MS, HOST_COMMAND_TIMEOUT_MS, HOST_HELLO_TIMEOUT_MS } from '../../protocol/timeouts.js';
import type { Token } from '../../protocol/token.js';
import type { PinAsker } from '../shared/runtime-messages.js';
import { watchRemovals } from './card-removals.js';
import { createLoginGate, type LoginGate } from './login-gate.js';
import type { HostSession, NativeConnector } from './native-host.js';
import { openHostSession } from './native-host.js';
import type { PinPrompt, PinPrompts, PinSubmission } from './pin-prompts.js';
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

/** The abort's own HpkiError (a closed window, a timeout), else the page going away. */
function reasonOf(signal: AbortSignal): HpkiError {
  return signal.reason instanceof HpkiError ? signal.reason : goneError();
}

/** Rejects with the cancel as soon as `signal` aborts, else settles as `promise` does. */
function unlessGone<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    // Nobody waits for it now: its later failure (the session closing under it) is expected.
    promise.catch(() => undefined);
    return Promise.reject(reasonOf(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(reasonOf(signal));
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
    const timeoutMs = request.timeoutMs ?? DEFAULT_USER_TIMEOUT_MS;
    // Window first: the host starts on the click, and the window shows who asks while it does.
    const opening = openHostSession(deps.connector, deps.helloTimeoutMs ?? HOST_HELLO_TIMEOUT_MS);
    const stopLateHost = (): void => {
      opening.then(
        (late) => late.close(),
        () => undefined,
      );
    };
    let prompt: PinPrompt;
    try {
      prompt = await deps.prompts.open({ siteName: site.name, origin, roles: site.roles }, timeoutMs);
    } catch (err) {
      stopLateHost();
      throw err;
    }
    let host: HostSession | undefined;
    let keepWindow = false;
    // The page went away: the window closes and the host stops; nobody hears the cancel.
    const onGone = (): void => {
      prompt.cancel('ERR_HPKI_USER_CANCELLED');
      host?.close();
    };
    signal.addEventListener('abort', onGone, { once: true });
    // Either way the login is over: the page went away, or the doctor closed the window (or let it time out).
    const over = AbortSignal.any([signal, prompt.ended]);
    try {
      if (signal.aborted) throw goneError();
      host = await unlessGone(opening, over).catch((err: unknown) => {
        stopLateHost();
        throw err;
      });
      return await withCard(host, prompt, request, { siteName: site.name, origin, roles: site.roles }, over, timeoutMs);
    } catch (err) {
      const error = toHpkiError(err);
      // What went wrong stays in the window, with what to do, until the doctor closes it; a cancel
      // or a page gone needs no window.
      if (!signal.aborted && error.code !== 'ERR_HPKI_USER_CANCELLED' && error.code !== 'ERR_HPKI_USER_TIMEOUT') {
        if (error.code !== 'ERR_HPKI_PIN_BLOCKED') prompt.show({ stage: 'error', error: error.toWire() });
        keepWindow = true;
      }
      throw error;
    } finally {
      signal.removeEventListener('abort', onGone);
      prompt.finish(keepWindow);
      host?.close();
    }
  }

  /** The card part of a login: find it (waiting, choosing), ask for the PIN, sign; again after a pull. */
  async function withCard(
    host: HostSession,
    prompt: PinPrompt,
    request: LoginRequest,
    asker: PinAsker,
    signal: AbortSignal,
    timeoutMs: number,
  ): Promise<Token> {
    const { origin } = asker;
    const removals = watchRemovals(host);
    let pending: Promise<PinSubmission> | undefined;
    for (;;) {
      const card = await chooseCard(host, prompt, signal, timeoutMs);
      prompt.show({
        stage: 'pin',
        model: {
          ...asker,
          holder: card.holder,
          issuerName: card.issuerOrganization ?? card.issuer,
          notAfter: card.notAfter,
          retriesLeft: card.pinRetriesLeft,
          maxRetries: card.pinMaxRetries,
        },
      });
      if (card.pinRetriesLeft === 0) {
        // The window explains the unlock procedure; no PIN is asked for a locked card.
        throw new HpkiError('ERR_HPKI_PIN_BLOCKED', 'the card is locked');
      }
      const removed = removals.next(card.reader);
      await host.request('watch-card', { reader: card.reader });
      let retriesLeft = card.pinRetriesLeft;
      for (;;) {
        pending ??= prompt.nextPin();
        const next = await Promise.race([pending, removed]);
        if (next === 'removed') {
          // Back to waiting for a card; a PIN typed meanwhile is not kept.
          prompt.show({ stage: 'insert-card' });
          break;
        }
        pending = undefined;
        const submission = next;
        try {
          const { token } = await host.request('authenticate', {
            origin,
            challenge: request.challenge,
            pin: submission.takePin(),
            certificateSha256: card.certificateSha256,
            reader: card.reader,
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
            throw error.code === 'ERR_HPKI_PIN_BLOCKED'
              ? error
              : new HpkiError('ERR_HPKI_PIN_BLOCKED', 'no PIN tries left');
          }
          if (error.code === 'ERR_HPKI_CARD_REMOVED' || error.code === 'ERR_HPKI_NO_CARD') {
            // Pulled during the check: the PIN was not presented; wait for the card again.
            submission.reply({ outcome: 'retry', retriesLeft });
            prompt.show({ stage: 'insert-card' });
            break;
          }
          submission.reply({ outcome: 'failed', error: error.toWire() });
          throw error;
        }
      }
    }
  }

  /** `find-cards`, waiting for a card; several HPKI cards → the user chooses one. */
  async function chooseCard(
    host: HostSession,
    prompt: PinPrompt,
    signal: AbortSignal,
    timeoutMs: number,
  ): Promise<GetCertificateResult> {
    const found = await unlessGone(
      host.request('find-cards', { waitMs: timeoutMs }, timeoutMs + HOST_COMMAND_TIMEOUT_MS, (event) => {
        if (event.type === 'waiting-for-card') prompt.show({ stage: 'insert-card' });
      }),
      signal,
    );
    const [first, ...more] = found.cards;
    if (first === undefined) {
      const other = found.others[0];
      throw new HpkiError('ERR_HPKI_UNSUPPORTED_CARD', `the card is a ${other?.cardType ?? 'unknown'} card`);
    }
    if (more.length === 0) return first;
    prompt.show({
      stage: 'choose-card',
      cards: found.cards.map((c) => ({
        reader: c.reader,
        holder: c.holder,
        issuerName: c.issuerOrganization ?? c.issuer,
        notAfter: c.notAfter,
      })),
    });
    const reader = await unlessGone(prompt.nextChoice(), signal);
    const chosen = found.cards.find((c) => c.reader === reader);
    if (chosen === undefined) throw new HpkiError('ERR_HPKI_INVALID_ARGUMENT', 'no such card');
    prompt.show({ stage: 'reading' });
    return chosen;
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
