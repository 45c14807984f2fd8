import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CookieBrowser, createCookieBrowser } from '../../scripts/dev/cookie-browser.js';
import { freePort } from '../../scripts/dev/free-port.js';
import { type RedisServer, startRedis } from '../../scripts/dev/redis.js';
import { type CardSigner, openCard } from '../../scripts/dev/sso-card.js';
import { type SsoProcess, startSso, stopSso } from '../../scripts/dev/sso-provider.js';
import { createCardFile } from '../../scripts/dev/virtual-card-process.js';
import { type RelyingParty, relyingParty, signIn, submitForm } from '../helpers/sso-flow.js';

/**
 * Anonymous traffic at the provider (PROTOCOL.md §10 "Anonymous traffic"), on real processes and a
 * real Redis behind a proxy the provider trusts (127.0.0.1, so X-Forwarded-For names the client):
 * every spelling of every route that stores a record nobody proved with a card counts against one
 * rate; one client holds only its share of those records, so a doctor elsewhere signs in while the
 * bound is under attack; a logout from a browser without a session stores nothing; and forwarded
 * entries with ports are each their own client.
 */

const REDIRECT = 'http://localhost:9211/cb';
/** The limited provider's rate, a minute: small, so that no token comes back while a test runs. */
const RATE = 6;
const POST_LOGOUT = 'http://localhost:9211/';

let dir: string;
let pki: string;
let redis: RedisServer;
let store: Redis;
let sharedStore: Redis;
let doctor: CardSigner;
let clientsFile: string;

interface Provider {
  issuer: string;
  sso: SsoProcess;
  rp: RelyingParty;
}

/** Each provider is its own issuer: its own Redis database. */
async function provider(keyPrefix: string, db: number, extra: string[]): Promise<Provider> {
  const issuer = `http://localhost:${await freePort()}`;
  const sso = await startSso([
    '--issuer',
    issuer,
    '--clients',
    clientsFile,
    '--pki',
    pki,
    '--redis',
    `${redis.url}/${db}`,
    '--keys',
    join(dir, `${keyPrefix}-keys.json`),
    '--trust-proxy',
    '127.0.0.1',
    ...extra,
  ]);
  const rp = await relyingParty({ issuer, clientId: 'records', redirectUri: REDIRECT, reach: () => sso.url });
  return { issuer, sso, rp };
}

let limited: Provider;
let shared: Provider;

function browserAt(p: Provider, address: string): CookieBrowser {
  const b = createCookieBrowser({ headers: { 'x-forwarded-for': address } });
  b.route(p.issuer, p.sso.url);
  return b;
}

/** One anonymous request from `address` (no cookie), answered without following redirects. */
async function anonymous(p: Provider, path: string, address: string, init: RequestInit = {}): Promise<Response> {
  const res = await fetch(`${p.sso.url}${path}`, {
    ...init,
    redirect: 'manual',
    headers: { 'x-forwarded-for': address, ...(init.headers as Record<string, string> | undefined) },
  });
  await res.arrayBuffer();
  return res;
}

/** An authorization request of the relying party, its path spelled `spelling`. */
async function authorizationPath(p: Provider, spelling: string): Promise<string> {
  const start = await p.rp.start();
  return `${spelling}${start.url.search}`;
}

/** Every key the providers keep in Redis, except the limits' own bookkeeping. */
async function storedKeys(): Promise<string[]> {
  return (await store.keys('*')).sort();
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hpki-sso-abuse-'));
  pki = join(dir, 'pki');
  redis = await startRedis();
  store = new Redis(redis.url);
  sharedStore = new Redis(`${redis.url}/1`);
  await createCardFile(join(dir, 'doctor.card'), pki, ['--holder-id', 'MD-0300']);
  doctor = await openCard(join(dir, 'doctor.card'));
  clientsFile = join(dir, 'clients.json');
  await writeFile(
    clientsFile,
    JSON.stringify([
      {
        client_id: 'records',
        token_endpoint_auth_method: 'none',
        redirect_uris: [REDIRECT],
        post_logout_redirect_uris: [POST_LOGOUT],
      },
    ]),
  );
  // A small rate; and one with no rate at all, where only the store's shares hold.
  [limited, shared] = await Promise.all([
    provider('limited', 0, ['--challenge-rate', String(RATE)]),
    provider('shared', 1, ['--challenge-rate', '0', '--max-pending-sign-ins', '120', '--max-pending-per-client', '30']),
  ]);
}, 120_000);

afterAll(async () => {
  await doctor?.close();
  const codes = await Promise.all([limited, shared].filter((p) => p !== undefined).map((p) => stopSso(p.sso)));
  store?.disconnect();
  sharedStore?.disconnect();
  await redis?.stop();
  await rm(dir, { recursive: true, force: true });
  expect(codes.every((c) => c === 0)).toBe(true);
});

describe('routes that store unproven records, however spelled', () => {
  it('one address past its rate → 429 on every spelling of every such route; another address is served', async () => {
    const attacker = '203.0.113.20';
    let served = 0;
    for (let i = 0; i < 100; i++) {
      const res = await anonymous(limited, await authorizationPath(limited, '/Auth/'), attacker);
      if (res.status === 429) break;
      served++;
    }
    expect(served).toBe(RATE);
    const spellings: [string, RequestInit][] = [
      [await authorizationPath(limited, '/auth'), {}],
      [await authorizationPath(limited, '/AUTH'), {}],
      [await authorizationPath(limited, '/auth/'), {}],
      [await authorizationPath(limited, '/aUtH'), { method: 'POST' }],
      [`/session/end?client_id=records&post_logout_redirect_uri=${encodeURIComponent(POST_LOGOUT)}`, {}],
      ['/SESSION/END/', {}],
      [
        '/Session/End',
        { method: 'POST', body: 'client_id=records', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
      ],
      [
        '/session/end/confirm',
        { method: 'POST', body: 'xsrf=x&logout=yes', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
      ],
      ['/SESSION/END/CONFIRM/', { method: 'POST' }],
      [
        '/request',
        { method: 'POST', body: 'client_id=records', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
      ],
      ['/REQUEST/', { method: 'POST' }],
      [`/interaction/${'a'.repeat(21)}`, {}],
      ['/hpki/challenge', {}],
    ];
    for (const [path, init] of spellings) {
      const res = await anonymous(limited, path, attacker, init);
      expect([path, res.status]).toEqual([path, 429]);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
    const other = await anonymous(limited, await authorizationPath(limited, '/AUTH/'), '198.51.100.20');
    // The login page, in the authorization request's own answer.
    expect(other.status).toBe(200);
    expect(other.headers.get('content-type')).toContain('text/html');
  });

  it('pushed authorization requests are off: no route, no record', async () => {
    const before = await storedKeys();
    const res = await anonymous(limited, '/request', '198.51.100.21', {
      method: 'POST',
      body: new URLSearchParams({ client_id: 'records', response_type: 'code', redirect_uri: REDIRECT }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(res.status).toBe(404);
    const meta = (await (await fetch(`${limited.sso.url}/.well-known/openid-configuration`)).json()) as Record<
      string,
      unknown
    >;
    expect(meta.pushed_authorization_request_endpoint).toBeUndefined();
    expect(await storedKeys()).toEqual(before);
  });

  it('forwarded entries with ports are limited per client: ip:port and [v6]:port, a whole /56 as one', async () => {
    const v4 = await Promise.all(
      Array.from(
        { length: RATE + 1 },
        async (_, i) => (await anonymous(limited, '/hpki/challenge', `192.0.2.44:${1000 + i}`)).status,
      ),
    );
    expect(v4.filter((s) => s === 200)).toHaveLength(RATE);
    expect(v4.filter((s) => s === 429)).toHaveLength(1);
    // One home line's /56: its /64s, written with ports, are one client.
    const v6 = await Promise.all(
      Array.from(
        { length: RATE + 1 },
        async (_, i) =>
          (await anonymous(limited, '/hpki/challenge', `[2001:db8:77:${(i % 256).toString(16)}::1]:${2000 + i}`))
            .status,
      ),
    );
    expect(v6.filter((s) => s === 200)).toHaveLength(RATE);
    expect(v6.filter((s) => s === 429)).toHaveLength(1);
    // Neither made "the proxy" (127.0.0.1) the client: it and the next /56 are served.
    expect((await anonymous(limited, '/hpki/challenge', '[2001:db8:77:100::1]:443')).status).toBe(200);
    expect((await fetch(`${limited.sso.url}/hpki/challenge`)).status).toBe(200);
  });
});

describe('one client holds only its share of the anonymous records', () => {
  it('a new doctor from another address completes a sign-in while the bound is under attack', async () => {
    const outcomes: Record<string, number> = {};
    const spellings = ['/auth', '/AUTH', '/Auth/', '/auth/'];
    await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        // The attacker moves through the /64s of its /56, with a port on each entry.
        const address = `[2001:db8:66:${(i % 200).toString(16)}::${i}]:${3000 + i}`;
        const res = await anonymous(shared, await authorizationPath(shared, spellings[i % 4]!), address);
        const location = res.headers.get('location') ?? '';
        const outcome = location.includes('error=temporarily_unavailable') ? 'refused' : String(res.status);
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      }),
    );
    expect(outcomes).toEqual({ 303: 30, refused: 170 });
    expect(await sharedStore.zcard('hpki-login:sso:~anonymous')).toBe(30);

    const b = browserAt(shared, '198.51.100.30');
    const start = await shared.rp.start();
    const outcome = await signIn(b, shared.issuer, start.url, doctor);
    expect(outcome.askedForCard).toBe(true);
    expect(outcome.callback?.searchParams.get('code')).toBeTruthy();
    const tokens = await shared.rp.finish(outcome.callback!, start);
    expect(tokens.claims()?.hpki_role).toBe('Medical Doctor');
  });
});

describe('a logout from a browser with no session', () => {
  it('stores nothing, whatever it carries, and still goes back to the registered URI with its state', async () => {
    // A real ID token, of a session that has ended since: what an attacker could replay.
    const b = browserAt(limited, '198.51.100.40');
    const start = await limited.rp.start();
    const outcome = await signIn(b, limited.issuer, start.url, doctor);
    const tokens = await limited.rp.finish(outcome.callback!, start);
    const logout = oidc.buildEndSessionUrl(limited.rp.config, {
      id_token_hint: tokens.id_token!,
      post_logout_redirect_uri: POST_LOGOUT,
    });
    const page = (await b.navigate(logout.href, { stayOn: [limited.issuer] })).at(-1)!;
    await submitForm(b, page.body, 'op.logoutForm', page.url);
    const staleCookie = b.cookie('sso_session');

    const before = await storedKeys();
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    for (let i = 0; i < 20; i++) {
      const address = `198.51.100.${50 + i}`;
      const withHint = await anonymous(
        limited,
        `/session/end?id_token_hint=${tokens.id_token}&post_logout_redirect_uri=${encodeURIComponent(POST_LOGOUT)}&state=s${i}`,
        address,
      );
      expect(withHint.status).toBe(303);
      expect(withHint.headers.get('location')).toBe(`${POST_LOGOUT}?state=s${i}`);
      const posted = await anonymous(limited, '/SESSION/END/', address, {
        method: 'POST',
        headers: form,
        body: new URLSearchParams({ client_id: 'records', post_logout_redirect_uri: POST_LOGOUT }).toString(),
      });
      expect(posted.status).toBe(303);
      const bare = await anonymous(limited, '/session/end', address, {
        headers: staleCookie === undefined ? {} : { cookie: `sso_session=${staleCookie}` },
      });
      expect(bare.status).toBe(200);
      const confirm = await anonymous(limited, '/session/end/confirm', address, {
        method: 'POST',
        headers: form,
        body: 'xsrf=guess&logout=yes',
      });
      expect(confirm.status).toBe(400);
    }
    expect(await storedKeys()).toEqual(before);

    // An unregistered URI or a forged hint is refused with a page, never a redirect.
    const wrong = await anonymous(
      limited,
      `/session/end?client_id=records&post_logout_redirect_uri=${encodeURIComponent('https://evil.example/')}`,
      '198.51.100.90',
    );
    expect([wrong.status, wrong.headers.get('location')]).toEqual([400, null]);
    const [head, , signature] = tokens.id_token!.split('.');
    const forged = `${head}.${Buffer.from(JSON.stringify({ aud: 'records', sub: 'x' })).toString('base64url')}.${signature}`;
    const forgedRes = await anonymous(
      limited,
      `/session/end?id_token_hint=${forged}&post_logout_redirect_uri=${encodeURIComponent(POST_LOGOUT)}`,
      '198.51.100.90',
    );
    expect([forgedRes.status, forgedRes.headers.get('location')]).toEqual([400, null]);
  });
});
