import * as oidc from 'openid-client';
import type { CookieBrowser, Hop } from '../../scripts/dev/cookie-browser.js';
import type { CardSigner } from '../../scripts/dev/sso-card.js';

/**
 * One relying service driven with openid-client, and a doctor's browser (the cookie browser) that
 * logs in at the provider with a card the way the extension does (PROTOCOL.md §1.1, §10).
 */

export interface RelyingParty {
  clientId: string;
  redirectUri: string;
  config: oidc.Configuration;
  /** Starts a login: the authorization URL and the checks to finish it with. */
  start(extra?: Record<string, string>): Promise<{ url: URL; verifier: string; state: string }>;
  finish(callback: URL, checks: { verifier: string; state: string }): ReturnType<typeof oidc.authorizationCodeGrant>;
}

/** openid-client against the issuer; `reach` says which process serves its back-channel requests. */
export async function relyingParty(options: {
  issuer: string;
  clientId: string;
  clientSecret?: string;
  redirectUri: string;
  reach: () => string;
}): Promise<RelyingParty> {
  const routed: oidc.CustomFetch = (url, init) => {
    const target = new URL(url);
    const actual = target.origin === options.issuer ? `${options.reach()}${target.pathname}${target.search}` : url;
    return fetch(actual, init as RequestInit);
  };
  const auth = options.clientSecret === undefined ? oidc.None() : oidc.ClientSecretBasic(options.clientSecret);
  const config = await oidc.discovery(new URL(options.issuer), options.clientId, undefined, auth, {
    execute: [oidc.allowInsecureRequests],
    [oidc.customFetch]: routed,
  });
  return {
    clientId: options.clientId,
    redirectUri: options.redirectUri,
    config,
    async start(extra = {}) {
      const verifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: options.redirectUri,
        scope: 'openid profile hpki',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        ...extra,
      });
      return { url, verifier, state };
    },
    finish: (callback, checks) =>
      oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: checks.verifier, expectedState: checks.state }),
  };
}

export interface Outcome {
  hops: Hop[];
  /** Where the browser was sent back to the client, if it was. */
  callback: URL | undefined;
  /** Whether the provider showed its HPKI login page (a card login was needed). */
  askedForCard: boolean;
}

function callbackOf(hops: Hop[], issuer: string): URL | undefined {
  const last = hops.at(-1);
  return last !== undefined && last.status === 0 && new URL(last.url).origin !== issuer ? new URL(last.url) : undefined;
}

/** The browser at `url`: straight back to the client when a session lives, else the login page and the card. */
export async function signIn(
  browser: CookieBrowser,
  issuer: string,
  url: URL | string,
  card: CardSigner | undefined,
): Promise<Outcome> {
  const hops = await browser.navigate(String(url), { stayOn: [issuer] });
  const direct = callbackOf(hops, issuer);
  const page = hops.at(-1);
  const askedForCard =
    direct === undefined && page !== undefined && page.status === 200 && page.body.includes('id="hpki-sso-login"');
  if (!askedForCard || card === undefined) return { hops, callback: direct, askedForCard };
  const login = await cardLogin(browser, issuer, card);
  if (login.status !== 200) throw new Error(`login POST refused: ${login.status} ${JSON.stringify(login.json)}`);
  const rest = await browser.navigate(`${issuer}${String(login.json.redirect)}`, { stayOn: [issuer] });
  return { hops: [...hops, ...rest], callback: callbackOf(rest, issuer), askedForCard };
}

/** What the extension's button does on the provider's page: challenge, card, login POST. */
export async function cardLogin(
  browser: CookieBrowser,
  issuer: string,
  card: CardSigner,
  tamper: (token: unknown) => unknown = (t) => t,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const challengeRes = await browser.fetch(`${issuer}/hpki/challenge`, { headers: { accept: 'application/json' } });
  const { challenge } = (await challengeRes.json()) as { challenge: string };
  const token = tamper(await card.token(issuer, challenge));
  return postLogin(browser, issuer, JSON.stringify({ token }));
}

export async function postLogin(
  browser: CookieBrowser,
  issuer: string,
  body: string,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await browser.fetch(`${issuer}/hpki/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-hpki-login': '1' },
    body,
  });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = { raw: text };
  }
  return { status: res.status, json };
}

/** Submits the HTML form with `id` as a browser would (hidden inputs, POST, urlencoded). */
export async function submitForm(
  browser: CookieBrowser,
  html: string,
  formId: string,
  pageUrl: string,
): Promise<Hop[]> {
  const form = new RegExp(
    `<form[^>]*id="${formId.replace('.', '\\.')}"[^>]*action="([^"]+)"[^>]*>([\\s\\S]*?)</form>`,
  ).exec(html);
  if (form === null) throw new Error(`no form ${formId} in ${html.slice(0, 500)}`);
  const fields = new URLSearchParams();
  for (const input of form[2]!.matchAll(/<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"[^>]*>/g))
    fields.append(input[1]!, input[2]!);
  const action = new URL(form[1]!, pageUrl).href;
  const res = await browser.fetch(action, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: fields.toString(),
  });
  const location = res.headers.get('location');
  return [
    {
      url: action,
      status: res.status,
      location,
      body: await res.text(),
      contentType: res.headers.get('content-type') ?? '',
    },
  ];
}
