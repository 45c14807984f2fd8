import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { createMemoryChallengeStore } from '../../../../server/challenge-store/index.js';
import {
  clientKeyOf,
  createClientAddress,
  createRateLimiter,
  DEFAULT_CHALLENGE_RATE,
  forwardedAddressOf,
} from '../../../../server/http/index.js';
import { getChallenge, postLogin, type Site, signedToken, startSite } from '../../../helpers/vector-site.js';

/**
 * What anonymous traffic can do to other people's logins: a full challenge store refuses new
 * challenges (503, Retry-After) and keeps every pending one; per-client rate limits answer 429 with
 * Retry-After and recover; clients are told apart by address (a /64 for IPv6), through
 * X-Forwarded-For only from a trusted proxy.
 */

function clock(start = 1_800_000_000_000): { now: () => number; advance(ms: number): void } {
  let t = start;
  return {
    now: () => t,
    advance: (ms) => {
      t += ms;
    },
  };
}

function request(remoteAddress: string, forwardedFor?: string): IncomingMessage {
  const headers = forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor };
  return { socket: { remoteAddress }, headers } as unknown as IncomingMessage;
}

/** `count` cookie-less challenge GETs, `parallel` at a time; the statuses and Retry-After values seen. */
async function flood(
  site: Site,
  count: number,
  headers: Record<string, string> | ((i: number) => Record<string, string>) = {},
  parallel = 32,
) {
  const statuses = new Map<number, number>();
  const retryAfter = new Set<string | null>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      const res = await fetch(`${site.url}/hpki/challenge`, {
        headers: typeof headers === 'function' ? headers(i) : headers,
      });
      await res.arrayBuffer();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      if (res.status !== 200) retryAfter.add(res.headers.get('retry-after'));
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return { statuses: Object.fromEntries(statuses), retryAfter: [...retryAfter] };
}

describe('rate limiter', () => {
  it('allows `limit` per window, refuses with the seconds until the next one, and refills', () => {
    const c = clock();
    const limiter = createRateLimiter({ limit: 3, windowMs: 30_000, now: c.now });
    expect([1, 2, 3].map(() => limiter.hit('4:192.0.2.1').allowed)).toEqual([true, true, true]);
    expect(limiter.hit('4:192.0.2.1')).toEqual({ allowed: false, reason: 'rate', retryAfterSeconds: 10 });
    // Refused requests spend nothing, and another client has its own bucket.
    expect(limiter.hit('4:192.0.2.2').allowed).toBe(true);
    c.advance(9_999);
    expect(limiter.hit('4:192.0.2.1')).toEqual({ allowed: false, reason: 'rate', retryAfterSeconds: 1 });
    c.advance(1);
    expect(limiter.hit('4:192.0.2.1').allowed).toBe(true);
    expect(limiter.hit('4:192.0.2.1').allowed).toBe(false);
    // A whole window later the bucket is full again.
    c.advance(30_000);
    expect([1, 2, 3, 4].map(() => limiter.hit('4:192.0.2.1').allowed)).toEqual([true, true, true, false]);
  });

  it('when it tracks its maximum of clients, refuses a new one (503) and forgets no count', () => {
    const c = clock();
    const limiter = createRateLimiter({ limit: 1, windowMs: 60_000, maxClients: 2, now: c.now });
    expect(limiter.hit('a').allowed).toBe(true);
    c.advance(20_000);
    expect(limiter.hit('b').allowed).toBe(true);
    expect(limiter.hit('c')).toEqual({ allowed: false, reason: 'full', retryAfterSeconds: 40 });
    // a's spent request is still counted: it is not handed a fresh bucket.
    expect(limiter.hit('a')).toMatchObject({ allowed: false, reason: 'rate' });
    c.advance(40_000);
    expect(limiter.hit('c').allowed).toBe(true);
  });

  it('refuses nonsensical limits', () => {
    expect(() => createRateLimiter({ limit: 0, windowMs: 60_000 })).toThrow(RangeError);
    expect(() => createRateLimiter({ limit: 1.5, windowMs: 60_000 })).toThrow(RangeError);
    expect(() => createRateLimiter({ limit: 10, windowMs: 10 })).toThrow(RangeError);
  });
});

describe('client address', () => {
  it('is the remote address, an IPv6 client its /56, a mapped IPv4 address the IPv4 address', () => {
    expect(clientKeyOf('192.0.2.7')).toBe('4:192.0.2.7');
    expect(clientKeyOf('::ffff:192.0.2.7')).toBe('4:192.0.2.7');
    expect(clientKeyOf('2001:db8:1:2:aaaa::1')).toBe('6:2001:db8:1:0::/56');
    expect(clientKeyOf('2001:db8:1:2ff:ffff:ffff:ffff:ffff')).toBe('6:2001:db8:1:200::/56');
    // The 256 /64s of one home line's /56 are one client; the next /56 is another.
    expect(clientKeyOf('2001:db8:1:ff::1')).toBe(clientKeyOf('2001:db8:1:0::1'));
    expect(clientKeyOf('2001:db8:1:100::1')).not.toBe(clientKeyOf('2001:db8:1:0::1'));
    expect(clientKeyOf('2001:db8::1')).toBe('6:2001:db8:0:0::/56');
    expect(clientKeyOf('fe80::1%eth0')).toBe('6:fe80:0:0:0::/56');
    expect(clientKeyOf('::1')).toBe('6:0:0:0:0::/56');
  });

  it('reads forwarded entries with ports: ip:port, [v6]:port and [v6] are the address', () => {
    expect(forwardedAddressOf('192.0.2.1:5123')).toBe('192.0.2.1');
    expect(forwardedAddressOf(' [2001:db8::1]:443 ')).toBe('2001:db8::1');
    expect(forwardedAddressOf('[2001:db8::1]')).toBe('2001:db8::1');
    expect(forwardedAddressOf('2001:db8::1')).toBe('2001:db8::1');
    expect(forwardedAddressOf('[2001:db8::1]:x')).toBe('[2001:db8::1]:x');
    const proxied = createClientAddress({ trustProxy: ['127.0.0.1'] });
    expect(proxied(request('127.0.0.1', '192.0.2.1:5123'))).toBe('4:192.0.2.1');
    expect(proxied(request('127.0.0.1', '192.0.2.2:80'))).not.toBe(proxied(request('127.0.0.1', '192.0.2.1:80')));
    expect(proxied(request('127.0.0.1', '[2001:db8:5::7]:5123'))).toBe('6:2001:db8:5:0::/56');
    expect(proxied(request('127.0.0.1', '[::ffff:192.0.2.9]:1'))).toBe('4:192.0.2.9');
    // Still not the proxy itself: each entry with a port is its own client.
    expect(proxied(request('127.0.0.1', '192.0.2.1:5123'))).not.toBe('4:127.0.0.1');
  });

  it('ignores X-Forwarded-For unless the request comes from a trusted proxy', () => {
    const direct = createClientAddress();
    expect(direct(request('198.51.100.9', '192.0.2.1'))).toBe('4:198.51.100.9');
    const proxied = createClientAddress({ trustProxy: ['127.0.0.1', '10.0.0.0/8'] });
    expect(proxied(request('198.51.100.9', '192.0.2.1'))).toBe('4:198.51.100.9');
    expect(proxied(request('127.0.0.1', '192.0.2.1'))).toBe('4:192.0.2.1');
    expect(proxied(request('::ffff:127.0.0.1', '192.0.2.1'))).toBe('4:192.0.2.1');
    // The client's own entries (left) are not believed; trusted hops (right) are skipped.
    expect(proxied(request('127.0.0.1', '203.0.113.5, 192.0.2.1, 10.1.2.3'))).toBe('4:192.0.2.1');
    // A malformed entry stops the walk: the proxy itself is then the client.
    expect(proxied(request('127.0.0.1', '192.0.2.1, not-an-address'))).toBe('4:127.0.0.1');
    expect(proxied(request('127.0.0.1'))).toBe('4:127.0.0.1');
    expect(() => createClientAddress({ trustProxy: ['10.0.0.0/33'] })).toThrow(RangeError);
    expect(() => createClientAddress({ trustProxy: ['proxy.example'] })).toThrow(RangeError);
  });
});

/** The site behind a proxy it trusts on 127.0.0.1: X-Forwarded-For names the client. */
const proxied = createClientAddress({ trustProxy: ['127.0.0.1'] });

describe('HPKI routes under a flood of anonymous challenge requests', () => {
  it('10 050 cookie-less GETs from 201 addresses: the store refuses new ones (503, Retry-After), the pending login succeeds', async () => {
    const site = await startSite(createMemoryChallengeStore(), { challenge: false, clientOf: proxied });
    const doctor = await getChallenge(site);
    // Each address holds about 50, under its share (100): the whole bound is what refuses.
    const { statuses, retryAfter } = await flood(site, 10_050, (i) => ({ 'x-forwarded-for': `198.18.0.${i % 201}` }));
    // 10 000 pending at most, the doctor's among them.
    expect(statuses).toEqual({ 200: 9_999, 503: 51 });
    // Every refusal says when the oldest challenge leaves the store (TTL + grace, 360 s): a whole
    // number of seconds, which may tick down while the flood runs.
    const seconds = retryAfter.map(Number);
    expect(seconds.length).toBeGreaterThanOrEqual(1);
    expect(seconds.every((s) => Number.isInteger(s) && s >= 1 && s <= 360)).toBe(true);
    const login = await postLogin(site, { token: signedToken('ee', doctor.challenge) }, { cookie: doctor.cookie });
    expect([login.status, login.json.redirect]).toEqual([200, '/portal']);
  }, 120_000);

  it('with no rate limit, one address holds only its share of the store (429, Retry-After); others still get challenges', async () => {
    const site = await startSite(createMemoryChallengeStore(), { challenge: false, clientOf: proxied });
    const doctor = await getChallenge(site);
    const { statuses, retryAfter } = await flood(site, 10_050, { 'x-forwarded-for': '203.0.113.9' });
    // A hundredth of the 10 000: the rest of the store stays for everybody else.
    expect(statuses).toEqual({ 200: 100, 429: 9_950 });
    const seconds = retryAfter.map(Number);
    expect(seconds.every((s) => Number.isInteger(s) && s >= 1 && s <= 360)).toBe(true);
    // Its IPv6 neighbours in another /56, and another IPv4 address, are served.
    const other = await fetch(`${site.url}/hpki/challenge`, { headers: { 'x-forwarded-for': '2001:db8:0:200::1' } });
    expect(other.status).toBe(200);
    const refused = await fetch(`${site.url}/hpki/challenge`, { headers: { 'x-forwarded-for': '203.0.113.9' } });
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/too many requests/);
    const login = await postLogin(site, { token: signedToken('ee', doctor.challenge) }, { cookie: doctor.cookie });
    expect([login.status, login.json.redirect]).toEqual([200, '/portal']);
  }, 120_000);

  it('at the default rate, one address is held to it (429) and the pending login succeeds', async () => {
    // The clock stands still: what is counted does not depend on how fast this machine floods.
    const c = clock();
    const site = await startSite(createMemoryChallengeStore(), {
      challenge: createRateLimiter({ ...DEFAULT_CHALLENGE_RATE, now: c.now }),
    });
    const doctor = await getChallenge(site);
    const { statuses, retryAfter } = await flood(site, 10_050);
    expect(statuses).toEqual({ 200: 59, 429: 10_050 - 59 });
    expect(retryAfter).toEqual(['1']);
    const login = await postLogin(site, { token: signedToken('ee', doctor.challenge) }, { cookie: doctor.cookie });
    expect([login.status, login.json.redirect]).toEqual([200, '/portal']);
  }, 120_000);
});

describe('HPKI routes rate limits', () => {
  it('challenge: 429 with Retry-After beyond the limit, other clients unaffected, then recovery', async () => {
    const c = clock();
    const site = await startSite(createMemoryChallengeStore(), {
      challenge: createRateLimiter({ limit: 5, windowMs: 60_000, now: c.now }),
      clientOf: createClientAddress({ trustProxy: ['127.0.0.1'] }),
    });
    const from = (address: string) => ({ 'x-forwarded-for': address });
    expect((await flood(site, 5, from('192.0.2.1'), 1)).statuses).toEqual({ 200: 5 });
    const limited = await fetch(`${site.url}/hpki/challenge`, { headers: from('192.0.2.1') });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('12');
    expect(((await limited.json()) as { error: { code: string } }).error.code).toBe('ERR_HPKI_INTERNAL');
    expect((await fetch(`${site.url}/hpki/challenge`, { headers: from('198.51.100.2') })).status).toBe(200);
    c.advance(12_000);
    expect((await fetch(`${site.url}/hpki/challenge`, { headers: from('192.0.2.1') })).status).toBe(200);
    expect((await fetch(`${site.url}/hpki/challenge`, { headers: from('192.0.2.1') })).status).toBe(429);
  });

  it('login: 429 with Retry-After beyond the limit, before the challenge is touched; then recovery', async () => {
    const c = clock();
    const site = await startSite(createMemoryChallengeStore(), {
      login: createRateLimiter({ limit: 2, windowMs: 60_000, now: c.now }),
    });
    const doctor = await getChallenge(site);
    for (let i = 0; i < 2; i++) {
      const wrong = await postLogin(site, { token: 'not a token' }, { cookie: doctor.cookie });
      expect(wrong.status).toBe(400);
    }
    const token = signedToken('ee', doctor.challenge);
    const limited = await postLogin(site, { token }, { cookie: doctor.cookie });
    expect(limited.status).toBe(429);
    expect(limited.res.headers.get('retry-after')).toBe('30');
    c.advance(30_000);
    const login = await postLogin(site, { token }, { cookie: doctor.cookie });
    expect([login.status, login.json.redirect]).toEqual([200, '/portal']);
  });
});
