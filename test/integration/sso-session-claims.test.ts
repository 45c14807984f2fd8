import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRemoteJWKSet, decodeProtectedHeader, importJWK, jwtVerify, SignJWT } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CookieBrowser, createCookieBrowser } from '../../scripts/dev/cookie-browser.js';
import { freePort } from '../../scripts/dev/free-port.js';
import { type RedisServer, startRedis } from '../../scripts/dev/redis.js';
import { type CardSigner, openCard } from '../../scripts/dev/sso-card.js';
import { type SsoProcess, startSso, stopSso } from '../../scripts/dev/sso-provider.js';
import { createCardFile } from '../../scripts/dev/virtual-card-process.js';
import { type BackchannelReceiver, startBackchannelReceiver } from '../helpers/backchannel-receiver.js';
import { type RelyingParty, relyingParty, signIn, submitForm } from '../helpers/sso-flow.js';

/**
 * A session's claims are its own (PROTOCOL.md §10): one holder with two cards (a Doctor's and a
 * Pharmacist's, same holder id, same sub) in two browsers, in both orders; `sid` in every ID token,
 * equal to the logout token's; `id_token_hint` honoured without a question only for the current
 * session, refused when older than one shift; error responses without `iss` for a client that asks
 * (mod_auth_openidc); ES256 ID tokens for a client that registers them. Two provider processes, one
 * Redis, openid-client as every relying party.
 */

let dir: string;
let redis: RedisServer;
let receiver: BackchannelReceiver;
let issuer: string;
let a: SsoProcess;
let b: SsoProcess;
let keysFile: string;
let doctorCard: CardSigner;
let pharmacistCard: CardSigner;
let records: RelyingParty;
let pharmacy: RelyingParty;
let legacy: RelyingParty;
let modern: RelyingParty;

function browser(): CookieBrowser {
  const c = createCookieBrowser();
  let n = 0;
  c.route(issuer, () => (n++ % 2 === 0 ? a.url : b.url));
  return c;
}

async function login(rp: RelyingParty, c: CookieBrowser, card: CardSigner | undefined, extra = {}) {
  const start = await rp.start(extra);
  const outcome = await signIn(c, issuer, start.url, card);
  return { ...outcome, start };
}

async function tokensOf(rp: RelyingParty, c: CookieBrowser, card: CardSigner | undefined) {
  const flow = await login(rp, c, card);
  expect(flow.callback?.searchParams.get('error')).toBeNull();
  const tokens = await rp.finish(flow.callback!, flow.start);
  return { tokens, claims: tokens.claims()!, askedForCard: flow.askedForCard };
}

const denied = async (rp: RelyingParty, c: CookieBrowser) =>
  (await login(rp, c, undefined)).callback?.searchParams.get('error');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hpki-sso-claims-'));
  const pki = join(dir, 'pki');
  redis = await startRedis();
  receiver = await startBackchannelReceiver();
  await createCardFile(join(dir, 'doctor.card'), pki, ['--holder-id', 'MD-0400']);
  await createCardFile(join(dir, 'pharmacist.card'), pki, ['--holder-id', 'MD-0400', '--role', 'Pharmacist']);
  doctorCard = await openCard(join(dir, 'doctor.card'));
  pharmacistCard = await openCard(join(dir, 'pharmacist.card'));
  issuer = `http://localhost:${await freePort()}`;
  const clients = [
    {
      client_id: 'records',
      token_endpoint_auth_method: 'none',
      redirect_uris: ['http://localhost:9221/cb'],
      post_logout_redirect_uris: ['http://localhost:9221/'],
      backchannel_logout_uri: `${receiver.url}/records`,
      hpki_allowed_roles: ['Medical Doctor'],
    },
    { client_id: 'pharmacy', token_endpoint_auth_method: 'none', redirect_uris: ['http://localhost:9222/cb'] },
    {
      client_id: 'legacy-emr',
      token_endpoint_auth_method: 'none',
      redirect_uris: ['http://localhost:9223/protected/redirect_uri'],
      hpki_allowed_roles: ['Medical Doctor'],
      hpki_iss_in_errors: false,
    },
    {
      client_id: 'modern',
      token_endpoint_auth_method: 'none',
      redirect_uris: ['http://localhost:9224/cb'],
      id_token_signed_response_alg: 'ES256',
    },
  ];
  await writeFile(join(dir, 'clients.json'), JSON.stringify(clients));
  keysFile = join(dir, 'keys.json');
  const common = ['--issuer', issuer, '--clients', join(dir, 'clients.json'), '--pki', pki];
  const shared = ['--redis', redis.url, '--keys', keysFile, '--allow-private-network'];
  [a, b] = await Promise.all([startSso([...common, ...shared]), startSso([...common, ...shared, '--port', '0'])]);
  const rp = (clientId: string, redirectUri: string) =>
    relyingParty({ issuer, clientId, redirectUri, reach: () => a.url });
  records = await rp('records', 'http://localhost:9221/cb');
  pharmacy = await rp('pharmacy', 'http://localhost:9222/cb');
  legacy = await rp('legacy-emr', 'http://localhost:9223/protected/redirect_uri');
  modern = await rp('modern', 'http://localhost:9224/cb');
}, 180_000);

afterAll(async () => {
  await doctorCard?.close();
  await pharmacistCard?.close();
  const codes = await Promise.all([a, b].filter((p) => p !== undefined).map(stopSso));
  await receiver?.close();
  await redis?.stop();
  await rm(dir, { recursive: true, force: true });
  expect(codes.every((c) => c === 0)).toBe(true);
});

describe("a session's claims are its own", () => {
  it('Pharmacist session first, then a Doctor login of the same holder elsewhere: the first stays a Pharmacist', async () => {
    const first = browser();
    const asPharmacist = await tokensOf(pharmacy, first, pharmacistCard);
    expect(asPharmacist.claims.hpki_role).toBe('Pharmacist');
    expect(await denied(records, first)).toBe('access_denied');

    const second = browser();
    const asDoctor = await tokensOf(records, second, doctorCard);
    expect(asDoctor.claims.hpki_role).toBe('Medical Doctor');
    expect(asDoctor.claims.sub).toBe(asPharmacist.claims.sub);

    // Browser A, without a card, is still the Pharmacist session it was.
    expect(await denied(records, first)).toBe('access_denied');
    const again = await tokensOf(pharmacy, first, undefined);
    expect(again.askedForCard).toBe(false);
    expect(again.claims.hpki_role).toBe('Pharmacist');
    const info = await oidc.fetchUserInfo(pharmacy.config, again.tokens.access_token, again.claims.sub);
    expect(info.hpki_role).toBe('Pharmacist');
  });

  it('Doctor session first, then a Pharmacist login of the same holder elsewhere: the first stays a Doctor', async () => {
    const first = browser();
    const asDoctor = await tokensOf(records, first, doctorCard);
    const second = browser();
    const asPharmacist = await tokensOf(pharmacy, second, pharmacistCard);
    expect(asPharmacist.claims.sub).toBe(asDoctor.claims.sub);
    expect(await denied(records, second)).toBe('access_denied');

    const again = await tokensOf(records, first, undefined);
    expect(again.askedForCard).toBe(false);
    expect(again.claims.hpki_role).toBe('Medical Doctor');
    // Tokens made before the other login answer for their own session too.
    const info = await oidc.fetchUserInfo(records.config, asDoctor.tokens.access_token, asDoctor.claims.sub);
    expect(info.hpki_role).toBe('Medical Doctor');
    const doctorCert = JSON.parse(await readFile(join(dir, 'doctor.card'), 'utf8')).applications.auth.certificate;
    const { createHash } = await import('node:crypto');
    expect(info.hpki_certificate_sha256).toBe(
      createHash('sha256').update(Buffer.from(doctorCert, 'base64')).digest('hex'),
    );
  });
});

describe('sid', () => {
  it('every ID token carries sid, for clients with and without back-channel logout; the logout token names the same', async () => {
    const c = browser();
    const atRecords = await tokensOf(records, c, doctorCard);
    const atPharmacy = await tokensOf(pharmacy, c, undefined);
    expect(atRecords.claims.sid).toMatch(/^[A-Za-z0-9_-]{8,}$/);
    expect(atPharmacy.claims.sid).toMatch(/^[A-Za-z0-9_-]{8,}$/);
    const seen = receiver.tokens('/records').length;
    const logout = oidc.buildEndSessionUrl(records.config, {
      id_token_hint: atRecords.tokens.id_token!,
      post_logout_redirect_uri: 'http://localhost:9221/',
    });
    const page = (await c.navigate(logout.href, { stayOn: [issuer] })).at(-1)!;
    expect(page.body).toContain('ログアウトしています');
    await submitForm(c, page.body, 'op.logoutForm', page.url);
    const token = await receiver.waitFor('/records', seen);
    const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(`${a.url}/jwks`)), {
      issuer,
      audience: 'records',
    });
    expect(payload.sid).toBe(atRecords.claims.sid);
    expect(payload.sub).toBe(atRecords.claims.sub);
  });
});

describe('id_token_hint', () => {
  it("is honoured without a question only for the current session's tokens", async () => {
    const old = browser();
    const oldTokens = await tokensOf(records, old, doctorCard);
    const current = browser();
    await tokensOf(records, current, doctorCard);
    // The same holder's token, of another session: the doctor is asked.
    const other = oidc.buildEndSessionUrl(records.config, { id_token_hint: oldTokens.tokens.id_token! });
    const asked = (await current.navigate(other.href, { stayOn: [issuer] })).at(-1)!;
    expect(asked.status).toBe(200);
    expect(asked.body).toContain('ログアウトしますか');
    expect(asked.body).not.toContain('ログアウトしています');
    // Its own: signed out at once.
    const own = oidc.buildEndSessionUrl(records.config, { id_token_hint: oldTokens.tokens.id_token! });
    expect((await old.navigate(own.href, { stayOn: [issuer] })).at(-1)!.body).toContain('ログアウトしています');
  });

  it('is refused when it was issued more than one shift (8 h) ago, even with a valid signature', async () => {
    const c = browser();
    const { claims } = await tokensOf(records, c, doctorCard);
    const jwks = JSON.parse(await readFile(keysFile, 'utf8')) as { keys: Record<string, string>[] };
    const rsa = jwks.keys[0]!;
    const key = await importJWK(rsa, 'RS256');
    const issuedAt = Math.floor(Date.now() / 1000) - 8 * 3600 - 60;
    const stale = await new SignJWT({ sid: claims.sid, auth_time: issuedAt })
      .setProtectedHeader({ alg: 'RS256', kid: rsa.kid! })
      .setIssuer(issuer)
      .setAudience('records')
      .setSubject(claims.sub)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + 600)
      .sign(key);
    const url = oidc.buildEndSessionUrl(records.config, { id_token_hint: stale });
    const page = (await c.navigate(url.href, { stayOn: [issuer] })).at(-1)!;
    expect(page.status).toBe(400);
    expect(page.body).toContain('invalid_request');
    // The session lives on.
    expect((await login(pharmacy, c, undefined)).askedForCard).toBe(false);
  });
});

describe('refusals a relying party can show, and ES256', () => {
  it('hpki_iss_in_errors: false → access_denied without iss (mod_auth_openidc); other clients keep iss', async () => {
    const c = browser();
    const legacyRefusal = await login(legacy, c, pharmacistCard);
    expect(legacyRefusal.callback?.searchParams.get('error')).toBe('access_denied');
    expect(legacyRefusal.callback?.searchParams.get('state')).toBe(legacyRefusal.start.state);
    expect(legacyRefusal.callback?.searchParams.has('iss')).toBe(false);
    const recordsRefusal = await login(records, browser(), pharmacistCard);
    expect(recordsRefusal.callback?.searchParams.get('error')).toBe('access_denied');
    expect(recordsRefusal.callback?.searchParams.get('iss')).toBe(issuer);
    // A code for that client still carries iss.
    const ok = await login(legacy, browser(), doctorCard);
    expect(ok.callback?.searchParams.get('iss')).toBe(issuer);
    expect(ok.callback?.searchParams.get('code')).toBeTruthy();
  });

  it('a client registered for ES256 gets ES256 ID tokens; the others RS256', async () => {
    const c = browser();
    const es = await tokensOf(modern, c, doctorCard);
    expect(decodeProtectedHeader(es.tokens.id_token!).alg).toBe('ES256');
    await jwtVerify(es.tokens.id_token!, createRemoteJWKSet(new URL(`${b.url}/jwks`)), { issuer, audience: 'modern' });
    const rs = await tokensOf(pharmacy, c, undefined);
    expect(decodeProtectedHeader(rs.tokens.id_token!).alg).toBe('RS256');
  });
});
