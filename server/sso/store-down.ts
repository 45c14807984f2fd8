import type { IncomingMessage, ServerResponse } from 'node:http';
import { pageLanguage, send } from '../http/index.js';
import { messagePage } from './pages.js';

/**
 * While the store does not answer (operations.ts `watchStore`), requests that need it are answered
 * at once with 503 and `Retry-After`, instead of each waiting for its own command timeout; the
 * routes below need no store and go on.
 */

/** Route keys (route-key.ts) served without the store. */
export const STORE_FREE_PATHS: ReadonlySet<string> = new Set([
  '/.WELL-KNOWN/OPENID-CONFIGURATION',
  '/.WELL-KNOWN/HPKI-LOGIN',
  '/JWKS',
  '/STATIC/SSO.CSS',
]);

export const STORE_DOWN_RETRY_AFTER_SECONDS = 5;

export function refuseWhileStoreDown(req: IncomingMessage, res: ServerResponse, providerName: string): void {
  send(
    res,
    503,
    'text/html; charset=utf-8',
    messagePage(
      providerName,
      pageLanguage(req.headers['accept-language']),
      { ja: 'ただいま利用できません', en: 'Temporarily unavailable' },
      {
        ja: 'ログインの記録を保存できないため、しばらく受け付けを止めています。少しおいて、もう一度お試しください。',
        en: 'The sign-in service cannot reach its store for now; try again shortly.',
      },
    ),
    { 'Retry-After': String(STORE_DOWN_RETRY_AFTER_SECONDS) },
  );
}
