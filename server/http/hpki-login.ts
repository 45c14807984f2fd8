import type { IncomingHttpHeaders } from 'node:http';
import { type ErrorCode, HpkiError, isValidationErrorCode } from '../../protocol/errors.js';
import { assertSecureOrigin, sameOriginPathSchema } from '../../protocol/origin.js';
import { type LoginRequest, loginRequestSchema } from '../../protocol/page-messages.js';
import { type ChallengeStore, type ChallengeTake, isValidSessionId } from '../challenge-store/index.js';
import { isStoreUnreachable, STORE_UNAVAILABLE_RETRY_SECONDS, StoreFullError } from '../shared/index.js';
import type { LoginResult, VerifyContext } from '../verify/index.js';
import { isJsonContentType, parseJsonBody } from './json-body.js';
import { type ErrorBody, errorBody } from './responses.js';

/**
 * The two HPKI login endpoints of PROTOCOL.md §1.1 as plain functions, free of any HTTP framework, so
 * that sites on other stacks can call them from their own routes: they take the session id, headers
 * and raw body, and return the status and JSON to answer with.
 */

/** Largest `POST loginUrl` body: a token is at most 16 KiB, and JSON escaping may grow it. */
export const MAX_LOGIN_BODY_BYTES = 32 * 1024;

export interface ChallengeResponseBody {
  challenge: string;
  /** ISO 8601. */
  expiresAt: string;
}

/**
 * `GET challengeUrl`: a fresh challenge bound to the caller's session, replacing any pending one.
 * `client` is who asks (client-address.ts, as the rate limits key it): it holds only its share of
 * the pending challenges (ClientShareError beyond it; answer 429 with `Retry-After`).
 */
export async function issueChallenge(
  sessionId: string,
  deps: { challenges: ChallengeStore },
  client?: string,
): Promise<ChallengeResponseBody> {
  const { challenge, expiresAt } = await deps.challenges.issue(sessionId, client);
  return { challenge, expiresAt: expiresAt.toISOString() };
}

/** What `startSession` may answer: the new session id, or the id and where this login goes next. */
export type StartedSession = string | { sessionId: string; redirect: string };

/** The verifier's part that the login route needs: `createTokenVerifier()`, or a wrapper returning more. */
export interface LoginVerifier<L extends LoginResult = LoginResult> {
  verify(token: unknown, context: VerifyContext): Promise<L>;
}

export interface HpkiLoginDeps<L extends LoginResult = LoginResult> {
  /**
   * The site's own origin, as browsers serialize it (`https://host[:port]`). Tokens are checked
   * against this, never against anything in the request, so a token signed for another site fails.
   */
  origin: string;
  /** The project's verifier (createTokenVerifier) or anything of its shape. */
  verifier: LoginVerifier<L>;
  challenges: ChallengeStore;
  /**
   * Ends the session the challenge belonged to (if any) and starts a new one for the login, returning
   * the new id: a session id known before login never becomes an authenticated one (no fixation).
   * It may also name where this login goes (a same-origin path), overriding `redirect`; an HpkiError
   * it throws is answered like a refused token.
   */
  startSession: (login: L, previousSessionId: string | undefined) => StartedSession | Promise<StartedSession>;
  /** Where the page goes after login: a same-origin path. Default `/`. */
  redirect?: string;
  /** Told about unexpected failures (a bug, an unreachable store); the client only sees ERR_HPKI_INTERNAL. */
  onInternalError?: (err: unknown) => void;
}

export interface HpkiLoginRequest {
  /** The caller's session id, from its cookie; undefined when it has none. */
  sessionId: string | undefined;
  /** Request headers with lowercase names, as Node gives them. */
  headers: IncomingHttpHeaders;
  /**
   * The raw body; more than MAX_LOGIN_BODY_BYTES is refused with 413. `null` says the caller stopped
   * reading a body past that limit.
   */
  body: Uint8Array | string | null;
}

export type HpkiLoginResponse<L extends LoginResult = LoginResult> =
  | { status: 200; json: { redirect: string }; newSessionId: string; login: L }
  | { status: 400 | 401 | 403 | 413 | 415 | 500; json: ErrorBody }
  /** A store is full (StoreFullError) or cannot be reached (StoreUnavailableError): answer with `Retry-After`. */
  | { status: 503; json: ErrorBody; retryAfterSeconds: number };

/** The redirect after a login: a path on the site's own origin, bounded as protocol/ bounds every such path. */
function isSameOriginPath(path: string): boolean {
  return sameOriginPathSchema.safeParse(path).success;
}

/** HTTP status for each refusal: 400 malformed, 401 failed validation, 403 role, 500 our fault. */
export function statusForError(code: ErrorCode): 400 | 401 | 403 | 500 {
  if (code === 'ERR_TOKEN_MALFORMED' || code === 'ERR_CERT_MALFORMED' || code === 'ERR_HPKI_INVALID_ARGUMENT')
    return 400;
  if (code === 'ERR_ROLE_NOT_ALLOWED') return 403;
  return isValidationErrorCode(code) ? 401 : 500;
}

function refuse(
  status: 400 | 413 | 415,
  code: ErrorCode,
  message: string,
): { status: 400 | 413 | 415; json: ErrorBody } {
  return { status, json: errorBody(code, message) };
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/** The login POST's body: UTF-8 JSON that is exactly `loginRequestSchema` (PROTOCOL.md §4). */
function parseLoginBody(body: Uint8Array | string): LoginRequest | undefined {
  const json = parseJsonBody(body);
  const parsed = json === undefined ? undefined : loginRequestSchema.safeParse(json.value);
  return parsed?.success ? parsed.data : undefined;
}

function byteLength(body: Uint8Array | string): number {
  return typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.length;
}

/**
 * `POST loginUrl`: checks the request's form (JSON, `X-HPKI-Login: 1`, size), has the verifier
 * validate the token against the site's origin and the challenge of the caller's session, and on
 * success starts a fresh session.
 */
export async function handleHpkiLogin<L extends LoginResult>(
  request: HpkiLoginRequest,
  deps: HpkiLoginDeps<L>,
): Promise<HpkiLoginResponse<L>> {
  const origin = assertSecureOrigin(deps.origin);
  const redirect = deps.redirect ?? '/';
  if (!isSameOriginPath(redirect)) throw new RangeError('redirect must be a same-origin path');

  if (!isJsonContentType(header(request.headers, 'content-type'))) {
    return refuse(415, 'ERR_HPKI_INVALID_ARGUMENT', 'Content-Type must be application/json');
  }
  // A custom header makes the request non-simple: another origin cannot send it without a CORS
  // preflight, which this site never grants.
  if (header(request.headers, 'x-hpki-login') !== '1') {
    return refuse(400, 'ERR_HPKI_INVALID_ARGUMENT', 'X-HPKI-Login: 1 header required');
  }
  const { body, sessionId } = request;
  if (body === null || byteLength(body) > MAX_LOGIN_BODY_BYTES) {
    return refuse(413, 'ERR_TOKEN_MALFORMED', `body larger than ${MAX_LOGIN_BODY_BYTES} bytes`);
  }
  const parsed = parseLoginBody(body);
  if (parsed === undefined) return refuse(400, 'ERR_TOKEN_MALFORMED', 'body must be JSON {"token": …}');

  const takeChallenge = (): Promise<ChallengeTake> =>
    sessionId !== undefined && isValidSessionId(sessionId)
      ? deps.challenges.take(sessionId)
      : Promise.resolve({ status: 'unknown' });

  try {
    const login = await deps.verifier.verify(parsed.token, { origin, takeChallenge });
    const started = await deps.startSession(login, sessionId);
    if (typeof started === 'string') return { status: 200, json: { redirect }, newSessionId: started, login };
    if (!isSameOriginPath(started.redirect)) throw new RangeError('startSession: redirect must be a same-origin path');
    return { status: 200, json: { redirect: started.redirect }, newSessionId: started.sessionId, login };
  } catch (err) {
    if (err instanceof StoreFullError) {
      return { status: 503, json: errorBody(err.code, err.message), retryAfterSeconds: err.retryAfterSeconds };
    }
    if (isStoreUnreachable(err)) {
      // Redis down or too slow: not the request's fault, and a retry may succeed (§10: 503).
      deps.onInternalError?.(err);
      return {
        status: 503,
        json: errorBody('ERR_HPKI_INTERNAL', 'the login service cannot reach its store; try again shortly'),
        retryAfterSeconds: STORE_UNAVAILABLE_RETRY_SECONDS,
      };
    }
    if (err instanceof HpkiError) {
      const status = statusForError(err.code);
      if (status !== 500) return { status, json: errorBody(err.code, err.message) };
    }
    deps.onInternalError?.(err);
    return { status: 500, json: errorBody('ERR_HPKI_INTERNAL', 'the login could not be checked') };
  }
}
