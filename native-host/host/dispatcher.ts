import type * as z from 'zod/mini';
import { HpkiError, isClientErrorCode, toHpkiError } from '../../protocol/errors.js';
import {
  type HostErrorResponse,
  type HostEventBody,
  type HostRequest,
  type HostResponse,
  hostRequestSchema,
  type RequestId,
  requestIdSchema,
} from '../../protocol/messages.js';
import type { CardBackend } from '../card/index.js';
import {
  createSeenCertificates,
  runAuthenticate,
  runChangePin,
  runFindCards,
  runGetCertificate,
  runSign,
  runStatus,
  type SeenCertificates,
} from '../commands/index.js';
import type { CardPresence } from '../presence/index.js';
import { forgetPin } from './forget-pin.js';

/**
 * Turns one decoded message into one response. Requests are validated with the schema first; a
 * message that fails carries its id back when the id itself is valid. Error messages are built from
 * schema paths only, never from values, so a PIN can never be echoed. Once the command has ended, the
 * request's PIN field is overwritten.
 */

function invalid(id: RequestId | null, message: string): HostErrorResponse {
  return { id, error: new HpkiError('ERR_HPKI_INVALID_ARGUMENT', message).toWire() };
}

function idOf(value: unknown): RequestId | null {
  if (typeof value !== 'object' || value === null || !('id' in value)) return null;
  const parsed = requestIdSchema.safeParse((value as { id: unknown }).id);
  return parsed.success ? parsed.data : null;
}

function describeIssues(error: z.core.$ZodError): string {
  const issue = error.issues[0];
  if (issue === undefined) return 'invalid request';
  const path = issue.path.join('.');
  if (issue.code === 'invalid_union' && path === 'command') return 'unknown command';
  return `invalid request: ${path === '' ? 'message' : path} (${issue.code})`;
}

/** What a request may use beyond the card: the session's events, card presence and its end. */
export interface SessionContext {
  /** Writes an event frame; with `forRequest`, it carries that request's id. */
  emit(event: HostEventBody, forRequest?: RequestId): void;
  presence(): Promise<CardPresence | undefined>;
  /** Replaces the session's card watch (undefined: none). */
  setWatch(stop: (() => void) | undefined): void;
  /** Aborts when the session ends. */
  signal: AbortSignal;
}

async function execute(
  request: HostRequest,
  getBackend: () => Promise<CardBackend>,
  seen: SeenCertificates,
  session: SessionContext | undefined,
): Promise<HostResponse> {
  const backend = await getBackend();
  switch (request.command) {
    case 'find-cards': {
      session?.setWatch(undefined);
      const presence = await session?.presence();
      const result = await runFindCards(backend, request.params ?? {}, {
        presence,
        emit: (event) => session?.emit(event, request.id),
        signal: session?.signal ?? new AbortController().signal,
      });
      return { id: request.id, result };
    }
    case 'watch-card': {
      const presence = await session?.presence();
      const reader = request.params.reader;
      session?.setWatch(presence?.watchRemoval(reader, () => session.emit({ type: 'card-removed', reader })));
      return { id: request.id, result: {} };
    }
    case 'status':
      return { id: request.id, result: await runStatus(backend, await session?.presence()) };
    case 'get-certificate':
      return { id: request.id, result: await runGetCertificate(backend, request.params ?? {}, seen) };
    case 'authenticate':
      return { id: request.id, result: await runAuthenticate(backend, request.params, seen) };
    case 'get-signing-certificate':
      return { id: request.id, result: await runGetCertificate(backend, request.params ?? {}, seen, 'sign') };
    case 'sign':
      return { id: request.id, result: await runSign(backend, request.params, seen) };
    case 'change-pin':
      return { id: request.id, result: await runChangePin(backend, request.params) };
  }
}

export interface DispatchOptions {
  seen?: SeenCertificates;
  log?: (line: string) => void;
  session?: SessionContext;
}

/**
 * `getBackend` is called only for a valid request, so bad input never touches the card. `seen` carries
 * the certificates shown by get-certificate over to authenticate; the host passes one per process.
 * `log` receives the command and message of each internal error (the extension shows web pages only
 * that one happened); messages are built without request values, so no PIN reaches it. `session`
 * gives the commands that wait or watch (find-cards, watch-card) the session's events and presence.
 */
export async function dispatch(
  message: unknown,
  getBackend: () => Promise<CardBackend>,
  options: DispatchOptions = {},
): Promise<HostResponse> {
  const parsed = hostRequestSchema.safeParse(message);
  if (!parsed.success) {
    forgetPin(message);
    return invalid(idOf(message), describeIssues(parsed.error));
  }
  try {
    return await execute(parsed.data, getBackend, options.seen ?? createSeenCertificates(), options.session);
  } catch (err) {
    const error = toHpkiError(err);
    // Only client codes cross this boundary (PROTOCOL.md §8); e.g. an unparsable card certificate is internal.
    const wire = isClientErrorCode(error.code) ? error : new HpkiError('ERR_HPKI_INTERNAL', error.message);
    if (wire.code === 'ERR_HPKI_INTERNAL') options.log?.(`${parsed.data.command}: internal error: ${wire.message}`);
    return { id: parsed.data.id, error: wire.toWire() };
  } finally {
    forgetPin(message, parsed.data);
  }
}
