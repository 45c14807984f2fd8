import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type Bilingual,
  type HpkiRouteLimits,
  type PageLang,
  pageLanguage,
  readBody,
  type SessionCookie,
  send,
} from '../http/index.js';
import { StoreFullError } from '../shared/index.js';
import { DEMO_ACCOUNT, loginPage } from './pages.js';
import type { PortalUser } from './portal-user.js';

/** The demo portal's password form (`POST /login`), and the two answers every portal route uses. */

const MAX_FORM_BYTES = 4 * 1024;

export function html(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  send(res, status, 'text/html; charset=utf-8', body, headers);
}

export function redirect(res: ServerResponse, location: string, headers: Record<string, string> = {}): void {
  send(res, 303, 'text/plain; charset=utf-8', `See ${location}\n`, { ...headers, Location: location });
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

function isDemoAccount(id: string, password: string): boolean {
  // Hashing first gives equal lengths for timingSafeEqual.
  const idOk = timingSafeEqual(digest(id), digest(DEMO_ACCOUNT.id));
  const passwordOk = timingSafeEqual(digest(password), digest(DEMO_ACCOUNT.password));
  return idOk && passwordOk;
}

export interface PasswordLoginDeps {
  limits: Required<HpkiRouteLimits>;
  cookie: SessionCookie;
  startSession(user: PortalUser, previous: string | undefined): string;
}

const ERRORS = {
  tooMany: {
    ja: 'ログインの試行が多すぎます。しばらくしてから、もう一度お試しください。',
    en: 'Too many sign-in attempts. Please wait a while and try again.',
  },
  badForm: { ja: 'フォームの送信内容が正しくありません。', en: 'The form was not sent correctly.' },
  wrong: { ja: 'IDまたはパスワードが正しくありません。', en: 'Wrong ID or password.' },
  busy: {
    ja: 'ただいま混み合っています。しばらくしてから、もう一度お試しください。',
    en: 'The service is busy. Please wait a while and try again.',
  },
} as const satisfies Record<string, Bilingual>;

function langOf(req: IncomingMessage): PageLang {
  return pageLanguage(req.headers['accept-language']);
}

/** Refused by the login limiter (answered), or allowed on. */
function limited(deps: PasswordLoginDeps, req: IncomingMessage, res: ServerResponse): boolean {
  if (deps.limits.login === false) return false;
  const decision = deps.limits.login.hit(deps.limits.clientOf(req));
  if (decision.allowed) return false;
  html(res, decision.reason === 'rate' ? 429 : 503, loginPage({ lang: langOf(req), error: ERRORS.tooMany }), {
    'Retry-After': String(decision.retryAfterSeconds),
    Connection: 'close',
  });
  return true;
}

export async function passwordLogin(deps: PasswordLoginDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (limited(deps, req, res)) return;
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  const body = await readBody(req, MAX_FORM_BYTES);
  if (type !== 'application/x-www-form-urlencoded' || body === undefined) {
    html(res, 400, loginPage({ lang: langOf(req), error: ERRORS.badForm }), { Connection: 'close' });
    return;
  }
  const form = new URLSearchParams(Buffer.from(body).toString('utf8'));
  const id = form.get('id') ?? '';
  if (!isDemoAccount(id, form.get('password') ?? '')) {
    html(res, 401, loginPage({ lang: langOf(req), error: ERRORS.wrong, accountId: id.slice(0, 64) }));
    return;
  }
  const user: PortalUser = { method: 'password', account: DEMO_ACCOUNT.id, displayName: DEMO_ACCOUNT.displayName };
  let sessionId: string;
  try {
    sessionId = deps.startSession(user, deps.cookie.read(req.headers));
  } catch (err) {
    if (!(err instanceof StoreFullError)) throw err;
    html(res, 503, loginPage({ lang: langOf(req), error: ERRORS.busy }), {
      'Retry-After': String(err.retryAfterSeconds),
    });
    return;
  }
  redirect(res, '/portal', { 'Set-Cookie': deps.cookie.serialize(sessionId) });
}
