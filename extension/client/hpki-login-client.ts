import { z } from 'zod';
import { isValidChallenge } from '../../protocol/challenge.js';
import type { ErrorCode } from '../../protocol/errors.js';
import { HpkiError, errorFromWire } from '../../protocol/errors.js';
import type { ReaderStatus } from '../../protocol/messages.js';
import type { PageRequest } from '../../protocol/page-messages.js';
import { pageAuthenticateOptionsSchema, pageResponseSchema } from '../../protocol/page-messages.js';
import type { Token } from '../../protocol/token.js';

/**
 * The page client library (PROTOCOL.md §1.2): a site's own script calls `status()` and
 * `authenticate(challenge, options)`; both talk to the HPKI Login extension's content script by
 * `window.postMessage` on the page's own origin and settle with a result or an `HpkiError` carrying
 * the error `code` (and `retriesLeft` where it applies). Without an acknowledgement within 1 s the
 * extension is taken to be absent: `ERR_HPKI_EXTENSION_UNAVAILABLE`.
 */

export { HpkiError };
export type { ErrorCode, ReaderStatus, Token };

export const ACK_TIMEOUT_MS = 1_000;
/** Beyond the user's own time for the PIN: the card, the host and the browser. */
const RESULT_GRACE_MS = 60_000;
const STATUS_RESULT_MS = 30_000;
const DEFAULT_USER_TIMEOUT_MS = 120_000;

export interface HpkiLoginStatus {
  /** The extension's version. */
  extension: string;
  /** The native host's version, or null when it is not installed or did not start. */
  host: string | null;
  readers: ReaderStatus[];
}

export interface AuthenticateOptions {
  /** How long the user has to enter the PIN, 10 000 – 600 000 ms (default 120 000). */
  timeoutMs?: number;
  /** The language of error messages. */
  lang?: 'ja' | 'en';
}

export interface AuthenticateResult {
  /** The login token (PROTOCOL.md §4), to POST to the site's server as `{"token": …}`. */
  token: Token;
}

export interface ClientMessageEvent {
  readonly source: unknown;
  readonly origin: string;
  readonly data: unknown;
}

/** The part of `window` the client uses; tests pass their own. */
export interface ClientWindow {
  postMessage(message: unknown, targetOrigin: string): void;
  addEventListener(type: 'message', listener: (event: ClientMessageEvent) => void): void;
  removeEventListener(type: 'message', listener: (event: ClientMessageEvent) => void): void;
  readonly location: { readonly origin: string };
}

export interface ClientOptions {
  window?: ClientWindow;
  ackTimeoutMs?: number;
}

export interface HpkiLoginClient {
  status(): Promise<HpkiLoginStatus>;
  authenticate(challenge: string, options?: AuthenticateOptions): Promise<AuthenticateResult>;
}

const statusSchema = z.object({
  extension: z.string().max(64),
  host: z.string().max(64).nullable(),
  readers: z
    .array(z.object({ name: z.string().max(256), cardPresent: z.boolean(), cardType: z.enum(['hpki', 'jpki', 'unknown']).nullable() }))
    .max(32),
});

const base64 = z.string().max(16 * 1024);
const authenticateSchema = z.object({
  token: z
    .object({
      format: z.literal('hpki-login:1'),
      algorithm: z.literal('RS256'),
      certificate: base64,
      intermediates: z.array(base64).max(4),
      signature: base64,
    })
    .strict(),
});

function newId(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function defaultWindow(): ClientWindow {
  const win: unknown = globalThis.window;
  if (win === undefined) throw new HpkiError('ERR_HPKI_EXTENSION_UNAVAILABLE', 'not running in a browser window');
  return win as ClientWindow;
}

export function createHpkiLoginClient(options: ClientOptions = {}): HpkiLoginClient {
  const ackTimeoutMs = options.ackTimeoutMs ?? ACK_TIMEOUT_MS;

  function call<T>(request: PageRequest, resultSchema: z.ZodType<T>, resultTimeoutMs: number): Promise<T> {
    const win = options.window ?? defaultWindow();
    const origin = win.location.origin;
    return new Promise<T>((resolve, reject) => {
      let acked = false;
      let timer = setTimeout(() => finish(new HpkiError('ERR_HPKI_EXTENSION_UNAVAILABLE', 'the HPKI Login extension did not answer')), ackTimeoutMs);

      function finish(outcome: HpkiError | { value: T }): void {
        clearTimeout(timer);
        win.removeEventListener('message', listener);
        if (outcome instanceof HpkiError) reject(outcome);
        else resolve(outcome.value);
      }

      function listener(event: ClientMessageEvent): void {
        if (event.source !== win || event.origin !== origin) return;
        const parsed = pageResponseSchema.safeParse(event.data);
        if (!parsed.success || parsed.data.id !== request.id) return;
        const response = parsed.data;
        if (response.type === 'ack') {
          if (acked) return;
          acked = true;
          clearTimeout(timer);
          timer = setTimeout(
            () => finish(new HpkiError('ERR_HPKI_EXTENSION_UNAVAILABLE', 'the HPKI Login extension stopped answering')),
            resultTimeoutMs,
          );
          return;
        }
        if (response.type === 'error') {
          finish(errorFromWire(response.error));
          return;
        }
        const result = resultSchema.safeParse(response.result);
        finish(result.success ? { value: result.data } : new HpkiError('ERR_HPKI_INTERNAL', 'malformed result from the extension'));
      }

      win.addEventListener('message', listener);
      win.postMessage(request, origin);
    });
  }

  return {
    status() {
      return call({ hpkiLogin: 1, id: newId(), action: 'status' }, statusSchema, STATUS_RESULT_MS);
    },

    authenticate(challenge, authOptions) {
      if (!isValidChallenge(challenge)) {
        return Promise.reject(new HpkiError('ERR_HPKI_INVALID_ARGUMENT', 'the challenge must be 43–128 base64url characters'));
      }
      const parsedOptions = pageAuthenticateOptionsSchema.safeParse(authOptions ?? {});
      if (!parsedOptions.success) return Promise.reject(new HpkiError('ERR_HPKI_INVALID_ARGUMENT', 'invalid options'));
      const request: PageRequest = { hpkiLogin: 1, id: newId(), action: 'authenticate', challenge };
      if (authOptions !== undefined) request.options = parsedOptions.data;
      return call(request, authenticateSchema, (parsedOptions.data.timeoutMs ?? DEFAULT_USER_TIMEOUT_MS) + RESULT_GRACE_MS);
    },
  };
}

/** `status()` against the current window. */
export function status(options?: ClientOptions): Promise<HpkiLoginStatus> {
  return createHpkiLoginClient(options).status();
}

/** `authenticate(challenge, options)` against the current window. */
export function authenticate(challenge: string, options?: AuthenticateOptions & ClientOptions): Promise<AuthenticateResult> {
  const { window: win, ackTimeoutMs, ...authOptions } = options ?? {};
  const clientOptions: ClientOptions = {};
  if (win !== undefined) clientOptions.window = win;
  if (ackTimeoutMs !== undefined) clientOptions.ackTimeoutMs = ackTimeoutMs;
  return createHpkiLoginClient(clientOptions).authenticate(challenge, options === undefined ? undefined : authOptions);
}
