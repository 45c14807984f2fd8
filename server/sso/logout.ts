import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { pageLanguage, readBody, send } from '../http/index.js';
import { errorPage, signedOutPage } from './pages.js';

/**
 * RP-initiated logout beyond what oidc-provider decides (PROTOCOL.md §10, docs/sso.md "Logout"):
 * - an `id_token_hint` ends the session without a question only when it names this session (its
 *   `sid` is the session's for that client, its `sub` the session's holder); a hint of another
 *   session of the browser gets the question; a hint older than one shift is refused;
 * - a browser with no session is answered here, without oidc-provider, which would store a session
 *   record only to carry its logout form's secret: it is signed out already, so it goes to the
 *   `post_logout_redirect_uri` (checked as oidc-provider checks it) or sees the signed-out page.
 */

export type HintVerdict = 'current' | 'other' | 'stale';

interface HintPayload {
  sub?: unknown;
  sid?: unknown;
  aud?: unknown;
  iat?: unknown;
}

interface SessionView {
  accountId?: string | undefined;
  sidFor(clientId: string): string | undefined;
}

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

export function hintVerdict(
  payload: HintPayload,
  session: SessionView | undefined,
  maxAgeSeconds: number,
): HintVerdict {
  if (typeof payload.iat !== 'number' || nowSeconds() - payload.iat > maxAgeSeconds) return 'stale';
  const aud = Array.isArray(payload.aud) ? payload.aud[0] : payload.aud;
  if (session === undefined || typeof aud !== 'string' || typeof payload.sid !== 'string') return 'other';
  return session.accountId === payload.sub && session.sidFor(aud) === payload.sid ? 'current' : 'other';
}

export function hintPayloadOf(ctx: KoaContextWithOIDC): HintPayload | undefined {
  const hint = ctx.oidc.entities.IdTokenHint as { payload?: HintPayload } | undefined;
  return hint?.payload;
}

const MAX_LOGOUT_BODY_BYTES = 16 * 1024;
const LOGOUT_PARAMS = ['id_token_hint', 'post_logout_redirect_uri', 'state', 'client_id'] as const;
type LogoutParams = Partial<Record<(typeof LOGOUT_PARAMS)[number], string>>;

class LogoutRefused extends Error {
  constructor(
    readonly error: string,
    description: string,
  ) {
    super(description);
  }
}

async function paramsOf(req: IncomingMessage): Promise<LogoutParams> {
  let search: URLSearchParams;
  if (req.method === 'POST') {
    if (!String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded'))
      throw new LogoutRefused(
        'invalid_request',
        'only application/x-www-form-urlencoded content-type bodies are supported',
      );
    const body = await readBody(req, MAX_LOGOUT_BODY_BYTES);
    if (body === undefined) throw new LogoutRefused('invalid_request', 'the request body is too large');
    search = new URLSearchParams(Buffer.from(body).toString('utf8'));
  } else search = new URL(req.url ?? '/', 'http://path.invalid').searchParams;
  const params: LogoutParams = {};
  for (const name of LOGOUT_PARAMS) {
    const values = search.getAll(name);
    if (values.length > 1) throw new LogoutRefused('invalid_request', `'${name}' parameter must not be provided twice`);
    if (values[0] !== undefined && values[0] !== '') params[name] = values[0];
  }
  return params;
}

type ProviderClient = NonNullable<Awaited<ReturnType<Provider['Client']['find']>>>;

async function clientOf(provider: Provider, params: LogoutParams): Promise<ProviderClient | undefined> {
  if (params.id_token_hint !== undefined) {
    const [, body = ''] = params.id_token_hint.split('.');
    let aud: unknown;
    try {
      aud = (JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as HintPayload).aud;
    } catch {
      throw new LogoutRefused('invalid_request', 'could not decode id_token_hint');
    }
    const clientId = Array.isArray(aud) ? aud[0] : aud;
    if (params.client_id !== undefined && params.client_id !== clientId)
      throw new LogoutRefused('invalid_request', 'client_id does not match the provided id_token_hint');
    const client = typeof clientId === 'string' ? await provider.Client.find(clientId) : undefined;
    if (client === undefined) throw new LogoutRefused('invalid_client', 'unrecognized id_token_hint audience');
    try {
      await provider.IdToken.validate(params.id_token_hint, client);
    } catch {
      throw new LogoutRefused('invalid_request', 'could not validate id_token_hint');
    }
    return client;
  }
  if (params.client_id === undefined) return undefined;
  const client = await provider.Client.find(params.client_id);
  if (client === undefined) throw new LogoutRefused('invalid_client', 'client is invalid');
  return client;
}

/** True when the browser had no session and was answered here. */
export async function logoutWithoutSession(
  provider: Provider,
  providerName: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<boolean> {
  const session = await provider.Session.get({ req, res } as unknown as KoaContextWithOIDC);
  if (typeof session.accountId === 'string' && session.accountId !== '') return false;
  const html = (status: number, body: string, headers: Record<string, string> = {}): void =>
    send(res, status, 'text/html; charset=utf-8', body, { 'Cache-Control': 'no-store', ...headers });
  try {
    const params = await paramsOf(req);
    const client = await clientOf(provider, params);
    const target = params.post_logout_redirect_uri;
    if (client === undefined || target === undefined) {
      html(200, signedOutPage(providerName, pageLanguage(req.headers['accept-language'])));
      return true;
    }
    if (!client.postLogoutRedirectUriAllowed(target))
      throw new LogoutRefused('invalid_request', 'post_logout_redirect_uri not registered');
    const location = new URL(target);
    if (params.state !== undefined) location.searchParams.set('state', params.state);
    send(res, 303, 'text/plain; charset=utf-8', '', { Location: location.href, 'Cache-Control': 'no-store' });
  } catch (err) {
    if (!(err instanceof LogoutRefused)) throw err;
    html(
      400,
      errorPage(providerName, pageLanguage(req.headers['accept-language']), err.error, err.message),
      req.method === 'POST' ? { Connection: 'close' } : {},
    );
  }
  return true;
}
