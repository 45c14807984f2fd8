import { describe, expect, it } from 'vitest';
import { createMemoryChallengeStore } from '../../../../server/challenge-store/index.js';
import {
  BASIC,
  DESCRIPTOR,
  fixedChallengeStore,
  getChallenge,
  OTHER_ORIGIN,
  postLogin,
  sessionCookieOf,
  signedToken,
  startSite,
} from '../../../helpers/vector-site.js';

/**
 * The HPKI routes on a real node:http server, with the real verifier trusting the shared test
 * vectors' mock chain. Tokens are either the vectors' own (whose challenges a test store hands out)
 * or signed here with the vectors' end-entity keys over challenges the real memory store issued.
 */

describe('descriptor and challenge routes', () => {
  it('serves the descriptor of PROTOCOL.md §1.1 as application/json', async () => {
    const site = await startSite();
    const res = await fetch(`${site.url}/.well-known/hpki-login`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual(DESCRIPTOR);
    expect((await fetch(`${site.url}/.well-known/hpki-login`, { method: 'POST' })).status).toBe(405);
  });

  it('issues a challenge bound to a new session cookie: HttpOnly, SameSite=Lax, Path=/, Secure', async () => {
    const site = await startSite();
    const first = await getChallenge(site);
    expect(first.challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const expiresIn = Date.parse(first.expiresAt) - Date.now();
    expect(expiresIn).toBeGreaterThan(0);
    expect(expiresIn).toBeLessThanOrEqual(5 * 60_000);
    const setCookie = first.res.headers.getSetCookie()[0]!;
    expect(setCookie).toMatch(/^__Host-hpki-session=[A-Za-z0-9_-]{43}; /);
    for (const attribute of ['HttpOnly', 'SameSite=Lax', 'Path=/', 'Secure']) expect(setCookie).toContain(attribute);
    expect(first.res.headers.get('cache-control')).toBe('no-store');

    const again = await getChallenge(site, first.cookie);
    expect(again.res.headers.getSetCookie()).toEqual([]);
    expect(again.challenge).not.toBe(first.challenge);
    expect((await fetch(`${site.url}/hpki/challenge`, { method: 'POST' })).status).toBe(405);
  });
});

describe('a challenge asked for by another site', () => {
  it.each(['cross-site', 'same-site'])(
    'Sec-Fetch-Site: %s is refused (403) and leaves the pending challenge of the session alone',
    async (site) => {
      const portal = await startSite();
      const { challenge, cookie } = await getChallenge(portal);
      // A page elsewhere sends the doctor's browser to the challenge URL, cookie and all.
      const sent = await fetch(`${portal.url}/hpki/challenge`, {
        headers: { cookie, 'sec-fetch-site': site, 'sec-fetch-mode': 'navigate' },
      });
      expect(sent.status).toBe(403);
      expect(((await sent.json()) as { error: { code: string } }).error.code).toBe('ERR_HPKI_INVALID_ARGUMENT');
      expect(sent.headers.getSetCookie()).toEqual([]);
      // The doctor's login over the challenge given before still goes through.
      expect((await postLogin(portal, { token: signedToken('ee', challenge) }, { cookie })).status).toBe(200);
    },
  );

  it("the site's own pages (same-origin) and clients that send no Sec-Fetch-Site get one", async () => {
    const portal = await startSite();
    const own = await fetch(`${portal.url}/hpki/challenge`, { headers: { 'sec-fetch-site': 'same-origin' } });
    expect(own.status).toBe(200);
    expect((await getChallenge(portal)).challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});

describe('login route', () => {
  it('accepts a test-vector token for its challenge and starts a new session (no fixation)', async () => {
    const site = await startSite(fixedChallengeStore([BASIC.challenge]));
    const { cookie } = await getChallenge(site);
    const login = await postLogin(site, { token: BASIC.token }, { cookie });
    expect(login.status).toBe(200);
    expect(login.json).toEqual({ redirect: '/portal' });
    const newCookie = sessionCookieOf(login.res);
    expect(newCookie).toBeDefined();
    expect(newCookie).not.toBe(cookie);
    const session = site.sessions.get(newCookie!.split('=')[1]!);
    expect(session?.hcRole).toBe('Medical Doctor');
    expect(session?.holder.name).toBe('Nichii Taro');
    expect(site.sessions.get(cookie.split('=')[1]!)).toBeUndefined();
  });

  it('refuses a replayed token with ERR_CHALLENGE_UNKNOWN', async () => {
    const site = await startSite();
    const { challenge, cookie } = await getChallenge(site);
    const token = signedToken('ee', challenge);
    expect((await postLogin(site, { token }, { cookie })).status).toBe(200);
    const replay = await postLogin(site, { token }, { cookie });
    expect(replay.status).toBe(401);
    expect(replay.json.error?.code).toBe('ERR_CHALLENGE_UNKNOWN');
  });

  it('refuses a token posted from another session', async () => {
    const site = await startSite();
    const victim = await getChallenge(site);
    const attacker = await getChallenge(site);
    const token = signedToken('ee', victim.challenge);
    const crossed = await postLogin(site, { token }, { cookie: attacker.cookie });
    expect(crossed.status).toBe(401);
    expect(crossed.json.error?.code).toBe('ERR_SIGNATURE_INVALID');
    const noSession = await postLogin(site, { token });
    expect(noSession.status).toBe(401);
    expect(noSession.json.error?.code).toBe('ERR_CHALLENGE_UNKNOWN');
  });

  it('checks tokens against its own origin, not the one they were signed for', async () => {
    const site = await startSite(fixedChallengeStore([OTHER_ORIGIN.challenge]));
    const { cookie } = await getChallenge(site);
    const login = await postLogin(site, { token: OTHER_ORIGIN.token }, { cookie });
    expect(login.status).toBe(401);
    expect(login.json.error?.code).toBe('ERR_SIGNATURE_INVALID');
  });

  it('says ERR_CHALLENGE_EXPIRED once the challenge is too old', async () => {
    let t = Date.now();
    const site = await startSite(createMemoryChallengeStore({ ttlMs: 60_000, now: () => t }));
    const { challenge, cookie } = await getChallenge(site);
    t += 61_000;
    const login = await postLogin(site, { token: signedToken('ee', challenge) }, { cookie });
    expect(login.status).toBe(401);
    expect(login.json.error?.code).toBe('ERR_CHALLENGE_EXPIRED');
  });

  it('answers 403 ERR_ROLE_NOT_ALLOWED for a role the site does not admit', async () => {
    const site = await startSite();
    const { challenge, cookie } = await getChallenge(site);
    const login = await postLogin(site, { token: signedToken('ee_pharm', challenge) }, { cookie });
    expect(login.status).toBe(403);
    expect(login.json.error?.code).toBe('ERR_ROLE_NOT_ALLOWED');
    expect(login.res.headers.getSetCookie()).toEqual([]);
  });

  it('answers 401 with the verifier code for a revoked or a signing-only certificate', async () => {
    const site = await startSite();
    for (const [holder, code] of [
      ['ee_revoked', 'ERR_CERT_REVOKED'],
      ['ee_sign', 'ERR_CERT_PURPOSE'],
    ] as const) {
      const { challenge, cookie } = await getChallenge(site);
      const login = await postLogin(site, { token: signedToken(holder, challenge) }, { cookie });
      expect([login.status, login.json.error?.code]).toEqual([401, code]);
    }
  });

  it('refuses a POST without X-HPKI-Login: 1 before touching the challenge', async () => {
    const site = await startSite();
    const { challenge, cookie } = await getChallenge(site);
    const token = signedToken('ee', challenge);
    for (const headers of [{ 'x-hpki-login': '' }, { 'x-hpki-login': '0' }, { 'x-hpki-login': 'true' }]) {
      const refused = await postLogin(site, { token }, { cookie, headers });
      expect([refused.status, refused.json.error?.code]).toEqual([400, 'ERR_HPKI_INVALID_ARGUMENT']);
    }
    expect((await postLogin(site, { token }, { cookie })).status).toBe(200);
  });

  it('answers 415 unless the body is declared application/json', async () => {
    const site = await startSite();
    const { challenge, cookie } = await getChallenge(site);
    const token = signedToken('ee', challenge);
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/json; charset=latin1',
      'application/jsonx',
    ]) {
      const refused = await postLogin(site, { token }, { cookie, headers: { 'content-type': type } });
      expect([refused.status, refused.json.error?.code]).toEqual([415, 'ERR_HPKI_INVALID_ARGUMENT']);
    }
    const ok = await postLogin(
      site,
      { token },
      { cookie, headers: { 'content-type': 'application/json; charset=UTF-8' } },
    );
    expect(ok.status).toBe(200);
  });

  it('answers 413 for a body over 32 KiB', async () => {
    const site = await startSite();
    const { cookie } = await getChallenge(site);
    const big = await postLogin(site, undefined, { cookie, raw: JSON.stringify({ token: 'x'.repeat(33 * 1024) }) });
    expect([big.status, big.json.error?.code]).toEqual([413, 'ERR_TOKEN_MALFORMED']);
  });

  it('answers 400 ERR_TOKEN_MALFORMED for bodies that are not {"token": …} and tokens out of format', async () => {
    const site = await startSite();
    const { challenge, cookie } = await getChallenge(site);
    const good = signedToken('ee', challenge);
    const bodies = [
      '',
      'not json',
      '[]',
      'null',
      JSON.stringify({}),
      JSON.stringify({ token: good, extra: 1 }),
      JSON.stringify({ token: { ...good, algorithm: 'PS256' } }),
      JSON.stringify({ token: { ...good, signature: good.signature.replace(/=+$/, '') } }),
      JSON.stringify({ token: { ...good, format: 'hpki-login:2' } }),
    ];
    for (const raw of bodies) {
      const refused = await postLogin(site, undefined, { cookie, raw });
      expect([raw, refused.status, refused.json.error?.code]).toEqual([raw, 400, 'ERR_TOKEN_MALFORMED']);
    }
    expect((await fetch(`${site.url}/hpki/login`)).status).toBe(405);
  });
});
