import { describe, expect, it } from 'vitest';
import { fetchOwnDescriptor, loginWithDescriptor } from '../../../../extension/content/site-login.js';
import { translatorFor } from '../../../../extension/shared/catalogs.js';
import { HpkiError } from '../../../../protocol/errors.js';
import type { Descriptor } from '../../../../protocol/page-messages.js';
import type { Token } from '../../../../protocol/token.js';

// The injected button's login against the site's endpoints (PROTOCOL.md §1.1), with a recording
// fetch that answers like a site would. Real Response objects, so body limits are exercised.

const ORIGIN = 'https://portal.example.jp';
const CHALLENGE = 'Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9v';
const TOKEN: Token = {
  format: 'hpki-login:1',
  algorithm: 'RS256',
  certificate: 'AAAA',
  intermediates: [],
  signature: 'AAAA',
};
const DESCRIPTOR: Descriptor = {
  hpkiLogin: 1,
  name: '晴れやかネット',
  challengeUrl: '/hpki/challenge',
  loginUrl: '/hpki/login',
  button: { selector: '#password-login', position: 'afterend' },
};

interface Call {
  url: string;
  init: RequestInit | undefined;
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

function site(routes: Record<string, () => Response>) {
  const calls: Call[] = [];
  const fetchFn = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input);
    calls.push({ url, init });
    const route = routes[`${init?.method ?? 'GET'} ${url}`];
    return route === undefined ? new Response('not found', { status: 404 }) : route();
  }) as typeof fetch;
  return { calls, fetchFn };
}

function deps(fetchFn: typeof fetch) {
  const navigated: string[] = [];
  const asked: string[] = [];
  return {
    navigated,
    asked,
    deps: {
      fetch: fetchFn,
      origin: ORIGIN,
      authenticate: async (challenge: string) => {
        asked.push(challenge);
        return { token: TOKEN };
      },
      navigate: (url: string) => void navigated.push(url),
      t: translatorFor('ja'),
    },
  };
}

const challengeOk = () => json(200, { challenge: CHALLENGE, expiresAt: '2030-01-01T00:00:00Z' });

describe('descriptor', () => {
  it('is read from this origin with its cookies and without following redirects', async () => {
    const { calls, fetchFn } = site({ [`GET ${ORIGIN}/.well-known/hpki-login`]: () => json(200, DESCRIPTOR) });
    expect(await fetchOwnDescriptor(fetchFn, ORIGIN)).toEqual(DESCRIPTOR);
    expect(calls[0]!.init).toMatchObject({ credentials: 'same-origin', redirect: 'error' });
  });

  it.each([
    ['missing', () => new Response('', { status: 404 })],
    ['not JSON', () => new Response('<html>', { status: 200 })],
    ['wrong version', () => json(200, { ...DESCRIPTOR, hpkiLogin: 2 })],
    ['cross-origin challenge URL', () => json(200, { ...DESCRIPTOR, challengeUrl: '//evil.example/c' })],
    ['absolute login URL', () => json(200, { ...DESCRIPTOR, loginUrl: 'https://evil.example/l' })],
    ['oversized', () => json(200, { ...DESCRIPTOR, padding: 'x'.repeat(20_000) })],
  ])('is ignored when %s', async (_name, answer) => {
    const { fetchFn } = site({ [`GET ${ORIGIN}/.well-known/hpki-login`]: answer });
    expect(await fetchOwnDescriptor(fetchFn, ORIGIN)).toBeUndefined();
  });
});

describe('button login', () => {
  it('gets a challenge, asks for a token, posts it and follows the same-origin redirect', async () => {
    const { calls, fetchFn } = site({
      [`GET ${ORIGIN}/hpki/challenge`]: challengeOk,
      [`POST ${ORIGIN}/hpki/login`]: () => json(200, { redirect: '/portal/home?x=1' }),
    });
    const d = deps(fetchFn);
    await loginWithDescriptor(DESCRIPTOR, d.deps);
    expect(d.asked).toEqual([CHALLENGE]);
    expect(calls.map((c) => `${c.init?.method} ${c.url}`)).toEqual([
      `GET ${ORIGIN}/hpki/challenge`,
      `POST ${ORIGIN}/hpki/login`,
    ]);
    expect(calls[0]!.init).toMatchObject({ credentials: 'same-origin', redirect: 'error' });
    const post = calls[1]!.init!;
    expect(post).toMatchObject({ credentials: 'same-origin', redirect: 'error' });
    expect(post.headers).toMatchObject({ 'Content-Type': 'application/json', 'X-HPKI-Login': '1' });
    expect(JSON.parse(String(post.body))).toEqual({ token: TOKEN });
    expect(d.navigated).toEqual([`${ORIGIN}/portal/home?x=1`]);
  });

  it.each([
    ['the challenge', 'GET /hpki/challenge', 0],
    ['the login, after the card', 'POST /hpki/login', 1],
    ["the challenge's body, after its headers", 'GET /hpki/challenge (body)', 0],
  ])("gives up %s when the site never answers, in the doctor's words", async (_name, hang, asked) => {
    // A site that keeps the request open: only the request's own time limit ends it.
    const hangs = (init: RequestInit | undefined): Promise<Response> =>
      new Promise((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal?.reason)));
    const stalledBody = (init: RequestInit | undefined): Response => {
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('{"challenge":'));
          init?.signal?.addEventListener('abort', () => controller.error(init.signal?.reason));
        },
      });
      return new Response(body, { status: 200 });
    };
    const fetchFn = (async (input: RequestInfo | URL, init?: RequestInit) => {
      const route = `${init?.method ?? 'GET'} ${new URL(String(input)).pathname}`;
      if (hang === `${route} (body)`) return stalledBody(init);
      if (hang === route) return hangs(init);
      return route === 'GET /hpki/challenge' ? challengeOk() : json(200, { redirect: '/' });
    }) as typeof fetch;
    const d = deps(fetchFn);
    const started = Date.now();
    await expect(loginWithDescriptor(DESCRIPTOR, { ...d.deps, requestTimeoutMs: 100 })).rejects.toMatchObject({
      code: 'ERR_HPKI_INTERNAL',
      message: 'サイトが応答しませんでした。しばらくしてから、もう一度お試しください。',
    });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(d.asked.length).toBe(asked);
    expect(d.navigated).toEqual([]);
  });

  it.each(['//evil.example/x', 'https://evil.example/', 'javascript:alert(1)', '/\\evil.example', ''])(
    'refuses to follow the redirect %j',
    async (redirect) => {
      const { fetchFn } = site({
        [`GET ${ORIGIN}/hpki/challenge`]: challengeOk,
        [`POST ${ORIGIN}/hpki/login`]: () => json(200, { redirect }),
      });
      const d = deps(fetchFn);
      await expect(loginWithDescriptor(DESCRIPTOR, d.deps)).rejects.toMatchObject({
        code: 'ERR_HPKI_INVALID_ARGUMENT',
      });
      expect(d.navigated).toEqual([]);
    },
  );

  it("shows the server's refusal in the doctor's words", async () => {
    const { fetchFn } = site({
      [`GET ${ORIGIN}/hpki/challenge`]: challengeOk,
      [`POST ${ORIGIN}/hpki/login`]: () =>
        json(401, { error: { code: 'ERR_CERT_REVOKED', message: 'certificate revoked' } }),
    });
    const d = deps(fetchFn);
    await expect(loginWithDescriptor(DESCRIPTOR, d.deps)).rejects.toMatchObject({
      code: 'ERR_CERT_REVOKED',
      message: 'カードの証明書は失効しています。発行元にお問い合わせください。',
    });
    expect(d.navigated).toEqual([]);
  });

  it('says the status when the server answers something unknown', async () => {
    const { fetchFn } = site({ [`GET ${ORIGIN}/hpki/challenge`]: () => new Response('oops', { status: 503 }) });
    const d = deps(fetchFn);
    await expect(loginWithDescriptor(DESCRIPTOR, d.deps)).rejects.toMatchObject({
      code: 'ERR_HPKI_INTERNAL',
      message: 'サイトがログインを受け付けませんでした（503）。',
    });
    expect(d.asked).toEqual([]);
  });

  it('does not ask for the card when the challenge is malformed', async () => {
    const { fetchFn } = site({
      [`GET ${ORIGIN}/hpki/challenge`]: () => json(200, { challenge: 'short', expiresAt: 'x' }),
    });
    const d = deps(fetchFn);
    await expect(loginWithDescriptor(DESCRIPTOR, d.deps)).rejects.toMatchObject({ code: 'ERR_HPKI_INVALID_ARGUMENT' });
    expect(d.asked).toEqual([]);
  });

  it('passes a card error through without posting anything', async () => {
    const { calls, fetchFn } = site({ [`GET ${ORIGIN}/hpki/challenge`]: challengeOk });
    const d = deps(fetchFn);
    d.deps.authenticate = async () => {
      throw new HpkiError('ERR_HPKI_NO_CARD', 'カードが見つかりません。');
    };
    await expect(loginWithDescriptor(DESCRIPTOR, d.deps)).rejects.toMatchObject({ code: 'ERR_HPKI_NO_CARD' });
    expect(calls).toHaveLength(1);
  });
});
