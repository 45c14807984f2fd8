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

export function authenticateOverPort<R extends PortRequest>(
  runtime: PortOpener,
  request: R,
  keep?: (port: PortLike) => void,
): Promise<RuntimeAnswerMap[R['kind']]> {
  return new Promise((resolve, reject) => {
    let port: PortLike;
    try {
      port = runtime.connect({ name: LOGIN_PORT_NAME });
    } catch (err) {
      reject(
        new HpkiError(
          'ERR_HPKI_EXTENSION_UNAVAILABLE',
          `background unreachable: ${err instanceof Error ? err.message : String(err)}`,
        ),
      );
      return;
    }
    let settled = false;
    port.onMessage.addListener((raw) => {
      if (settled) return;
      settled = true;
      const reply = runtimeReplySchema.safeParse(raw);
      if (keep !== undefined && reply.success && reply.data.ok) keep(port);
      else port.disconnect();
      if (!reply.success) {
        reject(new HpkiError('ERR_HPKI_INTERNAL', 'malformed reply from the background'));
        return;
      }
      if (!reply.data.ok) {
        const error = errorFromWire(reply.data.error);
        reject(
          new LocalizedError(
            error.code,
            error.message,
            error.retriesLeft === undefined ? undefined : { retriesLeft: error.retriesLeft },
          ),
        );
        return;
      }
      // The background answers each kind with its RuntimeAnswerMap entry (background/router.ts).
      resolve(reply.data.value as RuntimeAnswerMap[R['kind']]);
    });
    port.onDisconnect.addListener(() => {
      if (settled) return;
      settled = true;
      reject(new HpkiError('ERR_HPKI_EXTENSION_UNAVAILABLE', 'the background closed the login'));
    });
    port.postMessage(request);
  });
}
