import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CookieBrowser, createCookieBrowser } from '../../scripts/dev/cookie-browser.js';
import { freePort } from '../../scripts/dev/free-port.js';
import { type CardSigner, openCard } from '../../scripts/dev/sso-card.js';
import { type SsoProcess, startSso, stopSso } from '../../scripts/dev/sso-provider.js';
import { createCardFile } from '../../scripts/dev/virtual-card-process.js';
import { type RelyingParty, relyingParty, signIn } from '../helpers/sso-flow.js';

/**
 * The provider (`hpki-login sso`, memory state, behind a proxy it trusts on 127.0.0.1) under the
 * flood that spoiled the portal's logins: 10 050 cookie-less challenge requests from one address.
 * The doctor whose login was pending when it began completes it; a doctor who arrives during it,
 * from another address, signs in too; and one address cannot fill the store with login-page bindings.
 * Then a flood of authorization requests from many addresses (each under its rate): the store
 * refuses new sign-ins beyond its bound of records anybody can make, and the pending one completes.
 */

const DOCTOR_ADDRESS = '198.51.100.2';
const LATE_DOCTOR_ADDRESS = '198.51.100.3';
const FLOOD_ADDRESS = '203.0.113.9';
const PAGE_FLOOD_ADDRESS = '203.0.113.10';

let dir: string;
let issuer: string;
let sso: SsoProcess;
let doctor: CardSigner;
let rp: RelyingParty;

function browser(address: string): CookieBrowser {
  const b = createCookieBrowser({ headers: { 'x-forwarded-for': address } });
  b.route(issuer, sso.url);
  return b;
}

async function flood(path: string, count: number): Promise<Record<number, number>> {
  const statuses: Record<number, number> = {};
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      next++;
      const res = await fetch(`${sso.url}${path}`, { headers: { 'x-forwarded-for': FLOOD_ADDRESS } });
      await res.arrayBuffer();
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
  return statuses;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hpki-sso-flood-'));
  const pki = join(dir, 'pki');
  await createCardFile(join(dir, 'doctor.card'), pki, ['--holder-id', 'MD-0200']);
  doctor = await openCard(join(dir, 'doctor.card'));
  issuer = `http://localhost:${await freePort()}`;
  const clients = [
    {
      client_id: 'records',
      token_endpoint_auth_method: 'none',
      redirect_uris: ['http://localhost:9203/cb'],
      post_logout_redirect_uris: ['http://localhost:9203/'],
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
    '--trust-proxy',
    '127.0.0.1',
    '--max-pending-sign-ins',
    '200',
  ]);
  rp = await relyingParty({
    issuer,
    clientId: 'records',
    redirectUri: 'http://localhost:9203/cb',
    reach: () => sso.url,
  });
}, 120_000);

afterAll(async () => {
  await doctor?.close();
  const code = sso === undefined ? 0 : await stopSso(sso);
  await rm(dir, { recursive: true, force: true });
  expect(code).toBe(0);
});

describe('the provider under a flood of anonymous challenge requests', () => {
  it('completes the pending login, and signs in a doctor who arrives during the flood', async () => {
    const pending = browser(DOCTOR_ADDRESS);
    const start = await rp.start();
    expect((await signIn(pending, issuer, start.url, undefined)).askedForCard).toBe(true);
    // The doctor's challenge is issued; the card is still being read when the flood comes.
    const challenge = (await (await pending.fetch(`${issuer}/hpki/challenge`)).json()) as { challenge: string };

    const statuses = await flood('/hpki/challenge', 10_050);
    expect(statuses[200]! + statuses[429]!).toBe(10_050);
    expect(statuses[429]).toBeGreaterThan(9_000);

    const token = await doctor.token(issuer, challenge.challenge);
    const login = await pending.fetch(`${issuer}/hpki/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hpki-login': '1' },
      body: JSON.stringify({ token }),
    });
    expect(login.status).toBe(200);
    const { redirect } = (await login.json()) as { redirect: string };
    const rest = await pending.navigate(`${issuer}${redirect}`, { stayOn: [issuer] });
    const callback = new URL(rest.at(-1)!.url);
    expect(callback.searchParams.get('code')).toBeTruthy();
    const tokens = await rp.finish(callback, start);
    const sub = tokens.claims()?.sub;
    expect(sub).toMatch(/^[A-Za-z0-9_-]{43}$/);

    // Another doctor, from another address, starts and completes a sign-in as if nothing happened.
    const late = browser(LATE_DOCTOR_ADDRESS);
    const lateStart = await rp.start();
    const outcome = await signIn(late, issuer, lateStart.url, doctor);
    expect(outcome.callback?.searchParams.get('code')).toBeTruthy();
    expect((await rp.finish(outcome.callback!, lateStart)).claims()?.sub).toBe(sub);
  }, 180_000);

  it('holds one address to its rate of login pages, which write bindings', async () => {
    const attacker = browser(PAGE_FLOOD_ADDRESS);
    const start = await rp.start();
    const hops = await attacker.navigate(String(start.url), { stayOn: [issuer] });
    // The login page comes in the authorization request's answer; it is shown again at /interaction/<uid>.
    const uid = /\/interaction\/([A-Za-z0-9_-]+)\/abort/.exec(hops.at(-1)!.body)?.[1];
    expect(uid).toBeDefined();
    const page = { pathname: `/interaction/${uid}` };
    // Cookie-less views of its own login page would each write a new binding.
    const interactionCookie = attacker.cookie('sso_interaction');
    expect(interactionCookie).toBeDefined();
    let limited = 0;
    for (let i = 0; i < 100; i++) {
      const res = await fetch(`${sso.url}${page.pathname}`, {
        headers: { 'x-forwarded-for': PAGE_FLOOD_ADDRESS, cookie: `sso_interaction=${interactionCookie}` },
      });
      await res.arrayBuffer();
      if (res.status === 429) {
        limited++;
        expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      }
    }
    expect(limited).toBeGreaterThan(0);
    // The doctor's address is unaffected.
    const other = browser(DOCTOR_ADDRESS);
    const otherStart = await rp.start();
    expect((await signIn(other, issuer, otherStart.url, doctor)).callback?.searchParams.get('code')).toBeTruthy();
  }, 60_000);

  it('authorization requests from many addresses fill only the anonymous room: the pending login completes', async () => {
    const pending = browser(DOCTOR_ADDRESS);
    const start = await rp.start();
    const first = await signIn(pending, issuer, start.url, undefined);
    expect(first.hops.at(-1)).toMatchObject({ status: 200 });
    expect(first.askedForCard).toBe(true);

    let refused = 0;
    for (let i = 0; i < 300; i++) {
      const attempt = await rp.start();
      const res = await fetch(`${sso.url}${attempt.url.pathname}${attempt.url.search}`, {
        headers: { 'x-forwarded-for': `198.18.${Math.floor(i / 250)}.${i % 250}` },
        redirect: 'manual',
      });
      await res.arrayBuffer();
      if (res.headers.get('location')?.includes('error=temporarily_unavailable')) refused++;
    }
    // 200 records at most, some of them already taken by the sign-ins before.
    expect(refused).toBeGreaterThanOrEqual(100);
    // A new sign-in waits…
    const late = browser(LATE_DOCTOR_ADDRESS);
    const lateHops = await late.navigate(String((await rp.start()).url), { stayOn: [issuer] });
    expect(lateHops.at(-1)!.url).toContain('error=temporarily_unavailable');

    // …and the one under way, its login page shown before the flood, completes: challenge, card,
    // proof, session, code, tokens.
    const challenge = (await (await pending.fetch(`${issuer}/hpki/challenge`)).json()) as { challenge: string };
    const login = await pending.fetch(`${issuer}/hpki/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hpki-login': '1' },
      body: JSON.stringify({ token: await doctor.token(issuer, challenge.challenge) }),
    });
    expect(login.status).toBe(200);
    const { redirect } = (await login.json()) as { redirect: string };
    const rest = await pending.navigate(`${issuer}${redirect}`, { stayOn: [issuer] });
    const callback = new URL(rest.at(-1)!.url);
    expect(callback.searchParams.get('code')).toBeTruthy();
    expect((await rp.finish(callback, start)).claims()?.sub).toMatch(/^[A-Za-z0-9_-]{43}$/);
  }, 120_000);
});
