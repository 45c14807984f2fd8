import { isLoopbackOrigin, isSecureOrigin } from '../../protocol/origin.js';

/**
 * Enabled sites are origins (`https://host[:port]`). Host permissions and content-script matches
 * use `scheme://host/*`: Firefox match patterns cannot name a port, and the exact origin, port
 * included, is checked again by the background on every request.
 */
export function matchPatternForOrigin(origin: string): string {
  const url = new URL(origin);
  return `${url.protocol}//${url.hostname}/*`;
}

export type SiteInputResult = { ok: true; origin: string } | { ok: false; reason: 'invalid' | 'loopback-off' };

/** What the user typed in the options page, reduced to an origin the extension may enable. */
export function parseSiteInput(text: string, loopbackDevelopment: boolean): SiteInputResult {
  const trimmed = text.trim();
  if (trimmed.length === 0 || trimmed.length > 2048) return { ok: false, reason: 'invalid' };
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `https://${trimmed}`);
  } catch {
    return { ok: false, reason: 'invalid' };
  }
  const origin = url.origin;
  if (!isSecureOrigin(origin)) return { ok: false, reason: 'invalid' };
  if (isLoopbackOrigin(origin) && !loopbackDevelopment) return { ok: false, reason: 'loopback-off' };
  return { ok: true, origin };
}
