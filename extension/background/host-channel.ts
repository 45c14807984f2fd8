import type { ClientErrorCode } from '../../protocol/errors.js';
import { errorFromWire, HpkiError } from '../../protocol/errors.js';
import type { HelloMessage, HostCommand, HostEventBody, RequestId } from '../../protocol/messages.js';
import {
  helloSchema,
  hostEventSchema,
  MAX_BROWSER_MESSAGE_BYTES,
  MAX_HOST_MESSAGE_BYTES,
  PROTOCOL_VERSION,
  parseHostResponse,
} from '../../protocol/messages.js';
import type { NativeConnector, NativePort } from './native-host.js';

/**
 * The state of one native port and what arrives on it (native-host.ts opens it and hands out the
 * session): the hello, then answers paired in order with their requests, event frames for the
 * request at the head or for the session, and one `fail` that ends everything with a coded error.
 */

interface Pending {
  id: RequestId;
  command: HostCommand;
  resolve: (value: unknown) => void;
  reject: (err: HpkiError) => void;
  timer: ReturnType<typeof setTimeout>;
  onEvent: ((event: HostEventBody) => void) | undefined;
}

export interface Channel {
  port: NativePort;
  connector: NativeConnector;
  hello: HelloMessage['hello'] | undefined;
  closed: boolean;
  nextId: number;
  queue: Pending[];
  eventListeners: Array<(event: HostEventBody) => void>;
  ended: AbortController;
  helloTimer: ReturnType<typeof setTimeout> | undefined;
  /** Settles the opening: with the session after a good hello, or with the error before one. */
  opened: { resolve: () => void; reject: (err: HpkiError) => void };
}

export function hostError(code: ClientErrorCode, message: string): HpkiError {
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

/** Ends the channel: the port closes, the opening (if still pending) and every request reject with `err`. */
export function fail(ch: Channel, err: HpkiError): void {
  if (ch.closed) return;
  ch.closed = true;
  clearTimeout(ch.helloTimer);
  ch.ended.abort(err);
  try {
    ch.port.disconnect();
  } catch {
    // Already gone: nothing left to release.
  }
  if (ch.hello === undefined) ch.opened.reject(err);
  for (const pending of ch.queue.splice(0)) {
    clearTimeout(pending.timer);
    pending.reject(err);
  }
}

function onHello(ch: Channel, value: unknown): void {
  clearTimeout(ch.helloTimer);
  const protocol = announcedProtocol(value);
  if (typeof protocol === 'number' && protocol !== PROTOCOL_VERSION) {
    const message = `native host speaks protocol ${protocol}, the extension ${PROTOCOL_VERSION}`;
    fail(ch, hostError('ERR_HPKI_VERSION_MISMATCH', message));
    return;
  }
  const parsed = helloSchema.safeParse(value);
  if (!parsed.success) {
    fail(ch, hostError('ERR_HPKI_NATIVE_UNAVAILABLE', 'the native host did not start with a valid hello'));
    return;
  }
  ch.hello = parsed.data.hello;
  ch.opened.resolve();
}

function onEvent(ch: Channel, value: unknown): void {
  const parsed = hostEventSchema.safeParse(value);
  if (!parsed.success) {
    fail(ch, hostError('ERR_HPKI_INTERNAL', 'malformed event frame from the native host'));
    return;
  }
  const { id, event } = parsed.data;
  if (id === undefined) {
    for (const listener of ch.eventListeners) listener(event);
    return;
  }
  const head = ch.queue[0];
  if (head === undefined || head.id !== id) {
    fail(ch, hostError('ERR_HPKI_INTERNAL', 'the native host sent an event for a request that is not pending'));
    return;
  }
  head.onEvent?.(event);
}

function onAnswer(ch: Channel, value: unknown): void {
  if (typeof value === 'object' && value !== null && 'event' in value) {
    onEvent(ch, value);
    return;
  }
  const head = ch.queue[0];
  if (head === undefined) {
    fail(ch, hostError('ERR_HPKI_INTERNAL', 'the native host answered a request that was not made'));
    return;
  }
  if (jsonSize(value) > MAX_HOST_MESSAGE_BYTES) {
    fail(ch, hostError('ERR_HPKI_INTERNAL', 'the native host sent an oversized message'));
    return;
  }
  const answer = parseHostResponse(head.command, value);
  if (answer === undefined || (answer.id !== head.id && !('error' in answer && answer.id === null))) {
    fail(ch, hostError('ERR_HPKI_INTERNAL', `malformed answer from the native host to '${head.command}'`));
    return;
  }
  ch.queue.shift();
  clearTimeout(head.timer);
  if ('error' in answer) head.reject(errorFromWire(answer.error));
  else head.resolve(answer.result);
}

/** Every frame from the host: the hello first, then answers and events. */
export function onMessage(ch: Channel, value: unknown): void {
  if (ch.closed) return;
  if (ch.hello === undefined) onHello(ch, value);
  else onAnswer(ch, value);
}

export function onDisconnect(ch: Channel, port: { error?: { message?: string } | null }): void {
  const reason = port.error?.message ?? ch.connector.lastError?.message ?? 'the native host exited';
  const message = ch.hello === undefined ? `native host unavailable: ${reason}` : `native host stopped: ${reason}`;
  fail(ch, hostError('ERR_HPKI_NATIVE_UNAVAILABLE', message));
}

/** Sends one request; the answer's shape is checked against `command` before `resolve` sees it. */
export function sendRequest(
  ch: Channel,
  command: HostCommand,
  params: unknown,
  timeoutMs: number,
  onEventOf: ((event: HostEventBody) => void) | undefined,
): Promise<unknown> {
  return new Promise<unknown>((resolve, reject) => {
    if (ch.closed) {
      reject(hostError('ERR_HPKI_NATIVE_UNAVAILABLE', 'the native host session is closed'));
      return;
    }
    const id = ch.nextId++;
    const message = params === undefined ? { id, command } : { id, command, params };
    if (jsonSize(message) > MAX_BROWSER_MESSAGE_BYTES) {
      const why = `request '${command}' is larger than ${MAX_BROWSER_MESSAGE_BYTES} bytes`;
      reject(hostError('ERR_HPKI_INVALID_ARGUMENT', why));
      return;
    }
    const timer = setTimeout(() => {
      const why = `the native host did not answer '${command}' within ${timeoutMs} ms`;
      fail(ch, hostError('ERR_HPKI_NATIVE_UNAVAILABLE', why));
    }, timeoutMs);
    ch.queue.push({ id, command, resolve, reject, timer, onEvent: onEventOf });
    try {
      ch.port.postMessage(message);
    } catch (err) {
      const why = `cannot write to the native host: ${err instanceof Error ? err.message : String(err)}`;
      fail(ch, hostError('ERR_HPKI_NATIVE_UNAVAILABLE', why));
    }
  });
}
