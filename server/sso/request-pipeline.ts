import type { IncomingMessage, ServerResponse } from 'node:http';
import { type HpkiRouteLimits, type RouteHandler, SECURITY_HEADERS, send } from '../http/index.js';
import { refuseWithBusyPage } from './busy-page.js';
import { omitIssInErrors } from './error-iss.js';
import type { CurrentProvider } from './key-reload.js';
import { logoutWithoutSession } from './logout.js';
import { answerOperations, type OperationsDeps } from './operations.js';
import { SSO_CSS, SSO_STYLESHEET_PATH } from './pages.js';
import { PROVIDER_CSP } from './provider-config.js';
import { requestIdOf, withRequestContext } from './request-context.js';
import { refuseOversizedAuthorization } from './request-size.js';
import { rawPathOf, routeKeyOf, routeLabelOf, UNPROVEN_RECORD_ROUTES } from './route-key.js';
import { refuseWhileStoreDown, STORE_FREE_PATHS } from './store-down.js';

/** Structured log lines (pino's methods fit); see `SsoServerOptions.logger`. */
export interface SsoLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/** What every request of the issuer goes through, in order (see `serve`). */
export interface PipelineDeps {
  issuerUrl: URL;
  providerName: string;
  limits: Required<HpkiRouteLimits>;
  operations: OperationsDeps;
  hpkiRoutes: RouteHandler;
  interactionRoutes: RouteHandler;
  /** The provider serving now (rebuilt when the keys change). */
  current: CurrentProvider;
  /** The redirect URIs whose clients get no `iss` in authorization errors (error-iss.ts). */
  issOmitted: ReadonlySet<string>;
  logger?: SsoLogger;
}

/** Every request: its id and client for the store and the logs, and one log line and count when answered. */
export function createSsoHandler(deps: PipelineDeps): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const { metrics } = deps.operations;
  return async (req, res) => {
    const started = performance.now();
    const key = routeKeyOf(rawPathOf(req));
    const route = routeLabelOf(key);
    const requestId = requestIdOf(req.headers['x-request-id']);
    res.setHeader('X-Request-Id', requestId);
    res.once('finish', () => {
      metrics.responses.inc({ route, status: String(res.statusCode) });
      deps.logger?.info(
        { requestId, method: req.method, route, status: res.statusCode, ms: Math.round(performance.now() - started) },
        'request',
      );
    });
    await withRequestContext({ requestId, client: deps.limits.clientOf(req) }, () => serve(deps, req, res, key));
  };
}

/**
 * oidc-provider builds its URLs from the request; every process answers as the issuer (§10),
 * whatever Host the request came with, so the URLs in discovery and redirects are the issuer's.
 */
function answerAsIssuer(issuerUrl: URL, req: IncomingMessage, res: ServerResponse, path: string): void {
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

async function serve(deps: PipelineDeps, req: IncomingMessage, res: ServerResponse, key: string): Promise<void> {
  const { providerName, limits, current } = deps;
  const path = new URL(req.url ?? '/', 'http://path.invalid').pathname;
  if (path === SSO_STYLESHEET_PATH && req.method === 'GET') {
    send(res, 200, 'text/css; charset=utf-8', SSO_CSS, { 'Cache-Control': 'public, max-age=3600' });
    return;
  }
  if (await answerOperations(deps.operations, req, res, path)) return;
  if (!deps.operations.watch.up() && !STORE_FREE_PATHS.has(key)) {
    refuseWhileStoreDown(req, res, providerName);
    return;
  }
  if (await deps.hpkiRoutes(req, res)) return;
  if (await deps.interactionRoutes(req, res)) return;
  // A request that can make oidc-provider store a record nobody has proven with a card counts
  // against the client's challenge rate, however its path is spelled (route-key.ts).
  if (
    UNPROVEN_RECORD_ROUTES.has(key) &&
    limits.challenge !== false &&
    refuseWithBusyPage(req, res, providerName, limits.challenge.hit(limits.clientOf(req)))
  )
    return;
  // oidc-provider would store every parameter of the request: its size is bounded first (request-size.ts).
  if (key === '/AUTH' && refuseOversizedAuthorization(req, res, providerName)) {
    deps.operations.metrics.signInsRefused.inc({ reason: 'invalid_request' });
    return;
  }
  answerAsIssuer(deps.issuerUrl, req, res, path);
  if (key === '/SESSION/END' && (await logoutWithoutSession(current.provider, providerName, req, res))) return;
  if (key === '/AUTH' || key.startsWith('/AUTH/')) omitIssInErrors(res, deps.issOmitted);
  await current.callback(req, res);
}
