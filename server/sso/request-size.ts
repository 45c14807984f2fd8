import type { IncomingMessage, ServerResponse } from 'node:http';
import { pageLanguage, send } from '../http/index.js';
import { errorPage } from './pages.js';

/**
 * oidc-provider copies every parameter of an authorization request into the interaction it stores
 * (login_hint and id_token_hint twice), and takes a POST body of up to 56 KiB: one anonymous record
 * could weigh a hundred kilobytes, and the bound on their number would not bound Redis's memory.
 * So the request is bounded before oidc-provider sees it: its target (path and query) and the body
 * it announces, together, at most this many bytes as sent. Real requests stay far below it: the
 * parameters a service sends are short (PKCE, nonce, a redirect URI, scopes), and the longest
 * `state`s of common client libraries (a protected blob of the service's own, as ASP.NET Core's
 * OpenID Connect handler makes) take one or two kilobytes. docs/sso.md "Limits".
 */
export const MAX_AUTHORIZATION_REQUEST_BYTES = 4096;

/**
 * What a request at the bound makes Redis hold for its interaction at most (`MEMORY USAGE`): 16 672
 * bytes measured for the worst case, a login_hint of control characters (three bytes each as sent,
 * six as stored JSON, and stored twice). docs/sso.md sizes Redis with it; the integration test
 * `sso-request-size` checks it.
 */
export const MAX_INTERACTION_RECORD_BYTES = 17 * 1024;

/**
 * The request's size as it counts against the bound: its target and the body it announces. A body
 * whose length is not announced (chunked) is never read: undefined.
 */
export function authorizationRequestBytes(req: IncomingMessage): number | undefined {
  const target = Buffer.byteLength(req.url ?? '', 'utf8');
  const length = req.headers['content-length'];
  if (length === undefined) return req.headers['transfer-encoding'] === undefined ? target : undefined;
  return /^\d{1,15}$/.test(length) ? target + Number(length) : undefined;
}

/**
 * An authorization request over MAX_AUTHORIZATION_REQUEST_BYTES, or with a body of unknown length:
 * `400` and the error page with `invalid_request` at the provider (its redirect URI is not checked,
 * so it is never redirected to), the body left unread and the connection closed; nothing reaches
 * oidc-provider, nothing is stored. True when the request was refused (and answered).
 */
export function refuseOversizedAuthorization(req: IncomingMessage, res: ServerResponse, providerName: string): boolean {
  const bytes = authorizationRequestBytes(req);
  if (bytes !== undefined && bytes <= MAX_AUTHORIZATION_REQUEST_BYTES) return false;
  const description =
    bytes === undefined
      ? 'an authorization request body needs a Content-Length'
      : `the authorization request is too large (${bytes} bytes; at most ${MAX_AUTHORIZATION_REQUEST_BYTES})`;
  send(
    res,
    400,
    'text/html; charset=utf-8',
    errorPage(providerName, pageLanguage(req.headers['accept-language']), 'invalid_request', description),
    { Connection: 'close' },
  );
  return true;
}
