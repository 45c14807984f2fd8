import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import {
  type Bilingual,
  catchingInternalErrors,
  createMemorySessionStore,
  createSessionCookie,
  type HpkiRouteLimits,
  pageLanguage,
  routeLimitsOf,
  send,
} from '../http/index.js';
import { FAVICON_PATH, FAVICON_SVG, PORTAL_CSS, STYLESHEET_PATH } from './assets.js';
import { isCrossSitePost } from './cross-site.js';
import { createOidcRp, type SsoUser } from './oidc-rp.js';
import { DEMO_MESSAGES, leavingPage, messagePage } from './pages.js';
import { type DemoSsoClient, SSO_FAILED } from './portal.js';
import { recordsLoginPage, recordsPage } from './records-pages.js';
import { createSsoSessionIndex } from './sso-sessions.js';

/**
 * 医師資格証ポータル（デモ）: a second service that logs in only through the demo's OpenID provider,
 * with openid-client like any relying service, and is logged out by the provider's back-channel
 * message when the doctor logs out elsewhere.
 */

export interface RecordsServiceOptions {
  origin: string;
  sso: DemoSsoClient;
  /** Per-client rate of `GET /sso/login` (the challenge rate; default routeLimitsOf()). */
  limits?: Required<HpkiRouteLimits>;
  onInternalError?: (err: unknown) => void;
}

export const RECORDS_ALLOWED_ROLES = ['Medical Doctor'];

const DOCTORS_ONLY: Bilingual = {
  ja: 'このサービスは医師のみご利用になれます。',
  en: 'Only doctors can use this service.',
};

function html(res: ServerResponse, status: number, body: string): void {
  send(res, status, 'text/html; charset=utf-8', body);
}

function redirect(res: ServerResponse, location: string, headers: Record<string, string> = {}): void {
  send(res, 303, 'text/plain; charset=utf-8', `See ${location}\n`, { ...headers, Location: location });
}

export function createRecordsServiceHandler(options: RecordsServiceOptions): RequestListener {
  const { origin } = options;
  const sessions = createMemorySessionStore<SsoUser>();
  const index = createSsoSessionIndex(sessions);
  const cookie = createSessionCookie(origin, { name: 'records-session' });
  const limits = options.limits ?? routeLimitsOf();
  const rp = createOidcRp({
    origin,
    ...options.sso,
    scope: 'openid profile hpki',
    cookiePrefix: 'records',
    startSession: (user, req) => cookie.serialize(index.start(user, user, cookie.read(req.headers))),
    endSessions: (match) => index.end(match),
    ...(limits.challenge === false ? {} : { limit: { limiter: limits.challenge, clientOf: limits.clientOf } }),
    ...(options.onInternalError === undefined ? {} : { onInternalError: options.onInternalError }),
  });

  const current = (req: IncomingMessage): { id: string; user: SsoUser } | undefined => {
    const id = cookie.read(req.headers);
    const user = id === undefined ? undefined : sessions.get(id);
    return id === undefined || user === undefined ? undefined : { id, user };
  };

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (await rp.handle(req, res)) return;
    const url = new URL(req.url ?? '/', 'http://path.invalid');
    const key = `${req.method ?? 'GET'} ${url.pathname}`;
    const lang = pageLanguage(req.headers['accept-language']);
    if (req.method === 'POST' && isCrossSitePost(req, origin)) {
      html(res, 403, messagePage(lang, DEMO_MESSAGES.crossSite.title, DEMO_MESSAGES.crossSite.message));
      return;
    }
    switch (key) {
      case 'GET /': {
        if (current(req) !== undefined) return redirect(res, '/portal');
        const error = url.searchParams.get('sso_error');
        const message = error === null ? undefined : error === 'access_denied' ? DOCTORS_ONLY : SSO_FAILED;
        return html(res, 200, recordsLoginPage(lang, message));
      }
      case 'GET /portal': {
        const user = current(req);
        return user === undefined ? redirect(res, '/') : html(res, 200, recordsPage(user.user, lang));
      }
      case 'POST /logout': {
        const user = current(req);
        if (user !== undefined) index.destroy(user.id);
        if (user === undefined) return redirect(res, '/', { 'Set-Cookie': cookie.serializeCleared() });
        // The provider's session ends too; the other services hear of it over the back channel.
        return send(res, 200, 'text/html; charset=utf-8', leavingPage(await rp.endSessionUrl(user.user), lang), {
          'Set-Cookie': cookie.serializeCleared(),
        });
      }
      case `GET ${STYLESHEET_PATH}`:
        return send(res, 200, 'text/css; charset=utf-8', PORTAL_CSS, { 'Cache-Control': 'public, max-age=3600' });
      case `GET ${FAVICON_PATH}`:
        return send(res, 200, 'image/svg+xml', FAVICON_SVG, { 'Cache-Control': 'public, max-age=86400' });
      default:
        html(res, 404, messagePage(lang, DEMO_MESSAGES.notFound.title, DEMO_MESSAGES.notFound.message));
    }
  }

  return catchingInternalErrors(route, options.onInternalError);
}
