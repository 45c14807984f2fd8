import type { IncomingMessage, ServerResponse } from 'node:http';
import { pageLanguage, type RateDecision, send } from '../http/index.js';
import { messagePage } from './pages.js';

/**
 * The provider's pages (authorization requests, the login page) refused over a rate limit: a page
 * the doctor can read, with 429 (this address asked too often) or 503 (too many clients at once)
 * and `Retry-After`. True when the request was refused and answered.
 */
export function refuseWithBusyPage(
  req: IncomingMessage,
  res: ServerResponse,
  providerName: string,
  decision: RateDecision,
): boolean {
  if (decision.allowed) return false;
  const seconds = decision.retryAfterSeconds;
  send(
    res,
    decision.reason === 'rate' ? 429 : 503,
    'text/html; charset=utf-8',
    messagePage(
      providerName,
      pageLanguage(req.headers['accept-language']),
      { ja: 'しばらくお待ちください', en: 'Please wait' },
      {
        ja: `アクセスが集中しています。${seconds} 秒ほどおいて、もう一度お試しください。`,
        en: `Too many requests; try again in ${seconds} s.`,
      },
    ),
    { 'Retry-After': String(seconds) },
  );
  return true;
}
