import type * as z from 'zod/mini';
import { isValidChallenge } from '../../protocol/challenge.js';
import type { ErrorCode } from '../../protocol/errors.js';
import { errorFromWire, HpkiError, isHpkiError } from '../../protocol/errors.js';
import type { ReaderStatus } from '../../protocol/messages.js';
import type {
  PageAuthenticateResult,
  PageReader,
  PageRequest,
  PageSigningCertificateResult,
  PageSignParams,
  PageSignResult,
  PageStatusResult,
} from '../../protocol/page-messages.js';
import {
  pageAuthenticateOptionsSchema,
  pageAuthenticateResultSchema,
  pageResponseSchema,
  pageSigningCertificateResultSchema,
  pageSignParamsSchema,
  pageSignResultSchema,
  pageStatusResultSchema,
} from '../../protocol/page-messages.js';
import { DEFAULT_USER_TIMEOUT_MS, PAGE_ACK_TIMEOUT_MS } from '../../protocol/timeouts.js';
import type { Token } from '../../protocol/token.js';

/**
 * The page client library (PROTOCOL.md §1.2, §11): a site's own script calls `status()`,
 * `authenticate(challenge, options)`, and for 電子署名 `getSigningCertificate(options)` then
 * `sign({hash, hashAlgorithm, certificateSha256, label}, options)`; all talk to the HPKI Login extension's content script by
 * `window.postMessage` on the page's own origin and settle with a result or an `HpkiError` carrying
 * the error `code` (and `retriesLeft` where it applies). Without an acknowledgement within 1 s the
 * extension is taken to be absent: `ERR_HPKI_EXTENSION_UNAVAILABLE`.
 */

export type { ErrorCode, ReaderStatus, Token };
export { HpkiError, isHpkiError };

export const ACK_TIMEOUT_MS = PAGE_ACK_TIMEOUT_MS;
/** Beyond the user's own time for the PIN: the card, the host and the browser. */
const RESULT_GRACE_MS = 60_000;
const STATUS_RESULT_MS = 30_000;

/**
 * What `status()` gives: the extension's and the host's versions, one `{ cardPresent }` per reader
 * (no reader names, no card types), and whether a card is in some reader.
 */
export type HpkiLoginStatus = PageStatusResult;
/** One reader in `status().readers`. */
export type HpkiLoginReader = PageReader;

export interface AuthenticateOptions {
  /** How long the user has to enter the PIN, 10 000 – 600 000 ms (default 120 000). */
  timeoutMs?: number;
  /** The language of error messages. */
  lang?: 'ja' | 'en';
}

/** What `authenticate()` gives: the login token (PROTOCOL.md §4), to POST to the site's server as `{"token": …}`. */
export type AuthenticateResult = PageAuthenticateResult;

/**
 * What `getSigningCertificate()` gives once the doctor agreed: the signing certificate (base64 DER),
 * its SHA-256 in hex (to pass to `sign`), the CA certificates, the issuer, notAfter and the holder.
 */
export type SigningCertificate = PageSigningCertificateResult;

/** What `sign()` signs: the site's hash of its document, the certificate it expects, and a label to show. */
export type SignParams = PageSignParams;

/** What `sign()` gives: the RSASSA-PKCS1-v1_5 signature (base64) and its JOSE algorithm name. */
export type SignResult = PageSignResult;

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
  /** The signing certificate, after the doctor's consent in the extension's window; needs a user activation. */
  getSigningCertificate(options?: AuthenticateOptions): Promise<SigningCertificate>;
  /** A signature over `params.hash` with the card's signing key, after the signing PIN; needs a user activation. */
  sign(params: SignParams, options?: AuthenticateOptions): Promise<SignResult>;
}

/** The `error` of an answer to `id` whose error does not follow the schema, if it is one. */
function unknownErrorOf(data: unknown, id: string): { code: unknown; message?: unknown } | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const answer = data as { hpkiLogin?: unknown; id?: unknown; type?: unknown; error?: unknown };
  if (answer.hpkiLogin !== 1 || answer.id !== id || answer.type !== 'error') return undefined;
  if (typeof answer.error !== 'object' || answer.error === null || !('code' in answer.error)) return undefined;
  return answer.error;
}

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

  function call<T>(request: PageRequest, resultSchema: z.ZodMiniType<T>, resultTimeoutMs: number): Promise<T> {
    const win = options.window ?? defaultWindow();
    const origin = win.location.origin;
    return new Promise<T>((resolve, reject) => {
      let timer = setTimeout(
        () => finish(new HpkiError('ERR_HPKI_EXTENSION_UNAVAILABLE', 'the HPKI Login extension did not answer')),
        ackTimeoutMs,
      );

      function finish(outcome: HpkiError | { value: T }): void {
        clearTimeout(timer);
        win.removeEventListener('message', listener);
        if (outcome instanceof HpkiError) reject(outcome);
        else resolve(outcome.value);
      }

      function listener(event: ClientMessageEvent): void {
        if (event.source !== win || event.origin !== origin) return;
        const parsed = pageResponseSchema.safeParse(event.data);
        if (!parsed.success) {
          // An error this library does not know (a newer extension's code) still ends the call, as ERR_HPKI_INTERNAL.
          const unknownError = unknownErrorOf(event.data, request.id);
          if (unknownError !== undefined) finish(errorFromWire(unknownError));
          return;
        }
        if (parsed.data.id !== request.id) return;
        const response = parsed.data;
        if (response.type === 'ack') {
          // The extension repeats its ack while the flow is alive (PAGE_REACK_INTERVAL_MS): each one
          // gives the result its time again, so only an extension that stopped answering is given up on.
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
        finish(
          result.success
            ? { value: result.data }
            : new HpkiError('ERR_HPKI_INTERNAL', 'malformed result from the extension'),
        );
      }

      win.addEventListener('message', listener);
      win.postMessage(request, origin);
    });
  }

  /** The options checked, or an error to reject with. */
  function checkedOptions(given: AuthenticateOptions | undefined): AuthenticateOptions | HpkiError {
    const parsed = pageAuthenticateOptionsSchema.safeParse(given ?? {});
    return parsed.success ? parsed.data : new HpkiError('ERR_HPKI_INVALID_ARGUMENT', 'invalid options');
  }

  function resultTimeout(options: AuthenticateOptions): number {
    return (options.timeoutMs ?? DEFAULT_USER_TIMEOUT_MS) + RESULT_GRACE_MS;
  }

  return {
    getSigningCertificate(given) {
      const checked = checkedOptions(given);
      if (checked instanceof HpkiError) return Promise.reject(checked);
      const request: PageRequest = { hpkiLogin: 1, id: newId(), action: 'getSigningCertificate' };
      if (given !== undefined) request.options = checked;
      return call(request, pageSigningCertificateResultSchema, resultTimeout(checked));
    },

    sign(params, given) {
      const parsed = pageSignParamsSchema.safeParse(params);
      if (!parsed.success)
        return Promise.reject(
          new HpkiError(
            'ERR_HPKI_INVALID_ARGUMENT',
            'sign needs a base64 hash of hashAlgorithm, a certificateSha256 and a label of at most 200 characters',
          ),
        );
      const checked = checkedOptions(given);
      if (checked instanceof HpkiError) return Promise.reject(checked);
      const request: PageRequest = { hpkiLogin: 1, id: newId(), action: 'sign', ...parsed.data };
      if (given !== undefined) request.options = checked;
      return call(request, pageSignResultSchema, resultTimeout(checked));
    },

    status() {
      return call({ hpkiLogin: 1, id: newId(), action: 'status' }, pageStatusResultSchema, STATUS_RESULT_MS);
    },

    authenticate(challenge, authOptions) {
      if (!isValidChallenge(challenge)) {
        return Promise.reject(
          new HpkiError('ERR_HPKI_INVALID_ARGUMENT', 'the challenge must be 43–128 base64url characters'),
        );
      }
      const parsedOptions = pageAuthenticateOptionsSchema.safeParse(authOptions ?? {});
      if (!parsedOptions.success) return Promise.reject(new HpkiError('ERR_HPKI_INVALID_ARGUMENT', 'invalid options'));
      const request: PageRequest = { hpkiLogin: 1, id: newId(), action: 'authenticate', challenge };
      if (authOptions !== undefined) request.options = parsedOptions.data;
      return call(
        request,
        pageAuthenticateResultSchema,
        (parsedOptions.data.timeoutMs ?? DEFAULT_USER_TIMEOUT_MS) + RESULT_GRACE_MS,
      );
    },
  };
}

/** `status()` against the current window. */
export function status(options?: ClientOptions): Promise<HpkiLoginStatus> {
  return createHpkiLoginClient(options).status();
}

/** `authenticate(challenge, options)` against the current window. */
export function authenticate(
  challenge: string,
  options?: AuthenticateOptions & ClientOptions,
): Promise<AuthenticateResult> {
  const { window: win, ackTimeoutMs, ...authOptions } = options ?? {};
  const clientOptions: ClientOptions = {};
  if (win !== undefined) clientOptions.window = win;
  if (ackTimeoutMs !== undefined) clientOptions.ackTimeoutMs = ackTimeoutMs;
  return createHpkiLoginClient(clientOptions).authenticate(challenge, options === undefined ? undefined : authOptions);
}

/** Splits the client's own options from a call's. */
function splitOptions(
  options: (AuthenticateOptions & ClientOptions) | undefined,
): [ClientOptions, AuthenticateOptions | undefined] {
  if (options === undefined) return [{}, undefined];
  const { window: win, ackTimeoutMs, ...callOptions } = options;
  const clientOptions: ClientOptions = {};
  if (win !== undefined) clientOptions.window = win;
  if (ackTimeoutMs !== undefined) clientOptions.ackTimeoutMs = ackTimeoutMs;
  return [clientOptions, callOptions];
}

/** `getSigningCertificate(options)` against the current window. */
export function getSigningCertificate(options?: AuthenticateOptions & ClientOptions): Promise<SigningCertificate> {
  const [clientOptions, callOptions] = splitOptions(options);
  return createHpkiLoginClient(clientOptions).getSigningCertificate(callOptions);
}

/** `sign(params, options)` against the current window. */
export function sign(params: SignParams, options?: AuthenticateOptions & ClientOptions): Promise<SignResult> {
  const [clientOptions, callOptions] = splitOptions(options);
  return createHpkiLoginClient(clientOptions).sign(params, callOptions);
}
