import { type HpkiError, toHpkiError } from '../../protocol/errors.js';
import { assertSecureOrigin } from '../../protocol/origin.js';
import { DEFAULT_USER_TIMEOUT_MS, HOST_HELLO_TIMEOUT_MS } from '../../protocol/timeouts.js';
import type { PinAsker, SignedDocument } from '../shared/index.js';
import { abortableSleep, goneError, until } from './abortable.js';
import type { CardFlowContext } from './card-flow.js';
import { createHeldWindow, type HeldWindow } from './held-window.js';
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
  /** The window held for a tab's `sign` (held-window.ts); one over `gate` unless given. */
  held?: HeldWindow;
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
  /** On success, leave the window open for the tab's next flow (held-window.ts) instead of closing it. */
  hold?: boolean;
}

/**
 * A flow's body: it gets the checked origin, the end signal, and the window held for this tab when
 * the flow asked for it (`keepsHeld`); it must pass that window on to `inWindow` as `reuse`.
 */
export type GatedBody<T> = (origin: string, signal: AbortSignal, held: PinPrompt | undefined) => Promise<T>;

export interface FlowRunner {
  /**
   * Runs `body` in the browser's slot and the tab's entry. A window held for this tab is handed to
   * `body` when `keepsHeld` (a `sign`), else closed first.
   */
  gated<T>(request: FlowRequest, body: GatedBody<T>, keepsHeld?: boolean): Promise<T>;
  /** The site check, the window, the host, then `body` with the card flow's context. */
  inWindow<T>(
    request: FlowRequest,
    origin: string,
    signal: AbortSignal,
    use: WindowUse,
    body: (ctx: CardFlowContext) => Promise<T>,
  ): Promise<T>;
  /** The tab went away: its flow, if any, is cancelled, and a window held for it closes. */
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

/** The site's name and roles for the window; a window held for this flow closes if the check fails. */
async function askerFor(deps: FlowRunnerDeps, origin: string, signal: AbortSignal, use: WindowUse): Promise<PinAsker> {
  let site: Awaited<ReturnType<SiteAccess['check']>>;
  try {
    site = await until(deps.siteAccess.check(origin), signal);
  } catch (err) {
    use.reuse?.finish();
    throw err;
  }
  const asker: PinAsker = { siteName: site.name, origin, roles: site.roles };
  if (use.purpose !== undefined) asker.purpose = use.purpose;
  if (use.document !== undefined) asker.document = use.document;
  return asker;
}

export function createFlowRunner(deps: FlowRunnerDeps): FlowRunner {
  const gate = deps.gate ?? createLoginGate();
  const held = deps.held ?? createHeldWindow({ gate });
  const sleep = deps.sleep ?? abortableSleep;
  const abortByTab = new Map<number, AbortController>();

  async function openPrompt(asker: PinAsker, timeoutMs: number, use: WindowUse): Promise<PinPrompt> {
    const reused = use.reuse;
    if (reused !== undefined && !reused.ended.aborted) return reused;
    return deps.prompts.open(asker, timeoutMs);
  }

  async function inWindow<T>(
    request: FlowRequest,
    origin: string,
    signal: AbortSignal,
    use: WindowUse,
    body: (ctx: CardFlowContext) => Promise<T>,
  ): Promise<T> {
    const asker = await askerFor(deps, origin, signal, use);
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
      // Held before the answer goes out, so that no other tab's flow slips in between.
      if (holding) held.hold(request.tabId, origin, prompt, request.signal);
      return value;
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

  async function gated<T>(request: FlowRequest, body: GatedBody<T>, keepsHeld = false): Promise<T> {
    const origin = assertSecureOrigin(request.origin);
    const { tabId } = request;
    gate.enterTab(tabId);
    const controller = new AbortController();
    abortByTab.set(tabId, controller);
    const onRequestGone = (): void => controller.abort();
    request.signal?.addEventListener('abort', onRequestGone, { once: true });
    if (request.signal?.aborted) controller.abort();
    let holdsSlot = false;
    let reuse: PinPrompt | undefined;
    let handedOver = false;
    try {
      // Another tab's flow, or a window held for another tab: refused at once, before any wait.
      gate.takeSlot(tabId);
      holdsSlot = true;
      reuse = held.claim(tabId, origin, keepsHeld);
      const wait = gate.cooldownMs(tabId);
      if (wait > 0) {
        gate.releaseSlot(tabId);
        holdsSlot = false;
        await sleep(wait, controller.signal);
        gate.takeSlot(tabId);
        holdsSlot = true;
      }
      handedOver = true;
      const value = await body(origin, controller.signal, reuse);
      gate.succeeded(tabId);
      return value;
    } catch (err) {
      if (!handedOver) reuse?.finish();
      const code = toHpkiError(err).code;
      // The user said no (or let the window time out): this tab's next window waits longer.
      if (!controller.signal.aborted && (code === 'ERR_HPKI_USER_CANCELLED' || code === 'ERR_HPKI_USER_TIMEOUT'))
        gate.cancelled(tabId);
      throw err;
    } finally {
      request.signal?.removeEventListener('abort', onRequestGone);
      // A window held for the tab's `sign` keeps the slot until the hold ends (held-window.ts).
      if (holdsSlot && !held.holds(tabId)) gate.releaseSlot(tabId);
      gate.leaveTab(tabId);
      abortByTab.delete(tabId);
    }
  }

  return {
    gated,
    inWindow,
    cancelTab(tabId) {
      abortByTab.get(tabId)?.abort();
      held.drop(tabId);
    },
  };
}
