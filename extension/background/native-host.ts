import type { ClientErrorCode } from '../../protocol/errors.js';
import { errorFromWire, HpkiError } from '../../protocol/errors.js';
import type {
  AuthenticateParams,
  ChangePinParams,
  FindCardsParams,
  HelloMessage,
  HostCommand,
  HostEventBody,
  HostResultMap,
  RequestId,
  SignParams,
} from '../../protocol/messages.js';
import {
  helloSchema,
  hostEventSchema,
  MAX_BROWSER_MESSAGE_BYTES,
  MAX_HOST_MESSAGE_BYTES,
  NATIVE_HOST_NAME,
  PROTOCOL_VERSION,
  parseHostResponse,
} from '../../protocol/messages.js';
// A command touches the card for a few seconds at most: its limit only catches a wedged host.
import { HOST_COMMAND_TIMEOUT_MS, HOST_HELLO_TIMEOUT_MS } from '../../protocol/timeouts.js';

/**
 * One native messaging port to the host (PROTOCOL.md §2): connect, wait for the hello, then send
 * requests one at a time and pair each answer with its request. Every frame from the host is
 * parsed with the protocol schemas; anything unexpected ends the session with a coded error.
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

interface Pending {
  id: RequestId;
  command: HostCommand;
  resolve: (value: unknown) => void;
  reject: (err: HpkiError) => void;
  timer: ReturnType<typeof setTimeout>;
  onEvent: ((event: HostEventBody) => void) | undefined;
}

function hostError(code: ClientErrorCode, message: string): HpkiError {
  return new HpkiError(code, message);
}

function announcedProtocol(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || !('hello' in value)) return undefined;
  const hello: unknown = value.hello;
  return typeof hello === 'object' && hello !== null && 'protocol' in hello ? hello.protocol : undefined;
}

function jsonSize(value: unknown): number {
  return new TextEncoder().encode(JSON.stringify(value) ?? '').length;
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
      rejectSession(
        hostError(
          'ERR_HPKI_NATIVE_UNAVAILABLE',
          `cannot start the native host: ${err instanceof Error ? err.message : String(err)}`,
        ),
      );
      return;
    }

    let hello: HelloMessage['hello'] | undefined;
    let closed = false;
    let nextId = 1;
    const queue: Pending[] = [];
    const eventListeners: Array<(event: HostEventBody) => void> = [];

    const helloTimer = setTimeout(
      () => fail(hostError('ERR_HPKI_NATIVE_UNAVAILABLE', `no hello from the native host within ${helloTimeoutMs} ms`)),
      helloTimeoutMs,
    );

    function fail(err: HpkiError): void {
      if (closed) return;
      closed = true;
      clearTimeout(helloTimer);
      try {
        port.disconnect();
      } catch {
        // Already gone: nothing left to release.
      }
      if (hello === undefined) rejectSession(err);
      for (const pending of queue.splice(0)) {
        clearTimeout(pending.timer);
        pending.reject(err);
      }
    }

    function onHello(value: unknown): void {
      clearTimeout(helloTimer);
      const protocol = announcedProtocol(value);
      if (typeof protocol === 'number' && protocol !== PROTOCOL_VERSION) {
        fail(
          hostError(
            'ERR_HPKI_VERSION_MISMATCH',
            `native host speaks protocol ${protocol}, the extension ${PROTOCOL_VERSION}`,
          ),
        );
        return;
      }
      const parsed = helloSchema.safeParse(value);
      if (!parsed.success) {
        fail(hostError('ERR_HPKI_NATIVE_UNAVAILABLE', 'the native host did not start with a valid hello'));
        return;
      }
      hello = parsed.data.hello;
      resolveSession(session);
    }

    function onEvent(value: unknown): void {
      const parsed = hostEventSchema.safeParse(value);
      if (!parsed.success) {
        fail(hostError('ERR_HPKI_INTERNAL', 'malformed event frame from the native host'));
        return;
      }
      const { id, event } = parsed.data;
      if (id === undefined) {
        for (const listener of eventListeners) listener(event);
        return;
      }
      const head = queue[0];
      if (head === undefined || head.id !== id) {
        fail(hostError('ERR_HPKI_INTERNAL', 'the native host sent an event for a request that is not pending'));
        return;
      }
      head.onEvent?.(event);
    }

    function onAnswer(value: unknown): void {
      if (typeof value === 'object' && value !== null && 'event' in value) {
        onEvent(value);
        return;
      }
      const head = queue[0];
      if (head === undefined) {
        fail(hostError('ERR_HPKI_INTERNAL', 'the native host answered a request that was not made'));
        return;
      }
      if (jsonSize(value) > MAX_HOST_MESSAGE_BYTES) {
        fail(hostError('ERR_HPKI_INTERNAL', 'the native host sent an oversized message'));
        return;
      }
      const answer = parseHostResponse(head.command, value);
      if (answer === undefined || (answer.id !== head.id && !('error' in answer && answer.id === null))) {
        fail(hostError('ERR_HPKI_INTERNAL', `malformed answer from the native host to '${head.command}'`));
        return;
      }
      queue.shift();
      clearTimeout(head.timer);
      if ('error' in answer) head.reject(errorFromWire(answer.error));
      else head.resolve(answer.result);
    }

    port.onMessage.addListener((value) => {
      if (closed) return;
      if (hello === undefined) onHello(value);
      else onAnswer(value);
    });

    port.onDisconnect.addListener((p) => {
      const reason = p.error?.message ?? connector.lastError?.message ?? 'the native host exited';
      fail(
        hostError(
          'ERR_HPKI_NATIVE_UNAVAILABLE',
          hello === undefined ? `native host unavailable: ${reason}` : `native host stopped: ${reason}`,
        ),
      );
    });

    const session: HostSession = {
      get hello() {
        if (hello === undefined) throw new Error('no hello yet');
        return hello;
      },
      onEvent(listener) {
        eventListeners.push(listener);
      },
      request<C extends HostCommand>(
        command: C,
        params: HostParamsMap[C],
        timeoutMs = HOST_COMMAND_TIMEOUT_MS,
        onEvent?: (event: HostEventBody) => void,
      ): Promise<HostResultMap[C]> {
        return new Promise<HostResultMap[C]>((resolve, reject) => {
          if (closed) {
            reject(hostError('ERR_HPKI_NATIVE_UNAVAILABLE', 'the native host session is closed'));
            return;
          }
          const id = nextId++;
          const message = params === undefined ? { id, command } : { id, command, params };
          if (jsonSize(message) > MAX_BROWSER_MESSAGE_BYTES) {
            reject(
              hostError(
                'ERR_HPKI_INVALID_ARGUMENT',
                `request '${command}' is larger than ${MAX_BROWSER_MESSAGE_BYTES} bytes`,
              ),
            );
            return;
          }
          const timer = setTimeout(
            () =>
              fail(
                hostError(
                  'ERR_HPKI_NATIVE_UNAVAILABLE',
                  `the native host did not answer '${command}' within ${timeoutMs} ms`,
                ),
              ),
            timeoutMs,
          );
          // The answer's shape is checked against `command` by parseHostResponse before resolving.
          queue.push({ id, command, resolve: resolve as (value: unknown) => void, reject, timer, onEvent });
          try {
            port.postMessage(message);
          } catch (err) {
            fail(
              hostError(
                'ERR_HPKI_NATIVE_UNAVAILABLE',
                `cannot write to the native host: ${err instanceof Error ? err.message : String(err)}`,
              ),
            );
          }
        });
      },
      close(): void {
        fail(hostError('ERR_HPKI_INTERNAL', 'the native host session was closed'));
      },
    };
  });
}
