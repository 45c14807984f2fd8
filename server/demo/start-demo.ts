import { createServer, type RequestListener, type Server } from 'node:http';
import { assertSecureOrigin } from '../../protocol/origin.js';
import type { SsoClient } from '../../protocol/sso.js';
import {
  type ChallengeStore,
  createMemoryChallengeStore,
  createRedisChallengeStore,
} from '../challenge-store/index.js';
import type { DocumentVerifyOptions } from '../documents/index.js';
import { closeServer, type LimitSettings, listen, routeLimitsOf } from '../http/index.js';
import { randomId } from '../shared/index.js';
import { createMemorySsoStore, ephemeralKeys, type RunningSsoServer, startSsoServer } from '../sso/index.js';
import type { DetailedTokenVerifier, TokenVerifier } from '../verify/index.js';
import { PORTAL_NAME } from './pages.js';
import { createDemoPortalHandler, DEMO_ALLOWED_ROLES } from './portal.js';
import { RECORDS_NAME } from './records-pages.js';
import { createRecordsServiceHandler, RECORDS_ALLOWED_ROLES } from './records-service.js';

export const SSO_PROVIDER_NAME = '医療認証基盤（デモ）';

export interface DemoPortalOptions {
  /** TCP port; 0 picks a free one. The SSO provider and the second service take the next two (or free ones). */
  port: number;
  /** Interface to listen on. Default 127.0.0.1: the demo is for this machine only. */
  host?: string;
  /** Checks the portal's tokens (the caller decides what it trusts: the mock PKI for the demo). */
  verifier: TokenVerifier;
  /**
   * The SSO provider's verifier (every role admitted: roles are per client). Without it the demo is
   * the portal alone.
   */
  ssoVerifier?: DetailedTokenVerifier;
  /** What signed documents are checked against; without it the portal has no 「紹介状に署名」 or 「署名を検証」. */
  documentTrust?: () => DocumentVerifyOptions;
  /** Challenges in Redis (shared by several portal processes) instead of this process's memory. */
  redisUrl?: string;
  /**
   * The origin browsers see, when it is not `http://localhost:<port>` (behind a proxy, or several
   * processes serving one site): tokens must be signed for it.
   */
  origin?: string;
  /** Per-client rate limits and the challenge stores' bound, for the portal and the provider alike. */
  limits?: LimitSettings;
  /** Told about unexpected failures (no secrets reach it: tokens carry none, PINs never get here). */
  onInternalError?: (err: unknown) => void;
  onNotice?: (line: string) => void;
}

export interface RunningDemoPortal {
  origin: string;
  port: number;
  challengeStore: 'memory' | 'redis';
  /** The SSO part: the provider's issuer and the second service's origin. */
  sso: { issuer: string; recordsOrigin: string } | undefined;
  close(): Promise<void>;
}

/** A server whose handler is set once its port, and so its origin, is known. */
function deferredServer(): { server: Server; setHandler(handler: RequestListener): void } {
  let handler: RequestListener | undefined;
  const server = createServer({ requestTimeout: 15_000, headersTimeout: 10_000 }, (req, res) => {
    if (handler !== undefined) handler(req, res);
    else res.writeHead(503, { Connection: 'close' }).end();
  });
  return {
    server,
    setHandler: (h) => {
      handler = h;
    },
  };
}

const secret = (): string => randomId(32);

/**
 * Starts the demo: はれやか医療ネット（デモ） (direct HPKI login, password, and SSO), and with an
 * SSO verifier the demo's OpenID provider 医療認証基盤（デモ） and 医師資格証ポータル（デモ）, a second
 * service that logs in only through it. Resolves once all accept connections.
 */
export async function startDemoPortal(options: DemoPortalOptions): Promise<RunningDemoPortal> {
  if (options.origin !== undefined) assertSecureOrigin(options.origin);
  const host = options.host ?? '127.0.0.1';
  const limits = options.limits ?? {};
  const maxPending = limits.maxPendingChallenges === undefined ? {} : { maxPending: limits.maxPendingChallenges };
  const challenges: ChallengeStore =
    options.redisUrl === undefined
      ? createMemoryChallengeStore(maxPending)
      : createRedisChallengeStore({ url: options.redisUrl, ...maxPending });
  const portal = deferredServer();
  const records = deferredServer();
  let provider: RunningSsoServer | undefined;
  let ssoStore: ReturnType<typeof createMemorySsoStore> | undefined;
  const withSso = options.ssoVerifier !== undefined;
  const next = (offset: number): number => (options.port === 0 ? 0 : options.port + offset);
  let port: number;
  let recordsPort = 0;
  try {
    // An unreachable Redis should stop the demo now, not fail the first login.
    await challenges.take('startup-probe-0000000000000000');
    port = await listen(portal.server, options.port, host);
    if (withSso) recordsPort = await listen(records.server, next(2), host);
  } catch (err) {
    await Promise.all([closeServer(portal.server), closeServer(records.server)]);
    await challenges.close();
    throw err;
  }
  const origin = options.origin ?? `http://localhost:${port}`;
  const recordsOrigin = `http://localhost:${recordsPort}`;
  const portalClient = { clientId: 'harenet-portal', clientSecret: secret() };
  const recordsClient = { clientId: 'jma-records', clientSecret: secret() };
  const issuer = (): string | undefined => provider?.issuer;

  if (options.ssoVerifier !== undefined) {
    const clients: SsoClient[] = [
      {
        client_id: portalClient.clientId,
        client_name: PORTAL_NAME,
        client_secret: portalClient.clientSecret,
        redirect_uris: [`${origin}/sso/callback`],
        post_logout_redirect_uris: [`${origin}/`],
        backchannel_logout_uri: `${origin}/sso/backchannel-logout`,
        hpki_allowed_roles: DEMO_ALLOWED_ROLES,
      },
      {
        client_id: recordsClient.clientId,
        client_name: RECORDS_NAME,
        client_secret: recordsClient.clientSecret,
        redirect_uris: [`${recordsOrigin}/sso/callback`],
        post_logout_redirect_uris: [`${recordsOrigin}/`],
        backchannel_logout_uri: `${recordsOrigin}/sso/backchannel-logout`,
        hpki_allowed_roles: RECORDS_ALLOWED_ROLES,
      },
    ];
    const store = createMemorySsoStore(
      limits.maxPendingChallenges === undefined ? {} : { maxChallenges: limits.maxPendingChallenges },
    );
    ssoStore = store;
    try {
      provider = await startSsoServer({
        issuer: (p) => `http://localhost:${p}`,
        port: next(1),
        host,
        providerName: SSO_PROVIDER_NAME,
        clients,
        verifier: options.ssoVerifier,
        store,
        keys: { jwks: ephemeralKeys() },
        // The demo's services are on this machine's loopback addresses.
        allowPrivateNetwork: true,
        limits,
        ...(options.onInternalError === undefined ? {} : { onInternalError: options.onInternalError }),
        ...(options.onNotice === undefined ? {} : { onNotice: options.onNotice }),
      });
    } catch (err) {
      await Promise.all([closeServer(portal.server), closeServer(records.server)]);
      await Promise.all([challenges.close(), store.close()]);
      throw err;
    }
    records.setHandler(
      createRecordsServiceHandler({
        origin: recordsOrigin,
        sso: { issuer, ...recordsClient },
        limits: routeLimitsOf(limits),
        ...(options.onInternalError === undefined ? {} : { onInternalError: options.onInternalError }),
      }),
    );
  }
  portal.setHandler(
    createDemoPortalHandler({
      origin,
      verifier: options.verifier,
      challenges,
      limits: routeLimitsOf(limits),
      ...(withSso ? { sso: { issuer, ...portalClient } } : {}),
      ...(options.documentTrust === undefined ? {} : { documentTrust: options.documentTrust }),
      ...(options.onInternalError === undefined ? {} : { onInternalError: options.onInternalError }),
    }),
  );
  return {
    origin,
    port,
    challengeStore: options.redisUrl === undefined ? 'memory' : 'redis',
    sso: provider === undefined ? undefined : { issuer: provider.issuer, recordsOrigin },
    async close() {
      await Promise.all([closeServer(portal.server), closeServer(records.server), provider?.close()]);
      await Promise.all([challenges.close(), ssoStore?.close()]);
    },
  };
}
