import type { IncomingMessage } from 'node:http';

/**
 * Which route a request reaches, matched the way oidc-provider's router matches it (its
 * helpers/router.js): the raw path as Koa sees it (not percent-decoded, dot segments kept), ASCII
 * letters folded to upper case, one trailing slash ignored. So `/auth`, `/AUTH`, `/Auth/` are one
 * route to it, and must be one route to the limits too.
 */

/** The request's path as Koa's `ctx.path` has it: the request target up to `?` or `#`. */
export function rawPathOf(req: IncomingMessage): string {
  const target = req.url ?? '/';
  const path = target.split(/[?#]/, 1)[0] ?? '/';
  if (path.startsWith('/')) return path;
  try {
    return new URL(target).pathname; // absolute-form request target
  } catch {
    return path;
  }
}

/** The key both routers agree on: ASCII upper case, without one trailing slash. */
export function routeKeyOf(path: string): string {
  const folded = path.replace(/[a-z]+/g, (letters) => letters.toUpperCase());
  return folded.length > 1 && folded.endsWith('/') ? folded.slice(0, -1) : folded;
}

/**
 * oidc-provider's routes where a request from anybody, without a card, can make it store a record:
 * an authorization request (an interaction), a logout (the logout form's secret in a session), its
 * confirmation, and pushed requests (switched off; limited all the same should they come back).
 */
export const UNPROVEN_RECORD_ROUTES: ReadonlySet<string> = new Set([
  '/AUTH',
  '/SESSION/END',
  '/SESSION/END/CONFIRM',
  '/REQUEST',
]);

/** A label for metrics and logs: one of a few known routes, never the request's own text. */
export function routeLabelOf(key: string): string {
  if (key.startsWith('/INTERACTION/')) return 'interaction';
  if (key.startsWith('/AUTH/')) return 'resume';
  return KNOWN_LABELS.get(key) ?? 'other';
}

const KNOWN_LABELS: ReadonlyMap<string, string> = new Map([
  ['/AUTH', 'auth'],
  ['/TOKEN', 'token'],
  ['/ME', 'userinfo'],
  ['/JWKS', 'jwks'],
  ['/SESSION/END', 'session_end'],
  ['/SESSION/END/CONFIRM', 'session_end_confirm'],
  ['/SESSION/END/SUCCESS', 'session_end_success'],
  ['/TOKEN/REVOCATION', 'revocation'],
  ['/REQUEST', 'par'],
  ['/HPKI/CHALLENGE', 'hpki_challenge'],
  ['/HPKI/LOGIN', 'hpki_login'],
  ['/.WELL-KNOWN/OPENID-CONFIGURATION', 'discovery'],
  ['/.WELL-KNOWN/HPKI-LOGIN', 'hpki_descriptor'],
  ['/HEALTHZ', 'healthz'],
  ['/READYZ', 'readyz'],
  ['/METRICS', 'metrics'],
]);
