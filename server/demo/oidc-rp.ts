import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { isLoopbackOrigin } from '../../protocol/origin.js';
import { BACKCHANNEL_LOGOUT_EVENT } from '../../protocol/sso.js';
import { type ClientOf, createSessionCookie, type RateLimiter, readBody, send } from '../http/index.js';
import { createExpiringMap, randomBase64Url256, retryAfterSecondsOf } from '../shared/index.js';

/**
 * A demo service's "医療認証基盤でログイン": an ordinary OpenID Connect relying party on
 * openid-client (code + PKCE + state + nonce), with a back-channel logout endpoint whose logout
 * tokens are checked against the provider's JWKS. What any regional network would write, in any
 * language, with its own certified library.
 */

/** What a service keeps of an SSO login. */
export interface SsoUser {
  claims: Record<string, unknown>;
  idToken: string;
  sub: string;
  /** The provider session's id, which a back-channel logout names. */
  sid: string | undefined;
}

export interface OidcRpOptions {
  /** The service's own origin. */
  origin: string;
  /** The provider's issuer; known once the provider listens. */
  issuer: () => string | undefined;
  clientId: string;
  clientSecret: string;
  /** Scopes asked for. */
  scope: string;
  /** Names the cookie that holds a pending login (cookies ignore the port: services on one host need their own). */
  cookiePrefix: string;
  /** Starts the service's session for the user; returns the Set-Cookie value. */
  startSession(user: SsoUser, req: IncomingMessage): string;
  /** Ends every session of this provider session (`sid`), or of the holder (`sub`) when there is no sid. */
  endSessions(match: { sid?: string; sub?: string }): void;
  /** `GET /sso/login` writes a pending login: held to this rate per client (429 beyond it). */
  limit?: { limiter: RateLimiter; clientOf: ClientOf };
  onInternalError?: (err: unknown) => void;
}

export interface OidcRp {
  /** `GET /sso/login`, `GET /sso/callback`, `POST /sso/backchannel-logout`; false for any other path. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  /** Where the browser goes to end the provider session too (RP-initiated logout). */
  endSessionUrl(user: SsoUser): Promise<string>;
}

interface Pending {
  state: string;
  verifier: string;
  nonce: string;
}

const MAX_LOGOUT_TOKEN_BYTES = 8 * 1024;

function redirect(res: ServerResponse, location: string, headers: Record<string, string> = {}): void {
  send(res, 303, 'text/plain; charset=utf-8', `See ${location}\n`, { ...headers, Location: location });
}

export function createOidcRp(options: OidcRpOptions): OidcRp {
  const { origin, clientId } = options;
  const callbackUrl = `${origin}/sso/callback`;
  const pendingCookie = createSessionCookie(origin, { name: `${options.cookiePrefix}-sso-pending` });
  const pending = createExpiringMap<Pending>({ maxEntries: 10_000, now: Date.now });
  const seenLogoutTokens = createExpiringMap<true>({ maxEntries: 10_000, now: Date.now });
  let config: Promise<oidc.Configuration> | undefined;
  let jwks: ReturnType<typeof createRemoteJWKSet> | undefined;

  function configuration(): Promise<oidc.Configuration> {
    const issuer = options.issuer();
    if (issuer === undefined) return Promise.reject(new Error('the provider is not running'));
    config ??= oidc
      .discovery(
        new URL(issuer),
        clientId,
        { redirect_uris: [callbackUrl] },
        oidc.ClientSecretBasic(options.clientSecret),
        isLoopbackOrigin(issuer) ? { execute: [oidc.allowInsecureRequests] } : undefined,
      )
      .catch((err: unknown) => {
        config = undefined;
        throw err;
      });
    return config;
  }

  async function login(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const decision = options.limit?.limiter.hit(options.limit.clientOf(req));
    if (decision !== undefined && !decision.allowed) {
      send(
        res,
        decision.reason === 'rate' ? 429 : 503,
        'text/plain; charset=utf-8',
        'too many requests; try again shortly\n',
        {
          'Retry-After': String(decision.retryAfterSeconds),
        },
      );
      return;
    }
    const cfg = await configuration();
    const id = randomBase64Url256();
    const entry: Pending = {
      state: oidc.randomState(),
      verifier: oidc.randomPKCECodeVerifier(),
      nonce: oidc.randomNonce(),
    };
    if (!pending.set(id, entry, Date.now() + 10 * 60_000)) {
      send(res, 503, 'text/plain; charset=utf-8', 'too many pending logins; try again shortly\n', {
        'Retry-After': String(retryAfterSecondsOf(pending.msUntilRoom())),
      });
      return;
    }
    const url = oidc.buildAuthorizationUrl(cfg, {
      redirect_uri: callbackUrl,
      scope: options.scope,
      code_challenge: await oidc.calculatePKCECodeChallenge(entry.verifier),
      code_challenge_method: 'S256',
      state: entry.state,
      nonce: entry.nonce,
    });
    redirect(res, url.href, { 'Set-Cookie': pendingCookie.serialize(id) });
  }

  async function callback(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const id = pendingCookie.read(req.headers);
    const entry = id === undefined ? undefined : pending.take(id);
    const cleared = pendingCookie.serializeCleared();
    const current = new URL(req.url ?? '/', origin);
    const error = current.searchParams.get('error');
    if (entry === undefined || error !== null) {
      // Refused at the provider (access_denied, login_required) or no login pending: back to the start page.
      redirect(res, `/?sso_error=${encodeURIComponent(error ?? 'no_login_pending')}`, { 'Set-Cookie': cleared });
      return;
    }
    const cfg = await configuration();
    const tokens = await oidc.authorizationCodeGrant(cfg, current, {
      pkceCodeVerifier: entry.verifier,
      expectedState: entry.state,
      expectedNonce: entry.nonce,
    });
    const idClaims = tokens.claims();
    if (idClaims === undefined || tokens.id_token === undefined) throw new Error('the provider answered no ID token');
    const info = await oidc.fetchUserInfo(cfg, tokens.access_token, idClaims.sub);
    const user: SsoUser = {
      claims: { ...idClaims, ...info },
      idToken: tokens.id_token,
      sub: idClaims.sub,
      sid: typeof idClaims.sid === 'string' ? idClaims.sid : undefined,
    };
    res.setHeader('Set-Cookie', [cleared, options.startSession(user, req)]);
    redirect(res, '/portal');
  }

  async function backchannelLogout(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req, MAX_LOGOUT_TOKEN_BYTES);
    const token =
      body === undefined ? null : new URLSearchParams(Buffer.from(body).toString('utf8')).get('logout_token');
    const refuse = (): void =>
      send(res, 400, 'application/json', JSON.stringify({ error: 'invalid_request' }), { 'Cache-Control': 'no-store' });
    if (token === null) return refuse();
    const cfg = await configuration();
    const meta = cfg.serverMetadata();
    if (meta.jwks_uri === undefined) throw new Error('the provider publishes no jwks_uri');
    jwks ??= createRemoteJWKSet(new URL(meta.jwks_uri));
    let payload;
    try {
      ({ payload } = await jwtVerify(token, jwks, {
        issuer: meta.issuer,
        audience: clientId,
        typ: 'logout+jwt',
        maxTokenAge: '5 min',
      }));
    } catch {
      return refuse();
    }
    const events = payload.events;
    const sid = typeof payload.sid === 'string' ? payload.sid : undefined;
    const sub = typeof payload.sub === 'string' ? payload.sub : undefined;
    const jti = typeof payload.jti === 'string' ? payload.jti : undefined;
    const hasEvent = typeof events === 'object' && events !== null && BACKCHANNEL_LOGOUT_EVENT in events;
    if (!hasEvent || payload.nonce !== undefined || (sid === undefined && sub === undefined) || jti === undefined)
      return refuse();
    if (seenLogoutTokens.get(jti) !== undefined) return refuse();
    // A token whose use cannot be recorded is not acted on: the provider reports the failure.
    if (!seenLogoutTokens.set(jti, true, Date.now() + 10 * 60_000)) {
      send(res, 503, 'application/json', JSON.stringify({ error: 'temporarily_unavailable' }), {
        'Cache-Control': 'no-store',
        'Retry-After': '60',
      });
      return;
    }
    options.endSessions(sid === undefined ? { sub: sub! } : { sid });
    send(res, 200, 'text/plain; charset=utf-8', '', { 'Cache-Control': 'no-store' });
  }

  return {
    async handle(req, res) {
      const path = new URL(req.url ?? '/', 'http://path.invalid').pathname;
      const key = `${req.method ?? 'GET'} ${path}`;
      try {
        if (key === 'GET /sso/login') await login(req, res);
        else if (key === 'GET /sso/callback') await callback(req, res);
        else if (key === 'POST /sso/backchannel-logout') await backchannelLogout(req, res);
        else return false;
      } catch (err) {
        options.onInternalError?.(err);
        if (!res.headersSent) redirect(res, '/?sso_error=server_error');
      }
      return true;
    },
    async endSessionUrl(user) {
      const cfg = await configuration();
      return oidc.buildEndSessionUrl(cfg, { id_token_hint: user.idToken, post_logout_redirect_uri: `${origin}/` }).href;
    },
  };
}
