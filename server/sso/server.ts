import { unwatchFile, watchFile } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import Provider from 'oidc-provider';
import { assertSecureOrigin } from '../../protocol/origin.js';
import type { SsoClient } from '../../protocol/sso.js';
import {
  catchingInternalErrors,
  closeServer,
  createHpkiRoutes,
  createSessionCookie,
  type LimitSettings,
  listen,
  routeLimitsOf,
  SECURITY_HEADERS,
  send,
} from '../http/index.js';
import type { DetailedTokenVerifier } from '../verify/index.js';
import { refuseWithBusyPage } from './busy-page.js';
import { issOmittedRedirects, omitIssInErrors } from './error-iss.js';
import { createInteractionRoutes, ssoStartSession } from './interactions.js';
import { generateKeySet, hasEcKey, type PrivateJwks, readKeysFile } from './keys.js';
import { createSsoVerifier } from './login-proof.js';
import { logoutWithoutSession } from './logout.js';
import { answerOperations, createSsoMetrics, refusalReason, type SsoMetrics, watchStore } from './operations.js';
import { LOGIN_SLOT_ID, SSO_CSS, SSO_STYLESHEET_PATH } from './pages.js';
import { PROVIDER_CSP, providerConfiguration } from './provider-config.js';
import { createSsoRecords } from './records.js';
import { currentRequestId, requestIdOf, withRequestContext } from './request-context.js';
import { rawPathOf, routeKeyOf, routeLabelOf, UNPROVEN_RECORD_ROUTES } from './route-key.js';
import type { SsoStore } from './store.js';
import { refuseWhileStoreDown, STORE_FREE_PATHS } from './store-down.js';

/** The OpenID Provider over HPKI on `node:http` (PROTOCOL.md §10): one process of an issuer. */

export interface SsoServerOptions {
  /**
   * The public issuer: an origin (`https://sso.example.jp`, or a loopback origin for development),
   * or made from the port this process got (`port: 0`, for the demo and tests).
   */
  issuer: string | ((port: number) => string);
  /** Where to listen; default the issuer's port. 0 picks a free one (then the issuer must say where). */
  port?: number;
  /** Interface to listen on. Default 127.0.0.1 for loopback issuers, else all interfaces. */
  host?: string;
  /** Shown on the pages and in the PIN window (the descriptor's `name`). */
  providerName: string;
  clients: readonly SsoClient[];
  /** The project's verifier; it must admit every role (`allowedRoles: 'any'`): roles are per client. */
  verifier: DetailedTokenVerifier;
  store: SsoStore;
  /** The keys, and the file they came from (reread when it changes, after `rotate-keys`). */
  keys: { jwks: PrivateJwks; path?: string };
  allowPrivateNetwork: boolean;
  /**
   * Per-client rate limits of the HPKI routes and the login pages (the store's own bounds are set
   * where the store is made).
   */
  limits?: LimitSettings;
  onInternalError?: (err: unknown) => void;
  /** One line about something an operator should know (a key reload, a failed back-channel message). */
  onNotice?: (line: string) => void;
  /**
   * Structured log lines (pino's methods fit): one `request` line per answered request, with its
   * id, method, route label, status and time, and the notices and internal errors above, each
   * with the id of the request it happened in. Never a query string, header, cookie, token or code.
   */
  logger?: SsoLogger;
}

export interface SsoLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

export interface RunningSsoServer {
  issuer: string;
  port: number;
  /** The kid that signs now. */
  signingKid(): string;
  metrics: SsoMetrics;
  close(): Promise<void>;
}

export const SSO_COOKIE_NAME = 'hpki-sso';

/** An issuer is an origin here: the HPKI descriptor of §1.1 belongs to the whole origin. */
export function checkIssuer(issuer: string): string {
  const url = new URL(issuer);
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '')
    throw new RangeError('the issuer must be an origin, without a path');
  return assertSecureOrigin(url.origin);
}

const isLoopbackHost = (url: URL): boolean => ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);

export async function startSsoServer(options: SsoServerOptions): Promise<RunningSsoServer> {
  // Requests wait for the handler, which needs the issuer, which may need the port: listen first.
  let dispatch: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const server = createServer({ requestTimeout: 15_000, headersTimeout: 10_000 }, (req, res) => {
    if (dispatch !== undefined) dispatch(req, res);
    else res.writeHead(503, { Connection: 'close' }).end();
  });
  const fixed = typeof options.issuer === 'string' ? new URL(checkIssuer(options.issuer)) : undefined;
  const listenPort =
    options.port ??
    (fixed === undefined ? 0 : fixed.port === '' ? (fixed.protocol === 'https:' ? 443 : 80) : Number(fixed.port));
  await options.store.probe();
  const port = await listen(
    server,
    listenPort,
    options.host ?? (fixed === undefined || isLoopbackHost(fixed) ? '127.0.0.1' : '0.0.0.0'),
  );
  let issuer: string;
  try {
    issuer = typeof options.issuer === 'string' ? checkIssuer(options.issuer) : checkIssuer(options.issuer(port));
  } catch (err) {
    server.close();
    throw err;
  }
  const es256 = options.clients.filter(
    (c) => (c as { id_token_signed_response_alg?: unknown }).id_token_signed_response_alg === 'ES256',
  );
  if (es256.length > 0 && !hasEcKey(options.keys.jwks)) {
    server.close();
    throw new Error(
      `client ${es256[0]!.client_id} asks for ES256 ID tokens and the keys have no EC key: run sso rotate-keys`,
    );
  }
  const issuerUrl = new URL(issuer);
  const { clients, store, providerName, logger } = options;
  const onInternalError = (err: unknown): void => {
    logger?.error(
      { requestId: currentRequestId(), err: err instanceof Error ? err.message : String(err) },
      'internal error',
    );
    options.onInternalError?.(err);
  };
  const onNotice = (line: string): void => {
    logger?.warn({ requestId: currentRequestId() }, line);
    options.onNotice?.(line);
  };
  const records = createSsoRecords(store);
  const metrics = createSsoMetrics();
  const watch = watchStore(store, (up) => onNotice(up ? 'the store answers again' : 'the store does not answer'));
  let jwks = options.keys.jwks;

  const build = (keys: PrivateJwks): Provider => {
    const provider = new Provider(
      issuer,
      providerConfiguration({
        providerName,
        clients,
        jwks: keys,
        store,
        records,
        allowPrivateNetwork: options.allowPrivateNetwork,
        secure: issuer.startsWith('https:'),
      }),
    );
    // An https issuer's processes sit behind a TLS proxy; the handler sets X-Forwarded-Proto itself.
    provider.proxy = issuer.startsWith('https:');
    // oidc-provider puts `sid` in ID tokens only for clients registered for back-channel logout with
    // backchannel_logout_session_required; §10 wants it in every ID token, as the logout token names it.
    Object.defineProperty(provider.Client.prototype, 'includeSid', { value: () => true });
    provider.on('server_error', (_ctx, err) => onInternalError(err));
    provider.on('backchannel.error', (_ctx, err, client) =>
      onNotice(`back-channel logout to ${client.clientId} failed: ${err.message}`),
    );
    provider.on('authorization_code.saved', () => metrics.codesIssued.inc());
    // access_denied comes from the interaction, which counts it with its own reason.
    provider.on('authorization.error', (_ctx, err) => {
      const reason = refusalReason((err as { error?: unknown }).error);
      if (reason !== 'access_denied') metrics.signInsRefused.inc({ reason });
    });
    return provider;
  };
  let provider = build(jwks);
  let callback = provider.callback();

  const cookie = createSessionCookie(issuer, { name: SSO_COOKIE_NAME });
  const limits = routeLimitsOf(options.limits);
  const hpkiRoutes = createHpkiRoutes({
    origin: issuer,
    verifier: createSsoVerifier(options.verifier),
    challenges: store.challenges,
    cookie,
    startSession: ssoStartSession(records),
    descriptor: {
      hpkiLogin: 1,
      name: providerName,
      challengeUrl: '/hpki/challenge',
      loginUrl: '/hpki/login',
      button: { selector: `#${LOGIN_SLOT_ID}`, position: 'beforeend' },
    },
    limits,
    onInternalError,
  });
  const interactionRoutes = createInteractionRoutes({
    provider: () => provider,
    records,
    clients,
    cookie,
    providerName,
    limits,
    metrics,
    onInternalError,
  });
  const operations = { metrics, watch, keysLoaded: () => jwks.keys.length > 0 };
  const issOmitted = issOmittedRedirects(clients);

  /** Every request: its id and client for the store and the logs, and one log line and count when answered. */
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const key = routeKeyOf(rawPathOf(req));
    const route = routeLabelOf(key);
    const requestId = requestIdOf(req.headers['x-request-id']);
    res.setHeader('X-Request-Id', requestId);
    res.once('finish', () => {
      metrics.responses.inc({ route, status: String(res.statusCode) });
      logger?.info(
        { requestId, method: req.method, route, status: res.statusCode, ms: Math.round(performance.now() - started) },
        'request',
      );
    });
    await withRequestContext({ requestId, client: limits.clientOf(req) }, () => serve(req, res, key));
  }

  /**
   * oidc-provider builds its URLs from the request; every process answers as the issuer (§10),
   * whatever Host the request came with, so the URLs in discovery and redirects are the issuer's.
   */
  function answerAsIssuer(req: IncomingMessage, res: ServerResponse, path: string): void {
    req.headers.host = issuerUrl.host;
    delete req.headers['x-forwarded-host'];
    if (issuerUrl.protocol === 'https:') req.headers['x-forwarded-proto'] = 'https';
    else delete req.headers['x-forwarded-proto'];
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) if (value !== undefined) res.setHeader(name, value);
    res.setHeader('Content-Security-Policy', PROVIDER_CSP);
    // Discovery and JWKS are fetched by clients' servers and browsers' scripts alike.
    if (path !== '/.well-known/openid-configuration' && path !== '/jwks')
      res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    else res.removeHeader('Cross-Origin-Resource-Policy');
  }

  async function serve(req: IncomingMessage, res: ServerResponse, key: string): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://path.invalid').pathname;
    if (path === SSO_STYLESHEET_PATH && req.method === 'GET') {
      send(res, 200, 'text/css; charset=utf-8', SSO_CSS, { 'Cache-Control': 'public, max-age=3600' });
      return;
    }
    if (await answerOperations(operations, req, res, path)) return;
    if (!watch.up() && !STORE_FREE_PATHS.has(key)) {
      refuseWhileStoreDown(req, res, providerName);
      return;
    }
    if (await hpkiRoutes(req, res)) return;
    if (await interactionRoutes(req, res)) return;
    // A request that can make oidc-provider store a record nobody has proven with a card counts
    // against the client's challenge rate, however its path is spelled (route-key.ts).
    if (
      UNPROVEN_RECORD_ROUTES.has(key) &&
      limits.challenge !== false &&
      refuseWithBusyPage(req, res, providerName, limits.challenge.hit(limits.clientOf(req)))
    )
      return;
    answerAsIssuer(req, res, path);
    if (key === '/SESSION/END' && (await logoutWithoutSession(provider, providerName, req, res))) return;
    if (key === '/AUTH' || key.startsWith('/AUTH/')) omitIssInErrors(res, issOmitted);
    await callback(req, res);
  }

  dispatch = catchingInternalErrors(handle, onInternalError);

  const keysPath = options.keys.path;
  const reload = (): void => {
    if (keysPath === undefined) return;
    readKeysFile(keysPath).then(
      (next) => {
        if (next.keys.map((k) => k.kid).join() === jwks.keys.map((k) => k.kid).join()) return;
        jwks = next;
        provider = build(next);
        callback = provider.callback();
        onNotice(`keys reloaded from ${keysPath}: ${next.keys[0]!.kid} signs`);
      },
      (err: unknown) => onNotice(`keys not reloaded: ${err instanceof Error ? err.message : String(err)}`),
    );
  };
  if (keysPath !== undefined) watchFile(keysPath, { interval: 1_000 }, reload);

  return {
    issuer,
    port,
    signingKid: () => jwks.keys[0]!.kid,
    metrics,
    async close() {
      watch.stop();
      if (keysPath !== undefined) unwatchFile(keysPath, reload);
      await closeServer(server);
    },
  };
}

/** Keys for a process without `--keys`: made now, gone with the process. */
export function ephemeralKeys(): PrivateJwks {
  return generateKeySet();
}
