import type { IncomingMessage, ServerResponse } from 'node:http';
import { HpkiError } from '../../protocol/errors.js';
import { type Descriptor, descriptorSchema } from '../../protocol/page-messages.js';
import { ClientShareError, randomBase64Url256, StoreFullError } from '../shared/index.js';
import type { LoginResult } from '../verify/index.js';
import { createClientAddress } from './client-address.js';
import { type HpkiLoginDeps, handleHpkiLogin, issueChallenge, MAX_LOGIN_BODY_BYTES } from './hpki-login.js';
import { errorBody, readBody, sendJson } from './responses.js';
import {
  DEFAULT_CHALLENGE_RATE,
  DEFAULT_LOGIN_RATE,
  type HpkiRouteLimits,
  limiterOf,
  refuseOverLimit,
} from './route-limits.js';
import type { SessionCookie } from './session-cookie.js';

export const DESCRIPTOR_PATH = '/.well-known/hpki-login';

export interface HpkiRoutesOptions<L extends LoginResult = LoginResult> extends HpkiLoginDeps<L> {
  /** The site descriptor of PROTOCOL.md §1.1, served at /.well-known/hpki-login. */
  descriptor: Descriptor;
  cookie: SessionCookie;
  limits?: HpkiRouteLimits;
}

/** Handles the request if it is one of the three HPKI routes and returns true; else returns false. */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

function methodNotAllowed(res: ServerResponse, allow: string): void {
  sendJson(res, 405, errorBody('ERR_HPKI_INVALID_ARGUMENT', `use ${allow}`), { Allow: allow });
}

/**
 * A request another site's page made the browser send (`Sec-Fetch-Site`, Fetch Metadata): a page
 * elsewhere that sends the doctor's browser to the challenge URL while the doctor types the PIN
 * would replace the pending challenge (the Lax session cookie goes along with a navigation), and
 * that login would fail. This site's own pages, the extension's button and the site's script, ask
 * same-origin; a client that sends no such header (not a browser) is let through.
 */
function fromAnotherSite(req: IncomingMessage): boolean {
  const site = req.headers['sec-fetch-site'];
  return site === 'cross-site' || site === 'same-site';
}

/**
 * The HPKI routes on `node:http`: the descriptor, the challenge (bound to the session cookie, made
 * if missing) and the login. The challenge is bound to the cookie's value rather than to a session
 * record, so processes that share a challenge store (Redis) but not sessions agree on it.
 */
export function createHpkiRoutes<L extends LoginResult>(options: HpkiRoutesOptions<L>): RouteHandler {
  const descriptor = descriptorSchema.parse(options.descriptor);
  const { challengeUrl, loginUrl } = descriptor;
  const { cookie } = options;
  const challengeLimiter = limiterOf(options.limits?.challenge, DEFAULT_CHALLENGE_RATE);
  const loginLimiter = limiterOf(options.limits?.login, DEFAULT_LOGIN_RATE);
  const clientOf = options.limits?.clientOf ?? createClientAddress();

  async function challenge(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (fromAnotherSite(req)) {
      sendJson(res, 403, errorBody('ERR_HPKI_INVALID_ARGUMENT', "a challenge is given to this site's own pages only"));
      return;
    }
    const client = clientOf(req);
    if (challengeLimiter !== undefined && refuseOverLimit(res, challengeLimiter.hit(client))) return;
    let sessionId = cookie.read(req.headers);
    const headers: Record<string, string> = {};
    if (sessionId === undefined) {
      sessionId = randomBase64Url256();
      headers['Set-Cookie'] = cookie.serialize(sessionId);
    }
    try {
      sendJson(res, 200, await issueChallenge(sessionId, options, client), headers);
    } catch (err) {
      // This client holds its share of the pending challenges, across every process: as over its rate.
      if (err instanceof ClientShareError) {
        refuseOverLimit(res, { allowed: false, reason: 'rate', retryAfterSeconds: err.retryAfterSeconds });
        return;
      }
      if (err instanceof StoreFullError) {
        // Not a fault: the store refuses new challenges rather than drop pending ones.
        sendJson(res, 503, errorBody(err.code, err.message), { 'Retry-After': String(err.retryAfterSeconds) });
        return;
      }
      options.onInternalError?.(err);
      const message = err instanceof HpkiError ? err.message : 'no challenge could be issued';
      sendJson(res, 503, errorBody('ERR_HPKI_INTERNAL', message));
    }
  }

  async function login(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // The body is left unread: the connection closes after the answer.
    if (loginLimiter !== undefined && refuseOverLimit(res, loginLimiter.hit(clientOf(req)), { Connection: 'close' }))
      return;
    const body = await readBody(req, MAX_LOGIN_BODY_BYTES);
    const outcome = await handleHpkiLogin(
      { sessionId: cookie.read(req.headers), headers: req.headers, body: body ?? null },
      options,
    );
    if (outcome.status === 200) {
      sendJson(res, 200, outcome.json, { 'Set-Cookie': cookie.serialize(outcome.newSessionId) });
    } else if (outcome.status === 503) {
      sendJson(res, 503, outcome.json, { 'Retry-After': String(outcome.retryAfterSeconds) });
    } else {
      sendJson(res, outcome.status, outcome.json, body === undefined ? { Connection: 'close' } : {});
    }
  }

  async function route(path: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (path === DESCRIPTOR_PATH) {
      if (req.method !== 'GET') methodNotAllowed(res, 'GET');
      // Public and credential-free: any extension context may read it.
      else sendJson(res, 200, descriptor, { 'Access-Control-Allow-Origin': '*', 'Cache-Control': 'no-cache' });
    } else if (path === challengeUrl) {
      if (req.method !== 'GET') methodNotAllowed(res, 'GET');
      else await challenge(req, res);
    } else if (req.method !== 'POST') {
      // What is left is loginUrl.
      methodNotAllowed(res, 'POST');
    } else {
      await login(req, res);
    }
  }

  return async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://path.invalid').pathname;
    if (path !== DESCRIPTOR_PATH && path !== challengeUrl && path !== loginUrl) return false;
    try {
      await route(path, req, res);
    } catch (err) {
      // A client that vanished mid-body, or a bug: never an unhandled rejection in the server.
      options.onInternalError?.(err);
      if (!res.headersSent)
        sendJson(res, 500, errorBody('ERR_HPKI_INTERNAL', 'internal error'), { Connection: 'close' });
      else res.destroy();
    }
    return true;
  };
}
