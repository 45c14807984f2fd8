import type {
  AuthenticateParams,
  ChangePinParams,
  FindCardsParams,
  HelloMessage,
  HostCommand,
  HostEventBody,
  HostResultMap,
  SignParams,
} from '../../protocol/messages.js';
import { NATIVE_HOST_NAME } from '../../protocol/messages.js';
// A command touches the card for a few seconds at most: its limit only catches a wedged host.
import { HOST_COMMAND_TIMEOUT_MS, HOST_HELLO_TIMEOUT_MS } from '../../protocol/timeouts.js';
import { type Channel, fail, hostError, onDisconnect, onMessage, sendRequest } from './host-channel.js';

/**
 * One native messaging port to the host (PROTOCOL.md §2): connect, wait for the hello, then send
 * requests one at a time and pair each answer with its request (host-channel.ts). Every frame from
 * the host is parsed with the protocol schemas; anything unexpected ends the session with a coded error.
 */

export interface NativePort {
  postMessage(message: unknown): void;
  disconnect(): void;
  onMessage: { addListener(callback: (message: unknown) => void): void };
  onDisconnect: { addListener(callback: (port: { error?: { message?: string } | null }) => void): void };
}

export interface NativeConnector {
  connectNative(application: string): NativePort;
  /** Chrome reports why a native port closed here rather than on the port. */
  readonly lastError?: { message?: string } | null | undefined;
}

export interface HostParamsMap {
  status: undefined;
  'get-certificate': { reader?: string } | undefined;
  authenticate: AuthenticateParams;
  'find-cards': FindCardsParams | undefined;
  'watch-card': { reader: string };
  'get-signing-certificate': { reader?: string } | undefined;
  sign: SignParams;
  'change-pin': ChangePinParams;
}

export interface HostSession {
  readonly hello: HelloMessage['hello'];
  /** Aborts, with the HpkiError as its reason, when the session ends (closed, or the host stopped). */
  readonly ended: AbortSignal;
  /** `onEvent` hears the event frames that carry this request's id, before its answer. */
  request<C extends HostCommand>(
    command: C,
    params: HostParamsMap[C],
    timeoutMs?: number,
    onEvent?: (event: HostEventBody) => void,
  ): Promise<HostResultMap[C]>;
  /** Hears the event frames that carry no id (`card-removed` after `watch-card`). */
  onEvent(listener: (event: HostEventBody) => void): void;
  close(): void;
}

export function openHostSession(
  connector: NativeConnector,
  helloTimeoutMs = HOST_HELLO_TIMEOUT_MS,
): Promise<HostSession> {
  return new Promise<HostSession>((resolveSession, rejectSession) => {
    let port: NativePort;
    try {
      port = connector.connectNative(NATIVE_HOST_NAME);
    } catch (err) {
      const why = `cannot start the native host: ${err instanceof Error ? err.message : String(err)}`;
      rejectSession(hostError('ERR_HPKI_NATIVE_UNAVAILABLE', why));
      return;
    }
    const ch: Channel = {
      port,
      connector,
      hello: undefined,
      closed: false,
      nextId: 1,
      queue: [],
      eventListeners: [],
      ended: new AbortController(),
      helloTimer: undefined,
      opened: { resolve: () => resolveSession(sessionOver(ch)), reject: rejectSession },
    };
    ch.helloTimer = setTimeout(() => {
      const why = `no hello from the native host within ${helloTimeoutMs} ms`;
      fail(ch, hostError('ERR_HPKI_NATIVE_UNAVAILABLE', why));
    }, helloTimeoutMs);
    port.onMessage.addListener((value) => onMessage(ch, value));
    port.onDisconnect.addListener((p) => onDisconnect(ch, p));
  });
}

/** The session's face over an open channel (after its hello). */
function sessionOver(ch: Channel): HostSession {
  return {
    get hello() {
      if (ch.hello === undefined) throw new Error('no hello yet');
      return ch.hello;
    },
    ended: ch.ended.signal,
    onEvent(listener) {
      ch.eventListeners.push(listener);
    },
    request<C extends HostCommand>(
      command: C,
      params: HostParamsMap[C],
      timeoutMs = HOST_COMMAND_TIMEOUT_MS,
      onEvent?: (event: HostEventBody) => void,
    ): Promise<HostResultMap[C]> {
      // The answer's shape was checked against `command` by parseHostResponse.
      return sendRequest(ch, command, params, timeoutMs, onEvent) as Promise<HostResultMap[C]>;
    },
    close(): void {
      fail(ch, hostError('ERR_HPKI_INTERNAL', 'the native host session was closed'));
    },
  };
}
