import { HpkiError } from '../../protocol/errors.js';
import type { Descriptor } from '../../protocol/page-messages.js';
import {
  challengeAnswerSchema,
  descriptorSchema,
  loginAnswerSchema,
  siteErrorAnswerSchema,
} from '../../protocol/page-messages.js';
import type { Token } from '../../protocol/token.js';
import type { Translate } from '../shared/index.js';
import { errorMessageKey, LocalizedError, MAX_SITE_JSON_BYTES, readBoundedJson } from '../shared/index.js';

/**
 * The injected button's login against the site's own endpoints (PROTOCOL.md §1.1): every request
 * goes to this page's origin with its cookies, redirects are refused rather than followed to
 * another origin, and the final redirect must be a same-origin path.
 */

export const DESCRIPTOR_PATH = '/.well-known/hpki-login';

export interface SiteLoginDeps {
  fetch: typeof fetch;
  /** This page's origin. */
  origin: string;
  /** Asks the background for a token (PIN window and card). */
  authenticate(challenge: string): Promise<{ token: Token }>;
  navigate(url: string): void;
  t: Translate;
  /** How long one request to the site may take, its body included (default SITE_REQUEST_TIMEOUT_MS). */
  requestTimeoutMs?: number;
}

/**
 * A request to the site's own endpoints, its answer read whole, is given up after this: a site that
 * never answers would otherwise keep the button busy and the page's lock held (the page API then
 * answering ERR_HPKI_BUSY) until the tab is closed.
 */
export const SITE_REQUEST_TIMEOUT_MS = 30_000;

interface SiteAnswer {
  ok: boolean;
  status: number;
  /** The answer's JSON, or undefined when it is none (or too large). */
  body: unknown;
}

/** One request to this page's origin and its bounded JSON answer, within the request time limit. */
async function askSite(deps: SiteLoginDeps, path: string, init: RequestInit): Promise<SiteAnswer> {
  const signal = AbortSignal.timeout(deps.requestTimeoutMs ?? SITE_REQUEST_TIMEOUT_MS);
  try {
    const response = await deps.fetch(sameOriginUrl(path, deps.origin), { ...init, signal });
    return { ok: response.ok, status: response.status, body: await readBoundedJson(response, MAX_SITE_JSON_BYTES) };
  } catch (err) {
    if (signal.aborted) throw new LocalizedError('ERR_HPKI_INTERNAL', deps.t('error_site_timeout'));
    throw err;
  }
}

function sameOriginUrl(path: string, origin: string): string {
  const url = new URL(path, origin);
  if (url.origin !== origin) throw new HpkiError('ERR_HPKI_INVALID_ARGUMENT', 'not a same-origin path');
  return url.href;
}

/** Reads the site's descriptor; undefined when the site serves none (the page API may still be used). */
export async function fetchOwnDescriptor(fetchFn: typeof fetch, origin: string): Promise<Descriptor | undefined> {
  try {
    const response = await fetchFn(sameOriginUrl(DESCRIPTOR_PATH, origin), {
      credentials: 'same-origin',
      redirect: 'error',
      headers: { Accept: 'application/json' },
      signal: AbortSignal.timeout(SITE_REQUEST_TIMEOUT_MS),
    });
    if (!response.ok) return undefined;
    const parsed = descriptorSchema.safeParse(await readBoundedJson(response, MAX_SITE_JSON_BYTES));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** An error the site's server answered, in the doctor's words when the code is a known one. */
function serverError(answer: SiteAnswer, t: Translate): LocalizedError {
  const parsed = siteErrorAnswerSchema.safeParse(answer.body);
  const code = parsed.success ? parsed.data.error.code : undefined;
  const key = code === undefined ? undefined : errorMessageKey(code);
  if (code !== undefined && key !== undefined) return new LocalizedError(code, t(key, ['?']));
  return new LocalizedError('ERR_HPKI_INTERNAL', t('error_server', [String(answer.status)]));
}

export async function loginWithDescriptor(descriptor: Descriptor, deps: SiteLoginDeps): Promise<void> {
  const challengeAnswer = await askSite(deps, descriptor.challengeUrl, {
    method: 'GET',
    credentials: 'same-origin',
    redirect: 'error',
    cache: 'no-store',
    headers: { Accept: 'application/json' },
  });
  if (!challengeAnswer.ok) throw serverError(challengeAnswer, deps.t);
  const challenge = challengeAnswerSchema.safeParse(challengeAnswer.body);
  if (!challenge.success) throw new HpkiError('ERR_HPKI_INVALID_ARGUMENT', 'the site answered no valid challenge');

  const { token } = await deps.authenticate(challenge.data.challenge);

  const loginAnswer = await askSite(deps, descriptor.loginUrl, {
    method: 'POST',
    credentials: 'same-origin',
    redirect: 'error',
    cache: 'no-store',
    headers: { 'Content-Type': 'application/json', 'X-HPKI-Login': '1', Accept: 'application/json' },
    body: JSON.stringify({ token }),
  });
  if (!loginAnswer.ok) throw serverError(loginAnswer, deps.t);
  const answer = loginAnswerSchema.safeParse(loginAnswer.body);
  if (!answer.success) throw new HpkiError('ERR_HPKI_INVALID_ARGUMENT', 'the site answered no same-origin redirect');
  deps.navigate(sameOriginUrl(answer.data.redirect, deps.origin));
}
