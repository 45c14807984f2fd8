import { createPrivateKey, sign } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type IssuedCert,
  issueHolderCertificates,
  loadOrCreateMockPki,
  type MockPki,
} from '../../native-host/mock-pki/index.js';
import { buildSignedContent } from '../../protocol/signed-data.js';
import { encodeToken } from '../../protocol/token.js';
import { challengeFrom, type Portal, startPortal, stopPortal } from '../../scripts/dev/demo-portal.js';
import { type RedisServer, startRedis } from '../../scripts/dev/redis.js';

/**
 * The measured attack on real `hpki-login demo` processes: 10 050 cookie-less GET /hpki/challenge,
 * then the login that was pending when they began. It must succeed: with the default limits the
 * flooding address is held to its rate (429); without a rate it is held to its share of the store
 * (429), across processes; many addresses together fill the store, which refuses new challenges
 * (503, Retry-After), in memory and in Redis shared by two processes, never dropping a pending one.
 * And the login limit counts the password form and the HPKI login together.
 */

const FLOOD = 10_050;

let pkiDir: string;
let pki: MockPki;
let doctor: IssuedCert;
let redis: RedisServer;
const portals: Portal[] = [];

async function portal(args: string[]): Promise<Portal> {
  const started = await startPortal(['--pki', pkiDir, '--no-sso', ...args]);
  portals.push(started);
  return started;
}

function token(origin: string, challenge: string) {
  const key = createPrivateKey({ key: Buffer.from(doctor.privateKeyPkcs8), format: 'der', type: 'pkcs8' });
  const signature = sign('sha256', buildSignedContent({ origin, challenge, certificate: doctor.certificate }), key);
  return encodeToken({ certificate: doctor.certificate, intermediates: [pki.authCa.certificate], signature });
}

async function login(
  at: Portal,
  origin: string,
  pending: { challenge: string; cookie: string },
  headers: Record<string, string> = {},
) {
  const res = await fetch(`${at.url}/hpki/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-hpki-login': '1', cookie: pending.cookie, ...headers },
    body: JSON.stringify({ token: token(origin, pending.challenge) }),
  });
  const json = (await res.json()) as { redirect?: string; error?: { code: string } };
  return {
    status: res.status,
    redirect: json.redirect,
    code: json.error?.code,
    retryAfter: res.headers.get('retry-after'),
  };
}

/**
 * `count` cookie-less challenge GETs spread over `targets`, the i-th from `from(i)` (an
 * X-Forwarded-For entry, for portals that trust 127.0.0.1) or from 127.0.0.1 itself; the statuses,
 * and whether each refusal said when to retry.
 */
async function flood(targets: Portal[], count: number, from?: (i: number) => string) {
  const statuses: Record<number, number> = {};
  let withoutRetryAfter = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      const target = targets[i % targets.length]!;
      const headers: Record<string, string> = from === undefined ? {} : { 'x-forwarded-for': from(i) };
      const res = await fetch(`${target.url}/hpki/challenge`, { headers });
      await res.arrayBuffer();
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      if (res.status !== 200 && !(Number(res.headers.get('retry-after')) >= 1)) withoutRetryAfter++;
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
  return { statuses, withoutRetryAfter };
}

beforeAll(async () => {
  pkiDir = await mkdtemp(join(tmpdir(), 'hpki-flood-pki-'));
  pki = await loadOrCreateMockPki(pkiDir);
  doctor = (await issueHolderCertificates(pki, { name: 'Nichii Taro', role: 'Medical Doctor' })).auth;
  redis = await startRedis();
}, 60_000);

afterAll(async () => {
  const codes = await Promise.all(portals.map(stopPortal));
  await redis?.stop();
  if (pkiDir !== undefined) await rm(pkiDir, { recursive: true, force: true });
  expect(codes).toEqual(portals.map(() => 0));
});

describe('10 050 anonymous challenge requests, then a pending login', () => {
  it('default limits, memory store: the flooding address gets 429, the pending login succeeds', async () => {
    const site = await portal([]);
    const pending = await challengeFrom(site);
    const { statuses, withoutRetryAfter } = await flood([site], FLOOD);
    expect(Object.keys(statuses).sort()).toEqual(['200', '429']);
    expect(statuses[429]).toBeGreaterThan(FLOOD - 1_000);
    expect(withoutRetryAfter).toBe(0);
    expect(await login(site, site.origin, pending)).toMatchObject({ status: 200, redirect: '/portal' });
  }, 120_000);

  // Without a rate limit, each of 201 addresses sends about 50, under its share of the store (100):
  // the whole bound is what refuses.
  const many = (i: number): string => `198.18.0.${i % 201}`;
  const proxied = ['--challenge-rate', '0', '--trust-proxy', '127.0.0.1'];

  it('no rate limit, memory store, many addresses: new challenges are refused (503), the pending login succeeds', async () => {
    const site = await portal(proxied);
    const pending = await challengeFrom(site);
    const { statuses, withoutRetryAfter } = await flood([site], FLOOD, many);
    expect(statuses).toEqual({ 200: 9_999, 503: FLOOD - 9_999 });
    expect(withoutRetryAfter).toBe(0);
    expect(await login(site, site.origin, pending)).toMatchObject({ status: 200, redirect: '/portal' });
  }, 120_000);

  it('no rate limit, two processes on one Redis, many addresses: the bound holds across both, the pending login succeeds', async () => {
    const first = await portal([...proxied, '--redis', redis.url]);
    const second = await portal([...proxied, '--redis', redis.url, '--origin', first.origin]);
    const pending = await challengeFrom(first);
    const { statuses, withoutRetryAfter } = await flood([first, second], FLOOD, many);
    expect(statuses).toEqual({ 200: 9_999, 503: FLOOD - 9_999 });
    expect(withoutRetryAfter).toBe(0);
    expect(await login(second, first.origin, pending)).toMatchObject({ status: 200, redirect: '/portal' });
  }, 120_000);

  it('no rate limit, two processes on one Redis, one address: it holds its share across both (429), others are served', async () => {
    const first = await portal([...proxied, '--redis', `${redis.url}/1`]);
    const second = await portal([...proxied, '--redis', `${redis.url}/1`, '--origin', first.origin]);
    const pending = await challengeFrom(first);
    const { statuses, withoutRetryAfter } = await flood([first, second], FLOOD, () => '203.0.113.9');
    // A hundredth of the 10 000, however the two processes share the flood.
    expect(statuses).toEqual({ 200: 100, 429: FLOOD - 100 });
    expect(withoutRetryAfter).toBe(0);
    const other = await fetch(`${second.url}/hpki/challenge`, { headers: { 'x-forwarded-for': '198.51.100.7' } });
    expect(other.status).toBe(200);
    expect(await login(second, first.origin, pending)).toMatchObject({ status: 200, redirect: '/portal' });
  }, 120_000);
});

describe('login rate limit behind a trusted proxy', () => {
  it('counts the password form and the HPKI login of one client together; other clients are unaffected', async () => {
    const site = await portal(['--trust-proxy', '127.0.0.1', '--login-rate', '3']);
    const password = (from: string, secret: string) =>
      fetch(`${site.url}/login`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'sec-fetch-site': 'same-origin',
          'x-forwarded-for': from,
        },
        body: new URLSearchParams({ id: 'demo', password: secret }).toString(),
        redirect: 'manual',
      });
    for (let i = 0; i < 3; i++) expect((await password('192.0.2.10', 'guess')).status).toBe(401);
    const limited = await password('192.0.2.10', 'demo-password');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('20');
    expect(await limited.text()).toContain('ログインの試行が多すぎます');

    const pending = await challengeFrom(site);
    const hpki = await login(site, site.origin, pending, { 'x-forwarded-for': '192.0.2.10' });
    expect([hpki.status, hpki.retryAfter]).toEqual([429, '20']);
    // Another client, and the same pending challenge from another address, go through.
    expect((await password('192.0.2.11', 'demo-password')).status).toBe(303);
    expect(await login(site, site.origin, pending, { 'x-forwarded-for': '192.0.2.12' })).toMatchObject({
      status: 200,
      redirect: '/portal',
    });
  }, 60_000);
});
