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
import { encodeToken, type Token } from '../../protocol/token.js';
import { challengeFrom, type Portal, sessionCookieOf, startPortal, stopPortal } from '../../scripts/dev/demo-portal.js';
import { type RedisServer, startRedis } from '../../scripts/dev/redis.js';

/**
 * Two real `hpki-login demo` processes (the built CLI) sharing one real redis-server and one mock
 * PKI, driven over HTTP. Tokens are signed here with end-entity keys the mock PKI issued: real
 * signatures, checked by the real verifier in the portal processes.
 */

function tokenFor(holder: IssuedCert, pki: MockPki, origin: string, challenge: string): Token {
  const key = createPrivateKey({ key: Buffer.from(holder.privateKeyPkcs8), format: 'der', type: 'pkcs8' });
  const signature = sign('sha256', buildSignedContent({ origin, challenge, certificate: holder.certificate }), key);
  return encodeToken({ certificate: holder.certificate, intermediates: [pki.authCa.certificate], signature });
}

interface LoginOutcome {
  status: number;
  code: string | undefined;
  redirect: string | undefined;
  cookie: string | undefined;
}

async function postToken(
  portal: Portal,
  token: Token,
  cookie: string,
  headers: Record<string, string> = { 'x-hpki-login': '1' },
): Promise<LoginOutcome> {
  const res = await fetch(`${portal.url}/hpki/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie, ...headers },
    body: JSON.stringify({ token }),
  });
  const json = (await res.json()) as { redirect?: string; error?: { code: string } };
  return { status: res.status, code: json.error?.code, redirect: json.redirect, cookie: sessionCookieOf(res) };
}

async function portalPage(
  portal: Portal,
  cookie: string,
  language?: string,
): Promise<{ status: number; location: string | null; html: string }> {
  const headers: Record<string, string> = language === undefined ? { cookie } : { cookie, 'accept-language': language };
  const res = await fetch(`${portal.url}/portal`, { headers, redirect: 'manual' });
  return { status: res.status, location: res.headers.get('location'), html: await res.text() };
}

const JAPANESE = /[\u3040-\u30ff\u4e00-\u9fff]/;

describe('demo portal processes sharing one Redis', () => {
  let redis: RedisServer;
  let pkiDir: string;
  let pki: MockPki;
  let doctor: IssuedCert;
  let revokedDoctor: IssuedCert;
  let nurse: IssuedCert;
  let first: Portal;
  let second: Portal;

  beforeAll(async () => {
    redis = await startRedis();
    pkiDir = await mkdtemp(join(tmpdir(), 'hpki-portal-pki-'));
    pki = await loadOrCreateMockPki(pkiDir);
    doctor = (
      await issueHolderCertificates(pki, { name: 'Nichii Taro', nameJa: '日医\u3000太郎', role: 'Medical Doctor' })
    ).auth;
    revokedDoctor = (await issueHolderCertificates(pki, { name: 'Kaihi Jiro', role: 'Medical Doctor', revoked: true }))
      .auth;
    nurse = (await issueHolderCertificates(pki, { name: 'Kango Hanako', role: 'Nurse' })).auth;
    first = await startPortal(['--pki', pkiDir, '--redis', redis.url]);
    // The second process serves the same site (as behind a load balancer): same origin, same Redis.
    second = await startPortal(['--pki', pkiDir, '--redis', redis.url, '--origin', first.origin]);
  }, 120_000);

  afterAll(async () => {
    const started = [first, second].filter((p): p is Portal => p !== undefined);
    const codes = await Promise.all(started.map(stopPortal));
    await redis?.stop();
    if (pkiDir !== undefined) await rm(pkiDir, { recursive: true, force: true });
    expect(codes).toEqual(started.map(() => 0));
  });

  it('serves a Japanese login page with #password-login under a strict CSP', async () => {
    const res = await fetch(`${first.url}/`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('id="password-login"');
    expect(html).toContain('はれやか医療ネット（デモ）');
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(html).not.toMatch(/<script|style="/);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const descriptor = (await (await fetch(`${second.url}/.well-known/hpki-login`)).json()) as Record<string, unknown>;
    expect(descriptor).toMatchObject({
      hpkiLogin: 1,
      challengeUrl: '/hpki/challenge',
      loginUrl: '/hpki/login',
      button: { selector: '#password-login', position: 'afterend' },
    });
  });

  it('speaks one language by Accept-Language: Japanese by default, English when the browser prefers it', async () => {
    const page = async (path: string, language?: string): Promise<string> =>
      (
        await fetch(`${first.url}${path}`, language === undefined ? {} : { headers: { 'accept-language': language } })
      ).text();
    for (const language of [undefined, 'ja', 'ja-JP,en;q=0.5', 'fr']) {
      const html = await page('/', language);
      expect(html).toContain('<html lang="ja">');
      expect(html).toContain('はれやか医療ネット（デモ）');
      expect(html).not.toMatch(/Sign in|lang="en"/);
    }
    for (const language of ['en', 'en-US,en;q=0.9,ja;q=0.3']) {
      const login = await page('/', language);
      expect(login).toContain('<html lang="en">');
      expect(login).toContain('Hareyaka Medical Net (demo)');
      // The card keeps its Japanese name beside the English one; nothing else is Japanese.
      expect(login.replace('医師資格証', '')).not.toMatch(JAPANESE);
      const missing = await page('/no-such-page', language);
      expect(missing).toContain('Page not found');
      expect(missing).not.toMatch(JAPANESE);
    }
    expect(await page('/no-such-page')).toContain('ページが見つかりません');
  });

  it('logs a doctor in over HTTP, greets them on the portal, and refuses a replay', async () => {
    const { challenge, cookie } = await challengeFrom(first);
    const token = tokenFor(doctor, pki, first.origin, challenge);
    const login = await postToken(first, token, cookie);
    expect(login).toMatchObject({ status: 200, redirect: '/portal' });
    expect(login.cookie).toBeDefined();
    expect(login.cookie).not.toBe(cookie);

    const page = await portalPage(first, login.cookie!);
    expect(page.status).toBe(200);
    expect(page.html).toContain('ようこそ 日医 太郎 先生');
    expect(page.html).toContain('医師');
    const english = await portalPage(first, login.cookie!, 'en-US');
    expect(english.html).toContain('Welcome, Dr. Nichii Taro');
    expect(english.html).toContain('Medical Doctor');
    expect(english.html).not.toMatch(JAPANESE);
    // The pre-login session id did not become a logged-in one.
    expect((await portalPage(first, cookie)).location).toBe('/');

    const replay = await postToken(first, token, cookie);
    expect([replay.status, replay.code]).toEqual([401, 'ERR_CHALLENGE_UNKNOWN']);
    const replayElsewhere = await postToken(second, token, login.cookie!);
    expect([replayElsewhere.status, replayElsewhere.code]).toEqual([401, 'ERR_CHALLENGE_UNKNOWN']);
  });

  it('refuses a token posted from another session', async () => {
    const victim = await challengeFrom(first);
    const other = await challengeFrom(first);
    const stolen = tokenFor(doctor, pki, first.origin, victim.challenge);
    const crossed = await postToken(first, stolen, other.cookie);
    expect([crossed.status, crossed.code]).toEqual([401, 'ERR_SIGNATURE_INVALID']);
    const fresh = await postToken(first, stolen, `hpki-session=${'A'.repeat(43)}`);
    expect([fresh.status, fresh.code]).toEqual([401, 'ERR_CHALLENGE_UNKNOWN']);
  });

  it('refuses a POST without X-HPKI-Login, and leaves the challenge for the real login', async () => {
    const { challenge, cookie } = await challengeFrom(first);
    const token = tokenFor(doctor, pki, first.origin, challenge);
    const refused = await postToken(first, token, cookie, {});
    expect([refused.status, refused.code]).toEqual([400, 'ERR_HPKI_INVALID_ARGUMENT']);
    expect((await postToken(first, token, cookie)).status).toBe(200);
  });

  it('takes a challenge issued by one process in the other, once and only once', async () => {
    const shared = await challengeFrom(first);
    const viaSecond = await postToken(second, tokenFor(doctor, pki, first.origin, shared.challenge), shared.cookie);
    expect(viaSecond).toMatchObject({ status: 200, redirect: '/portal' });
    expect((await portalPage(second, viaSecond.cookie!)).html).toContain('ようこそ 日医 太郎 先生');

    for (let round = 0; round < 5; round++) {
      const { challenge, cookie } = await challengeFrom(round % 2 === 0 ? first : second);
      const token = tokenFor(doctor, pki, first.origin, challenge);
      const outcomes = await Promise.all([postToken(first, token, cookie), postToken(second, token, cookie)]);
      const statuses = outcomes.map((o) => [o.status, o.code ?? null]).sort();
      expect(statuses).toEqual([
        [200, null],
        [401, 'ERR_CHALLENGE_UNKNOWN'],
      ]);
    }
  });

  it('checks revocation against the CRLs it refreshed at start, and the allowed roles', async () => {
    const revoked = await challengeFrom(second);
    const refused = await postToken(
      second,
      tokenFor(revokedDoctor, pki, first.origin, revoked.challenge),
      revoked.cookie,
    );
    expect([refused.status, refused.code]).toEqual([401, 'ERR_CERT_REVOKED']);

    const role = await challengeFrom(first);
    const forbidden = await postToken(first, tokenFor(nurse, pki, first.origin, role.challenge), role.cookie);
    expect([forbidden.status, forbidden.code]).toEqual([403, 'ERR_ROLE_NOT_ALLOWED']);
  });

  it('logs the demo account in with its password, and out again', async () => {
    const form = (password: string): RequestInit => ({
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: first.origin },
      body: new URLSearchParams({ id: 'demo', password }).toString(),
      redirect: 'manual',
    });
    const wrong = await fetch(`${first.url}/login`, form('wrong-password'));
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain('IDまたはパスワードが正しくありません');
    const wrongEn = await fetch(`${first.url}/login`, {
      ...form('wrong-password'),
      headers: { ...(form('').headers as Record<string, string>), 'accept-language': 'en' },
    });
    expect([wrongEn.status, await wrongEn.text()]).toEqual([401, expect.stringContaining('Wrong ID or password.')]);

    const ok = await fetch(`${first.url}/login`, form('demo-password'));
    expect([ok.status, ok.headers.get('location')]).toEqual([303, '/portal']);
    const cookie = sessionCookieOf(ok)!;
    expect((await portalPage(first, cookie)).html).toContain('ようこそ デモ 利用者 さん');

    const crossSite = await fetch(`${first.url}/logout`, {
      method: 'POST',
      headers: { cookie, origin: 'https://evil.example' },
      redirect: 'manual',
    });
    expect(crossSite.status).toBe(403);
    const logout = await fetch(`${first.url}/logout`, {
      method: 'POST',
      headers: { cookie, origin: first.origin },
      redirect: 'manual',
    });
    expect([logout.status, logout.headers.get('location')]).toEqual([303, '/']);
    expect((await portalPage(first, cookie)).location).toBe('/');
  });
});
