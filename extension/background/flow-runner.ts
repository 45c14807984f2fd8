import { type HpkiError, toHpkiError } from '../../protocol/errors.js';
import { assertSecureOrigin } from '../../protocol/origin.js';
import { DEFAULT_USER_TIMEOUT_MS, HOST_HELLO_TIMEOUT_MS } from '../../protocol/timeouts.js';
import type { PinAsker, SignedDocument } from '../shared/index.js';
import { abortableSleep, goneError, until } from './abortable.js';
import type { CardFlowContext } from './card-flow.js';
import { createLoginGate, type LoginGate } from './login-gate.js';
import type { HostSession, NativeConnector } from './native-host.js';
import { openHostSession } from './native-host.js';
import type { PinPrompt, PinPrompts } from './pin-prompts.js';
import type { SiteAccess } from './site-access.js';

/**
 * What every card flow of a page (a login, a signing certificate, a signature) does around the card
 * flow machine: the browser's one slot and the tab's one entry (login-gate.ts), §6 and enabled-site
 * checks, the window at once, one native port for the flow, and the end on every path: a result, an
 * error, the window closed or timed out, the host stopped, or the requesting page gone (`signal`).
 */

export interface FlowRequest {
  tabId: number;
  /** From the browser's sender information, never from the page. */
  origin: string;
  timeoutMs?: number;
  /** Aborts when the requesting document is gone. */
  signal?: AbortSignal;
}

export interface FlowRunnerDeps {
  connector: NativeConnector;
  siteAccess: SiteAccess;
  prompts: PinPrompts;
  gate?: LoginGate;
  helloTimeoutMs?: number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** How a flow uses its window: a fresh one or one held from the flow before, and whether to hold it after. */
export interface WindowUse {
  purpose: PinAsker['purpose'];
  /** For a signature: what is signed, shown with the PIN. */
  document?: SignedDocument;
  /** A window the tab's previous flow kept open for this one (§11: one document, one window). */
  reuse?: PinPrompt | undefined;
  /** On success, leave the window open and hand it back instead of closing it. */
  hold?: boolean;
}

export interface FlowRunner {
  /** Runs `body` in the browser's slot and the tab's entry; `body` gets the checked origin and the end signal. */
  gated<T>(request: FlowRequest, body: (origin: string, signal: AbortSignal) => Promise<T>): Promise<T>;
  /** The site check, the window, the host, then `body` with the card flow's context. */
  inWindow<T>(
    request: FlowRequest,
    origin: string,
    signal: AbortSignal,
    use: WindowUse,
    body: (ctx: CardFlowContext) => Promise<T>,
  ): Promise<{ value: T; held: PinPrompt | undefined }>;
  /** The tab went away: its flow, if any, is cancelled. */
  cancelTab(tabId: number): void;
}

/** Whether the window keeps showing how the flow ended: not after a cancel, a timeout or a page gone. */
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

export function createFlowRunner(deps: FlowRunnerDeps): FlowRunner {
  const gate = deps.gate ?? createLoginGate();
  const sleep = deps.sleep ?? abortableSleep;
  const abortByTab = new Map<number, AbortController>();

  async function openPrompt(asker: PinAsker, timeoutMs: number, use: WindowUse): Promise<PinPrompt> {
    const held = use.reuse;
    if (held !== undefined && !held.ended.aborted) return held;
    return deps.prompts.open(asker, timeoutMs);
  }

  async function inWindow<T>(
    request: FlowRequest,
    origin: string,
    signal: AbortSignal,
    use: WindowUse,
    body: (ctx: CardFlowContext) => Promise<T>,
  ): Promise<{ value: T; held: PinPrompt | undefined }> {
    const site = await until(deps.siteAccess.check(origin), signal);
    const asker: PinAsker = { siteName: site.name, origin, roles: site.roles };
    if (use.purpose !== undefined) asker.purpose = use.purpose;
    if (use.document !== undefined) asker.document = use.document;
    const timeoutMs = request.timeoutMs ?? DEFAULT_USER_TIMEOUT_MS;
    // Window first: the host starts on the click, and the window shows who asks while it does.
    const opening = openHostSession(deps.connector, deps.helloTimeoutMs ?? HOST_HELLO_TIMEOUT_MS);
    let prompt: PinPrompt;
    try {
      prompt = await openPrompt(asker, timeoutMs, use);
    } catch (err) {
      closeWhenOpen(opening);
      throw err;
    }
    let host: HostSession | undefined;
    let keepWindow = false;
    let holding = false;
    try {
      if (signal.aborted) throw goneError();
      // Either way the flow is over: the page went away, or the window closed or timed out.
      host = await until(opening, AbortSignal.any([signal, prompt.ended]));
      const ended = AbortSignal.any([signal, prompt.ended, host.ended]);
      const value = await body({ host, prompt, asker, ended, waitMs: timeoutMs });
      holding = use.hold === true;
      return { value, held: holding ? prompt : undefined };
    } catch (err) {
      const error = toHpkiError(err);
      // What went wrong stays in the window, with what to do, until the doctor closes it.
      keepWindow = keepsWindow(error, signal.aborted);
      if (keepWindow && prompt.phase !== 'blocked') prompt.show({ phase: 'error', error: error.toWire() });
      throw error;
    } finally {
      if (!holding) prompt.finish(keepWindow);
      if (host === undefined) closeWhenOpen(opening);
      else host.close();
    }
  }

  async function gated<T>(request: FlowRequest, body: (origin: string, signal: AbortSignal) => Promise<T>): Promise<T> {
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
      // Another tab's flow: refused at once, before any wait.
      gate.takeSlot(tabId);
      gate.releaseSlot(tabId);
      const wait = gate.cooldownMs(tabId);
      if (wait > 0) await sleep(wait, controller.signal);
      gate.takeSlot(tabId);
      holdsSlot = true;
      const value = await body(origin, controller.signal);
      gate.succeeded(tabId);
      return value;
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
  }

  return {
    gated,
    inWindow,
    cancelTab(tabId) {
      abortByTab.get(tabId)?.abort();
    },
  };
}
