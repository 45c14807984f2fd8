import type { RuntimeReply } from '../shared/index.js';
import type { MessageSenderInfo } from './sender.js';

/**
 * A login travels over a runtime port that the content script opens for it (`LOGIN_PORT_NAME`):
 * one request, one reply. The port lives as long as the requesting document; when the page
 * navigates, reloads or closes, the browser disconnects it and the login is cancelled, its window
 * closed, before the reply (there is nobody left to hear it).
 */

export interface LoginPort {
  readonly name: string;
  readonly sender?: MessageSenderInfo | undefined;
  postMessage(message: unknown): void;
  disconnect(): void;
  onMessage: { addListener(callback: (message: unknown) => void): void };
  onDisconnect: { addListener(callback: () => void): void };
}

export type PortHandler = (
  message: unknown,
  sender: MessageSenderInfo,
  signal: AbortSignal,
) => Promise<RuntimeReply<unknown>>;

export function serveLoginPort(port: LoginPort, handle: PortHandler): void {
  const gone = new AbortController();
  let asked = false;
  port.onDisconnect.addListener(() => gone.abort());
  port.onMessage.addListener((message) => {
    // One request per port: a second one is not read.
    if (asked) return;
    asked = true;
    void handle(message, port.sender ?? {}, gone.signal).then((reply) => {
      if (gone.signal.aborted) return;
      // The content script disconnects once it has read the reply.
      try {
        port.postMessage(reply);
      } catch {
        // The page went away between the answer and its delivery.
      }
    });
  });
}
