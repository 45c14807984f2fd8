import { errorFromWire, HpkiError } from '../../protocol/errors.js';
import {
  LOGIN_PORT_NAME,
  LocalizedError,
  type PortRequest,
  type RuntimeAnswerMap,
  runtimeReplySchema,
} from '../shared/index.js';

/**
 * The content script's side of a card flow (a login, a signing certificate, a signature): a runtime
 * port of its own, one request, one reply. The port lives as long as this document, so a page that
 * navigates, reloads or closes cancels its flow (background/login-port.ts). A caller that gives
 * `keep` receives the port after a successful reply instead of it being closed: the port of a
 * `getSigningCertificate` stays open while the background holds its window for the page's `sign`,
 * so that the page going away ends that hold too (background/held-window.ts).
 */

export interface PortLike {
  postMessage(message: unknown): void;
  disconnect(): void;
  onMessage: { addListener(callback: (message: unknown) => void): void };
  onDisconnect: { addListener(callback: () => void): void };
}

export interface PortOpener {
  connect(info: { name: string }): PortLike;
}

/** Calls `callback` when the page leaves (`pagehide`); gives back how to stop listening. */
export type OnLeave = (callback: () => void) => () => void;

export interface OverPortOptions {
  /** Receives the port, still open, after a successful reply (instead of it being closed). */
  keep?: (port: PortLike) => void;
  /**
   * The page leaving ends the flow: its port is closed, so the background ends the flow at once.
   * Chromium closes the port of a page that goes by itself; Firefox keeps it while the page sits in
   * the back-forward cache.
   */
  onLeave?: OnLeave;
}

type ParsedReply = ReturnType<typeof runtimeReplySchema.safeParse>;

/** The reply as the page's promise settles with it. */
function settleWith<T>(reply: ParsedReply, resolve: (value: T) => void, reject: (err: Error) => void): void {
  if (!reply.success) {
    reject(new HpkiError('ERR_HPKI_INTERNAL', 'malformed reply from the background'));
    return;
  }
  if (!reply.data.ok) {
    const error = errorFromWire(reply.data.error);
    const extra = error.retriesLeft === undefined ? undefined : { retriesLeft: error.retriesLeft };
    reject(new LocalizedError(error.code, error.message, extra));
    return;
  }
  // The background answers each kind with its RuntimeAnswerMap entry (background/router.ts).
  resolve(reply.data.value as T);
}

export function authenticateOverPort<R extends PortRequest>(
  runtime: PortOpener,
  request: R,
  options: OverPortOptions = {},
): Promise<RuntimeAnswerMap[R['kind']]> {
  return new Promise((resolve, reject) => {
    let port: PortLike;
    try {
      port = runtime.connect({ name: LOGIN_PORT_NAME });
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      reject(new HpkiError('ERR_HPKI_EXTENSION_UNAVAILABLE', `background unreachable: ${why}`));
      return;
    }
    let settled = false;
    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      stopListening();
      return true;
    };
    const stopListening =
      options.onLeave?.(() => {
        if (!settle()) return;
        port.disconnect();
        reject(new HpkiError('ERR_HPKI_USER_CANCELLED', 'the page went away'));
      }) ?? (() => undefined);
    port.onMessage.addListener((raw) => {
      if (!settle()) return;
      const reply = runtimeReplySchema.safeParse(raw);
      if (options.keep !== undefined && reply.success && reply.data.ok) options.keep(port);
      else port.disconnect();
      settleWith(reply, resolve, reject);
    });
    port.onDisconnect.addListener(() => {
      if (settle()) reject(new HpkiError('ERR_HPKI_EXTENSION_UNAVAILABLE', 'the background closed the login'));
    });
    port.postMessage(request);
  });
}
