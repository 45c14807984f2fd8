import { createHash } from 'node:crypto';
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
import { type BackchannelReceiver, startBackchannelReceiver } from '../helpers/backchannel-receiver.js';
import { cardLogin, postLogin, type RelyingParty, relyingParty, signIn, submitForm } from '../helpers/sso-flow.js';

/**
 * Hostile and unlucky inputs at the provider's HPKI login (PROTOCOL.md §5, §10): each gets a clear
 * §5 code or OIDC error, and none of them leaves a session behind. Also the defaults an operator
 * relies on: memory state says it is for one process, and back-channel logout does not reach
 * loopback addresses without --allow-private-network.
 */

let dir: string;
let redis: RedisServer;
let store: Redis;
let receiver: BackchannelReceiver;
let issuer: string;
let sso: SsoProcess;
let doctor: CardSigner;
let rp: RelyingParty;

function browser(): CookieBrowser {
  const b = createCookieBrowser();
  b.route(issuer, sso.url);
  return b;
}

/** A browser on the provider's login page for a fresh authorization request. */
async function atLoginPage(): Promise<{
  browser: CookieBrowser;
  uid: string;
  start: Awaited<ReturnType<RelyingParty['start']>>;
}> {
  const b = browser();
  const start = await rp.start();
  const outcome = await signIn(b, issuer, start.url, undefined);
  expect(outcome.askedForCard).toBe(true);
  // The login page comes in the authorization request's answer; its cancel link names the interaction.
  const uid = /\/interaction\/([A-Za-z0-9_-]+)\/abort/.exec(outcome.hops.at(-1)!.body)![1]!;
  return { browser: b, uid, start };
}

/** No session was left: the same browser is asked for the card by the next authorization request. */
async function expectNoSession(b: CookieBrowser): Promise<void> {
  const next = await signIn(b, issuer, (await rp.start()).url, undefined);
  expect(next.askedForCard).toBe(true);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hpki-sso-hostile-'));
  const pki = join(dir, 'pki');
  redis = await startRedis();
  store = new Redis(redis.url);
  receiver = await startBackchannelReceiver();
  await createCardFile(join(dir, 'doctor.card'), pki, ['--holder-id', 'MD-0100']);
  doctor = await openCard(join(dir, 'doctor.card'));
  issuer = `http://localhost:${await freePort()}`;
  const clients = [
    {
      client_id: 'records',
      token_endpoint_auth_method: 'none',
      redirect_uris: ['http://localhost:9202/cb'],
      post_logout_redirect_uris: ['http://localhost:9202/'],
      backchannel_logout_uri: `${receiver.url}/records`,
    },
  ];
  await writeFile(join(dir, 'clients.json'), JSON.stringify(clients));
  sso = await startSso([
    '--issuer',
    issuer,
    '--clients',
    join(dir, 'clients.json'),
    '--pki',
    pki,
    '--redis',
    redis.url,
    '--keys',
    join(dir, 'keys.json'),
  ]);
  rp = await relyingParty({
    issuer,
    clientId: 'records',
    redirectUri: 'http://localhost:9202/cb',
    reach: () => sso.url,
  });
}, 120_000);

afterAll(async () => {
  await doctor?.close();
  const code = sso === undefined ? 0 : await stopSso(sso);
  store?.disconnect();
  await receiver?.close();
  await redis?.stop();
  await rm(dir, { recursive: true, force: true });
  expect(code).toBe(0);
});

describe('hostile inputs at the provider', () => {
  it('a token signed for another origin → 401 ERR_SIGNATURE_INVALID, no session', async () => {
    const { browser: b } = await atLoginPage();
    const challenge = (await (await b.fetch(`${issuer}/hpki/challenge`)).json()) as { challenge: string };
    const token = await doctor.token('https://portal.example.jp', challenge.challenge);
    const login = await postLogin(b, issuer, JSON.stringify({ token }));
    expect(login).toMatchObject({ status: 401, json: { error: { code: 'ERR_SIGNATURE_INVALID' } } });
    await expectNoSession(b);
  });

  it('a replayed challenge → 401 ERR_CHALLENGE_UNKNOWN; the first login still completes', async () => {
    const { browser: b, start } = await atLoginPage();
    let saved: unknown;
    const first = await cardLogin(b, issuer, doctor, (t) => (saved = t));
    expect(first.status).toBe(200);
    const replay = await postLogin(b, issuer, JSON.stringify({ token: saved }));
    expect(replay).toMatchObject({ status: 401, json: { error: { code: 'ERR_CHALLENGE_UNKNOWN' } } });
    const rest = await b.navigate(`${issuer}${String(first.json.redirect)}`, { stayOn: [issuer] });
    const callback = new URL(rest.at(-1)!.url);
    expect(callback.searchParams.get('code')).toBeTruthy();
    await rp.finish(callback, start);
  });

  it('an oversized or malformed token → 413/400 ERR_TOKEN_MALFORMED; the challenge is left for the real login', async () => {
    const { browser: b } = await atLoginPage();
    await b.fetch(`${issuer}/hpki/challenge`);
    const big = await postLogin(b, issuer, JSON.stringify({ token: 'x'.repeat(40 * 1024) }));
    expect(big).toMatchObject({ status: 413, json: { error: { code: 'ERR_TOKEN_MALFORMED' } } });
    for (const body of [
      '{"token":',
      JSON.stringify({ token: { format: 'hpki-login:1', algorithm: 'none' } }),
      JSON.stringify({ token: 'a', extra: 1 }),
    ]) {
      const bad = await postLogin(b, issuer, body);
      expect(bad).toMatchObject({ status: 400, json: { error: { code: 'ERR_TOKEN_MALFORMED' } } });
    }
    const noHeader = await b.fetch(`${issuer}/hpki/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(noHeader.status).toBe(400);
    await expectNoSession(b);
  });

  it('a login POST for an interaction that expired → 401 ERR_CHALLENGE_EXPIRED, no session', async () => {
    const { browser: b } = await atLoginPage();
    const cookie = b.cookie('hpki-sso');
    expect(cookie).toBeDefined();
    // Records name a browser by the hash of its cookie (records.ts).
    const bindingKey = `hpki-login:sso:m:HpkiBinding:${createHash('sha256').update(cookie!).digest('base64url')}`;
    const binding = JSON.parse((await store.hget(bindingKey!, 'p'))!) as { uid: string; interactionExpiresAt: number };
    await store.hset(
      bindingKey!,
      'p',
      JSON.stringify({ ...binding, interactionExpiresAt: Math.floor(Date.now() / 1000) - 1 }),
    );
    const login = await cardLogin(b, issuer, doctor);
    expect(login).toMatchObject({ status: 401, json: { error: { code: 'ERR_CHALLENGE_EXPIRED' } } });
    await expectNoSession(b);
  });

  it('an interaction that is gone → the login page and its completion answer a 400 page, not a redirect', async () => {
    const { browser: b, uid } = await atLoginPage();
    const login = await cardLogin(b, issuer, doctor);
    expect(login.status).toBe(200);
    await store.del(`hpki-login:sso:m:Interaction:${uid}`);
    for (const path of [`/interaction/${uid}`, `/interaction/${uid}/login`]) {
      const hops = await b.navigate(`${issuer}${path}`, { stayOn: [issuer] });
      expect(hops).toHaveLength(1);
      expect(hops[0]).toMatchObject({ status: 400, location: null });
      expect(hops[0]!.body).toContain('別のブラウザ');
    }
    await expectNoSession(b);
  });

  it('a login POST from another browser, or its completion there, gets nothing; the doctor still signs in', async () => {
    const victim = await atLoginPage();
    const attacker = browser();
    const stolen = await cardLogin(attacker, issuer, doctor);
    expect(stolen).toMatchObject({ status: 401, json: { error: { code: 'ERR_CHALLENGE_UNKNOWN' } } });

    const login = await cardLogin(victim.browser, issuer, doctor);
    expect(login.status).toBe(200);
    const redirect = String(login.json.redirect);
    expect(redirect).toBe(`/auth/${victim.uid}`);
    const elsewhere = await attacker.navigate(`${issuer}${redirect}`, { stayOn: [issuer] });
    expect(elsewhere.at(-1)!.status).toBe(400);
    await expectNoSession(attacker);

    const rest = await victim.browser.navigate(`${issuer}${redirect}`, { stayOn: [issuer] });
    const callback = new URL(rest.at(-1)!.url);
    expect(callback.searchParams.get('code')).toBeTruthy();
    const tokens = await rp.finish(callback, victim.start);
    expect(tokens.claims()?.hpki_role).toBe('Medical Doctor');
  });

  it('paths and methods it does not serve get clear refusals', async () => {
    const b = browser();
    expect((await b.fetch(`${issuer}/hpki/login`)).status).toBe(405);
    expect((await b.fetch(`${issuer}/hpki/challenge`, { method: 'POST' })).status).toBe(405);
    expect((await b.fetch(`${issuer}/interaction/..%2F..%2Fetc`)).status).toBe(400);
    expect((await b.fetch(`${issuer}/interaction/${'a'.repeat(30)}/abort`, { method: 'POST' })).status).toBe(405);
    const descriptor = (await (await b.fetch(`${issuer}/.well-known/hpki-login`)).json()) as Record<string, unknown>;
    expect(descriptor).toMatchObject({
      hpkiLogin: 1,
      challengeUrl: '/hpki/challenge',
      loginUrl: '/hpki/login',
      button: { selector: '#hpki-sso-login' },
    });
  });
});

describe('defaults an operator relies on', () => {
  it('without --allow-private-network, back-channel logout is not sent to a loopback address (and the operator is told)', async () => {
    const b = browser();
    const start = await rp.start();
    const outcome = await signIn(b, issuer, start.url, doctor);
    const tokens = await rp.finish(outcome.callback!, start);
    const logout = oidc.buildEndSessionUrl(rp.config, {
      id_token_hint: tokens.id_token!,
      post_logout_redirect_uri: 'http://localhost:9202/',
    });
    const page = (await b.navigate(logout.href, { stayOn: [issuer] })).at(-1)!;
    const [done] = await submitForm(b, page.body, 'op.logoutForm', page.url);
    expect(done!.location).toBe('http://localhost:9202/');
    await expect.poll(() => sso.stderr(), { timeout: 5_000 }).toContain('back-channel logout to records failed');
    expect(receiver.tokens('/records')).toEqual([]);
  });

  it('memory state says at start that it is for one process; --redis without --keys is refused', async () => {
    const memory = await startSso([
      '--issuer',
      `http://localhost:${await freePort()}`,
      '--clients',
      join(dir, 'clients.json'),
      '--pki',
      join(dir, 'pki'),
    ]);
    try {
      expect(memory.stdout()).toContain('state kept in memory: this process only');
      expect(memory.stdout()).toContain('keys: ephemeral');
    } finally {
      expect(await stopSso(memory)).toBe(0);
    }
    await expect(
      startSso(['--issuer', 'http://localhost:1', '--clients', join(dir, 'clients.json'), '--redis', redis.url]),
    ).rejects.toThrow(/exited with 2.*--keys/s);
  });
});
