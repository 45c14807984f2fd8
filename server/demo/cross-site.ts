import type { IncomingMessage } from 'node:http';

/**
 * Whether a form POST comes from another site's page. Browsers say so in `Sec-Fetch-Site`; under
 * `Referrer-Policy: no-referrer` their `Origin` of a form POST is `null`, so Origin alone would turn
 * away the services' own forms. Without Sec-Fetch-Site (older browsers), a foreign Origin decides.
 */
export function isCrossSitePost(req: IncomingMessage, origin: string): boolean {
  const site = req.headers['sec-fetch-site'];
  if (typeof site === 'string') return site !== 'same-origin' && site !== 'none';
  const from = req.headers.origin;
  return from !== undefined && from !== 'null' && from !== origin;
}
