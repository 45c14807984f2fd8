import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCookieBrowser } from '../../scripts/dev/cookie-browser.js';
import { freePort } from '../../scripts/dev/free-port.js';
import { type RedisServer, startRedis } from '../../scripts/dev/redis.js';
import { type CardSigner, openCard } from '../../scripts/dev/sso-card.js';
import { type SsoProcess, startSso, stopSso } from '../../scripts/dev/sso-provider.js';
import { createCardFile } from '../../scripts/dev/virtual-card-process.js';
import { MAX_AUTHORIZATION_REQUEST_BYTES, MAX_INTERACTION_RECORD_BYTES } from '../../server/sso/request-size.js';
import { type RelyingParty, relyingParty, signIn } from '../helpers/sso-flow.js';

/**
 * The size of an authorization request (PROTOCOL.md §10 "Anonymous traffic"; docs/sso.md "Limits"):
 * oidc-provider copies every parameter into the interaction it stores, so a request over the bound
 * is refused before it reaches oidc-provider, whether its parameters come in the query or in a
 * POST body, and nothing is stored; a request at the bound stores a record no bigger than the
 * figure docs/sso.md sizes Redis with; a normal sign-in goes on.
 */

const REDIRECT = 'http://localhost:9212/cb';

let dir: string;
let redis: RedisServer;
let store: Redis;
let doctor: CardSigner;
let sso: SsoProcess;
let issuer: string;
let rp: RelyingParty;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hpki-sso-size-'));
  const pki = join(dir, 'pki');
  redis = await startRedis();
  store = new Redis(redis.url);
  await createCardFile(join(dir, 'doctor.card'), pki, ['--holder-id', 'MD-0400']);
  doctor = await openCard(join(dir, 'doctor.card'));
  const clientsFile = join(dir, 'clients.json');
  await writeFile(
    clientsFile,
    JSON.stringify([{ client_id: 'records', token_endpoint_auth_method: 'none', redirect_uris: [REDIRECT] }]),
  );
  // An https issuer (behind its TLS proxy) takes POST at the authorization endpoint too.
  issuer = `https://localhost:${await freePort()}`;
  sso = await startSso([
    '--issuer',
    issuer,
    '--port',
    String(await freePort()),
    '--host',
    '127.0.0.1',
    '--clients',
    clientsFile,
    '--pki',
    pki,
    '--redis',
    redis.url,
    '--keys',
    join(dir, 'keys.json'),
    '--challenge-rate',
    '0',
  ]);
  rp = await relyingParty({ issuer, clientId: 'records', redirectUri: REDIRECT, reach: () => sso.url });
}, 120_000);

afterAll(async () => {
  await doctor?.close();
  const code = sso === undefined ? 0 : await stopSso(sso);
  store?.disconnect();
  await redis?.stop();
  await rm(dir, { recursive: true, force: true });
  expect(code).toBe(0);
});

const storedKeys = async (): Promise<string[]> => (await store.keys('*')).sort();

/**
 * A valid authorization request of the relying party, `bytes` long (path and query), the room left
 * filled with `filler` in `into` (login_hint: oidc-provider stores it twice).
 */
async function requestOfSize(bytes: number, filler: string, into = 'state'): Promise<URL> {
  const url = (await rp.start()).url;
  const length = (): number => Buffer.byteLength(`${url.pathname}${url.search}`);
  url.searchParams.set(into, '');
  const unit = encodeURIComponent(filler).length;
  url.searchParams.set(into, filler.repeat(Math.floor((bytes - length()) / unit)));
  return url;
}

async function send(url: string, init: RequestInit = {}): Promise<{ status: number; body: string; res: Response }> {
  const res = await fetch(url.replace(issuer, sso.url), { redirect: 'manual', ...init });
  return { status: res.status, body: await res.text(), res };
}

describe('an authorization request over the size bound', () => {
  it('in the query: refused with invalid_request at the provider, never a redirect, nothing stored', async () => {
    const before = await storedKeys();
    const url = await requestOfSize(12_000, 'a');
    const { status, body, res } = await send(url.href);
    expect(status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
    expect(body).toContain('invalid_request');
    expect(body).toContain(String(MAX_AUTHORIZATION_REQUEST_BYTES));
    expect(await storedKeys()).toEqual(before);
  });

  it('in a POST body (well under oidc-provider’s own 56 KiB): refused, nothing stored', async () => {
    const before = await storedKeys();
    const url = await requestOfSize(40_000, 'a');
    const { status, body } = await send(`${issuer}/auth`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: url.search.slice(1),
    });
    expect(status).toBe(400);
    expect(body).toContain('invalid_request');
    expect(await storedKeys()).toEqual(before);
  });

  it('in a POST body without a length (chunked), whatever its size: refused, nothing stored', async () => {
    const before = await storedKeys();
    const url = await requestOfSize(1024, 'a');
    const bytes = new TextEncoder().encode(url.search.slice(1));
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes);
        controller.close();
      },
    });
    const { status, body: page } = await send(`${issuer}/auth`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(status).toBe(400);
    expect(page).toContain('invalid_request');
    expect(await storedKeys()).toEqual(before);
  });

  it('one byte over, by GET and by POST: refused; at the bound: a login page', async () => {
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    /** A POST of `bytes` in all: `/auth` and a body, one byte fewer than `/auth?` and the query. */
    const post = async (bytes: number) =>
      send(`${issuer}/auth`, {
        method: 'POST',
        headers: form,
        body: (await requestOfSize(bytes + 1, 'a')).search.slice(1),
      });
    const over = await requestOfSize(MAX_AUTHORIZATION_REQUEST_BYTES + 1, 'a');
    expect(Buffer.byteLength(`${over.pathname}${over.search}`)).toBe(MAX_AUTHORIZATION_REQUEST_BYTES + 1);
    expect((await send(over.href)).status).toBe(400);
    expect((await post(MAX_AUTHORIZATION_REQUEST_BYTES + 1)).status).toBe(400);
    const atBound = await requestOfSize(MAX_AUTHORIZATION_REQUEST_BYTES, 'a');
    expect(Buffer.byteLength(`${atBound.pathname}${atBound.search}`)).toBe(MAX_AUTHORIZATION_REQUEST_BYTES);
    expect((await send(atBound.href)).status).toBe(200);
    expect((await post(MAX_AUTHORIZATION_REQUEST_BYTES)).status).toBe(200);
  });
});

describe('the refusals in the metrics', () => {
  it('count as sign-ins refused with invalid_request, and as 400s of the authorization route', async () => {
    const text = await (await fetch(`${sso.url}/metrics`)).text();
    const refused = /hpki_sso_sign_ins_refused_total\{reason="invalid_request"\} (\d+)/.exec(text);
    expect(Number(refused?.[1])).toBeGreaterThanOrEqual(5);
    expect(text).toMatch(/hpki_sso_http_responses_total\{route="auth",status="400"\} [1-9]/);
  });
});

describe('what a request at the bound stores', () => {
  it('an interaction no bigger than the figure docs/sso.md sizes Redis with, whatever the characters', async () => {
    // Control characters grow most: three bytes in the URL (%01), six in the stored JSON (\u0001).
    for (const [filler, into] of [
      ['\u0001', 'login_hint'],
      ['\u0001', 'state'],
      ['\\', 'login_hint'],
      ['あ', 'login_hint'],
    ] as const) {
      const before = new Set(await storedKeys());
      const url = await requestOfSize(MAX_AUTHORIZATION_REQUEST_BYTES, filler, into);
      expect((await send(url.href)).status).toBe(200);
      const added = (await storedKeys()).filter((k) => !before.has(k));
      const interaction = added.find((k) => k.includes(':m:Interaction:'));
      expect(interaction).toBeDefined();
      for (const key of added) {
        const bytes = (await store.memory('USAGE', key)) ?? 0;
        expect(bytes, key).toBeLessThanOrEqual(MAX_INTERACTION_RECORD_BYTES);
      }
    }
  });
});

describe('a normal sign-in', () => {
  it('still works: login page, card, code', async () => {
    const browser = createCookieBrowser();
    browser.route(issuer, sso.url);
    const start = await rp.start({ login_hint: 'doctor@example.jp', ui_locales: 'ja en' });
    const outcome = await signIn(browser, issuer, start.url, doctor);
    expect(outcome.askedForCard).toBe(true);
    expect(outcome.callback?.searchParams.get('code')).toBeTruthy();
    const tokens = await rp.finish(outcome.callback!, start);
    expect(tokens.claims()?.hpki_role).toBe('Medical Doctor');
  });
});
