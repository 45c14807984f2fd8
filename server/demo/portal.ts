import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { ChallengeStore } from '../challenge-store/index.js';
import type { DocumentVerifyOptions } from '../documents/index.js';
import {
  type Bilingual,
  catchingInternalErrors,
  createHpkiRoutes,
  createMemorySessionStore,
  createSessionCookie,
  type HpkiRouteLimits,
  type PageLang,
  pageLanguage,
  routeLimitsOf,
  type SessionCookie,
  type SessionStore,
  send,
} from '../http/index.js';
import type { TokenVerifier } from '../verify/index.js';
import { FAVICON_PATH, FAVICON_SVG, PORTAL_CSS, STYLESHEET_PATH } from './assets.js';
import { isCrossSitePost } from './cross-site.js';
import { createOidcRp, type OidcRp, type OidcRpOptions } from './oidc-rp.js';
import { DEMO_MESSAGES, leavingPage, loginPage, messagePage, PORTAL_NAME, portalPage } from './pages.js';
import { html, passwordLogin, redirect } from './password-login.js';
import type { PortalUser } from './portal-user.js';
import { createReferralRoutes } from './referral-routes.js';
import { createSsoSessionIndex } from './sso-sessions.js';

/** How a demo service reaches the demo's OpenID provider. */
export interface DemoSsoClient {
  /** The provider's issuer, once it listens. */
  issuer: () => string | undefined;
  clientId: string;
  clientSecret: string;
}

/** The roles the demo lets in; the descriptor shows them in the extension's consent window. */
export const DEMO_ALLOWED_ROLES = ['Medical Doctor', 'Pharmacist'];

export interface DemoPortalHandlerOptions {
  /** The portal's own origin, e.g. `http://localhost:8787`: what tokens must be signed for. */
  origin: string;
  verifier: TokenVerifier;
  challenges: ChallengeStore;
  sessions?: SessionStore<PortalUser>;
  /** 「医療認証基盤でログイン」 through the demo's OpenID provider, when it runs. */
  sso?: DemoSsoClient;
  /**
   * Per-client rate limits (default routeLimitsOf()): the login limiter counts the password form's
   * POSTs and the HPKI login's together.
   */
  limits?: Required<HpkiRouteLimits>;
  /**
   * What signed documents are checked against (「紹介状に署名」, 「署名を検証」): anchors,
   * intermediates, CRLs, read at each verification. Without it the portal has neither page.
   */
  documentTrust?: () => DocumentVerifyOptions;
  /** Told about unexpected failures. */
  onInternalError?: (err: unknown) => void;
}

const SSO_ERRORS: Readonly<Record<string, Bilingual>> = {
  access_denied: {
    ja: 'このサービスは、あなたの資格ではご利用になれないか、ログインが取り消されました。',
    en: 'Your qualification does not give access to this service, or the sign-in was cancelled.',
  },
  login_required: { ja: '医療認証基盤にログインしていません。', en: 'You are not signed in to the medical sign-on.' },
};

export const SSO_FAILED: Bilingual = {
  ja: '医療認証基盤でのログインに失敗しました。',
  en: 'The sign-in through the medical sign-on failed.',
};

/** The message for `?sso_error=…`, the code the provider sent back (never echoed as it came). */
function ssoError(req: IncomingMessage): { error?: Bilingual } {
  const code = new URL(req.url ?? '/', 'http://path.invalid').searchParams.get('sso_error');
  if (code === null) return {};
  return { error: Object.hasOwn(SSO_ERRORS, code) ? SSO_ERRORS[code]! : SSO_FAILED };
}

/** 「医療認証基盤でログイン」: the portal as a client of the demo's OpenID provider, when one runs. */
function ssoClient(
  options: DemoPortalHandlerOptions,
  deps: {
    cookie: SessionCookie;
    limits: Required<HpkiRouteLimits>;
    index: ReturnType<typeof createSsoSessionIndex>;
    startSso: OidcRpOptions['startSession'];
  },
): OidcRp | undefined {
  if (options.sso === undefined) return undefined;
  const { limits } = deps;
  return createOidcRp({
    origin: options.origin,
    ...options.sso,
    scope: 'openid profile hpki',
    cookiePrefix: 'harenet',
    startSession: deps.startSso,
    endSessions: (match) => deps.index.end(match),
    ...(limits.challenge === false ? {} : { limit: { limiter: limits.challenge, clientOf: limits.clientOf } }),
    ...(options.onInternalError === undefined ? {} : { onInternalError: options.onInternalError }),
  });
}

/**
 * The demo regional-network portal: a password login page that the extension decorates with its
 * HPKI button, the HPKI routes, and a portal page for whoever logged in.
 */
export function createDemoPortalHandler(options: DemoPortalHandlerOptions): RequestListener {
  const { origin } = options;
  const sessions = options.sessions ?? createMemorySessionStore<PortalUser>();
  const cookie = createSessionCookie(origin);
  const limits = options.limits ?? routeLimitsOf();

  const index = createSsoSessionIndex(sessions);
  const startSession = (user: PortalUser, previous: string | undefined): string =>
    index.start(user.method === 'sso' ? user.sso : undefined, user, previous);

  const sso = ssoClient(options, {
    cookie,
    limits,
    index,
    startSso: (user, req) => cookie.serialize(startSession({ method: 'sso', sso: user }, cookie.read(req.headers))),
  });

  const hpkiRoutes = createHpkiRoutes({
    origin,
    verifier: options.verifier,
    challenges: options.challenges,
    cookie,
    redirect: '/portal',
    startSession: (login, previous) => startSession({ method: 'hpki', login }, previous),
    descriptor: {
      hpkiLogin: 1,
      name: PORTAL_NAME,
      challengeUrl: '/hpki/challenge',
      loginUrl: '/hpki/login',
      button: { selector: '#password-login', position: 'afterend' },
      roles: DEMO_ALLOWED_ROLES,
    },
    onInternalError: options.onInternalError,
    limits,
  });

  const currentUser = (req: IncomingMessage): { id: string; user: PortalUser } | undefined => {
    const id = cookie.read(req.headers);
    const user = id === undefined ? undefined : sessions.get(id);
    return id === undefined || user === undefined ? undefined : { id, user };
  };

  const documents =
    options.documentTrust === undefined
      ? undefined
      : createReferralRoutes({ trust: options.documentTrust, clientOf: limits.clientOf });

  /** Forms post only from the portal's own pages; browsers always say where a form post comes from. */
  const isCrossSite = (req: IncomingMessage): boolean => isCrossSitePost(req, origin);

  async function logout(req: IncomingMessage, res: ServerResponse, lang: PageLang): Promise<void> {
    const current = currentUser(req);
    if (current !== undefined) {
      index.destroy(current.id);
      documents?.forget(current.id);
    }
    // Signed in through SSO: end the provider's session too, which logs out the other services.
    if (current?.user.method === 'sso' && sso !== undefined) {
      html(res, 200, leavingPage(await sso.endSessionUrl(current.user.sso), lang), {
        'Set-Cookie': cookie.serializeCleared(),
      });
    } else {
      redirect(res, '/', { 'Set-Cookie': cookie.serializeCleared() });
    }
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (await hpkiRoutes(req, res)) return;
    // Before the cross-site check: the provider's back-channel POST carries no Origin of ours.
    if (sso !== undefined && (await sso.handle(req, res))) return;
    const path = new URL(req.url ?? '/', 'http://path.invalid').pathname;
    const method = req.method ?? 'GET';
    const key = `${method} ${path}`;
    const lang = pageLanguage(req.headers['accept-language']);
    if (method === 'POST' && isCrossSite(req)) {
      html(res, 403, messagePage(lang, DEMO_MESSAGES.crossSite.title, DEMO_MESSAGES.crossSite.message));
      return;
    }
    if (documents !== undefined && (await documents.handle({ req, res, key, lang, current: currentUser(req) }))) return;
    switch (key) {
      case 'GET /':
        if (currentUser(req) !== undefined) redirect(res, '/portal');
        else html(res, 200, loginPage({ lang, sso: sso !== undefined, ...ssoError(req) }));
        return;
      case 'POST /login':
        return passwordLogin({ limits, cookie, startSession }, req, res);
      case 'GET /portal': {
        const current = currentUser(req);
        if (current === undefined) redirect(res, '/');
        else html(res, 200, portalPage(current.user, lang, { documents: documents !== undefined }));
        return;
      }
      case 'POST /logout':
        return logout(req, res, lang);
      case `GET ${STYLESHEET_PATH}`:
        send(res, 200, 'text/css; charset=utf-8', PORTAL_CSS, { 'Cache-Control': 'public, max-age=3600' });
        return;
      case `GET ${FAVICON_PATH}`:
        send(res, 200, 'image/svg+xml', FAVICON_SVG, { 'Cache-Control': 'public, max-age=86400' });
        return;
      default:
        html(res, 404, messagePage(lang, DEMO_MESSAGES.notFound.title, DEMO_MESSAGES.notFound.message));
    }
  }

  return catchingInternalErrors(route, options.onInternalError);
}
