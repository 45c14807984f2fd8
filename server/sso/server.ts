import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import { assertSecureOrigin } from '../../protocol/origin.js';
import type { SsoClient } from '../../protocol/sso.js';
import {
  catchingInternalErrors,
  closeServer,
  createHpkiRoutes,
  createSessionCookie,
  type HpkiRouteLimits,
  type LimitSettings,
  listen,
  type RouteHandler,
  routeLimitsOf,
} from '../http/index.js';
import type { DetailedTokenVerifier } from '../verify/index.js';
import { issOmittedRedirects } from './error-iss.js';
import { createInteractionRoutes, type InteractionDeps, ssoStartSession } from './interactions.js';
import { type CurrentProvider, currentProvider, watchKeysFile } from './key-reload.js';
import { generateKeySet, hasEcKey, type PrivateJwks } from './keys.js';
import { loginAtAuthorization } from './login-at-authorization.js';
import { createSsoVerifier } from './login-proof.js';
import { createSsoMetrics, type SsoMetrics, watchStore } from './operations.js';
import { LOGIN_SLOT_ID } from './pages.js';
import { buildProvider } from './provider-instance.js';
import { createSsoRecords } from './records.js';
import { currentRequestId } from './request-context.js';
import { createSsoHandler, type SsoLogger } from './request-pipeline.js';
import type { SsoStore } from './store.js';

export type { SsoLogger } from './request-pipeline.js';

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

interface Listening {
  server: Server;
  port: number;
  issuer: string;
  /** Until this is called, requests are answered 503. */
  serveWith(handler: (req: IncomingMessage, res: ServerResponse) => void): void;
}

/** Requests wait for the handler, which needs the issuer, which may need the port: listen first. */
async function listenAsIssuer(options: SsoServerOptions): Promise<Listening> {
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
    checkKeysFitClients(options);
  } catch (err) {
    server.close();
    throw err;
  }
  return { server, port, issuer, serveWith: (handler) => (dispatch = handler) };
}

function checkKeysFitClients(options: SsoServerOptions): void {
  const es256 = options.clients.filter(
    (c) => (c as { id_token_signed_response_alg?: unknown }).id_token_signed_response_alg === 'ES256',
  );
  if (es256.length > 0 && !hasEcKey(options.keys.jwks)) {
    throw new Error(
      `client ${es256[0]!.client_id} asks for ES256 ID tokens and the keys have no EC key: run sso rotate-keys`,
    );
  }
}

interface Reporters {
  onInternalError: (err: unknown) => void;
  onNotice: (line: string) => void;
}

/** The options' reporters, each also logged with the id of the request it happened in. */
function reportersOf(options: SsoServerOptions): Reporters {
  const { logger } = options;
  return {
    onInternalError: (err) => {
      logger?.error(
        { requestId: currentRequestId(), err: err instanceof Error ? err.message : String(err) },
        'internal error',
      );
      options.onInternalError?.(err);
    },
    onNotice: (line) => {
      logger?.warn({ requestId: currentRequestId() }, line);
      options.onNotice?.(line);
    },
  };
}

interface RouteDeps {
  issuer: string;
  limits: Required<HpkiRouteLimits>;
  /** What the interaction's page, the login POST and the login page at `/auth` share. */
  interaction: InteractionDeps;
  onInternalError: (err: unknown) => void;
}

/** The HPKI login routes of §1.1 on the issuer's origin, and the provider's interaction pages. */
function createRoutes(options: SsoServerOptions, deps: RouteDeps): { hpki: RouteHandler; interaction: RouteHandler } {
  const { issuer, limits, onInternalError } = deps;
  const hpki = createHpkiRoutes({
    origin: issuer,
    verifier: createSsoVerifier(options.verifier),
    challenges: options.store.challenges,
    cookie: deps.interaction.cookie,
    startSession: ssoStartSession(deps.interaction),
    descriptor: {
      hpkiLogin: 1,
      name: options.providerName,
      challengeUrl: '/hpki/challenge',
      loginUrl: '/hpki/login',
      button: { selector: `#${LOGIN_SLOT_ID}`, position: 'beforeend' },
    },
    limits,
    onInternalError,
  });
  return { hpki, interaction: createInteractionRoutes(deps.interaction) };
}

export async function startSsoServer(options: SsoServerOptions): Promise<RunningSsoServer> {
  const { server, port, issuer, serveWith } = await listenAsIssuer(options);
  const { clients, store } = options;
  const { onInternalError, onNotice } = reportersOf(options);
  const records = createSsoRecords(store);
  const metrics = createSsoMetrics();
  const watch = watchStore(store, (up) => onNotice(up ? 'the store answers again' : 'the store does not answer'));
  const limits = routeLimitsOf(options.limits);
  let current: CurrentProvider | undefined;
  const interaction: InteractionDeps = {
    provider: () => current!.provider,
    records,
    clients,
    cookie: createSessionCookie(issuer, { name: SSO_COOKIE_NAME }),
    providerName: options.providerName,
    limits,
    metrics,
    onInternalError,
  };
  const build = (keys: PrivateJwks): Provider => {
    const provider = buildProvider({ ...options, issuer, records, metrics, onInternalError, onNotice }, keys);
    provider.use(loginAtAuthorization(interaction));
    return provider;
  };
  current = currentProvider(options.keys.jwks, build);
  const routes = createRoutes(options, { issuer, limits, interaction, onInternalError });
  const handler = createSsoHandler({
    issuerUrl: new URL(issuer),
    providerName: options.providerName,
    limits,
    operations: { metrics, watch, keysLoaded: () => current.jwks.keys.length > 0 },
    hpkiRoutes: routes.hpki,
    interactionRoutes: routes.interaction,
    current,
    issOmitted: issOmittedRedirects(clients),
    logger: options.logger,
  });
  serveWith(catchingInternalErrors(handler, onInternalError));
  const stopKeysWatch = watchKeysFile(options.keys.path, current, build, onNotice);
  return {
    issuer,
    port,
    signingKid: () => current.jwks.keys[0]!.kid,
    metrics,
    async close() {
      watch.stop();
      stopKeysWatch();
      await closeServer(server);
    },
  };
}

/** Keys for a process without `--keys`: made now, gone with the process. */
export function ephemeralKeys(): PrivateJwks {
  return generateKeySet();
}
