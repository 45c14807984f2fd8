import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKCHANNEL_LOGOUT_EVENT, HPKI_ACR, HPKI_ACR_FRESH } from '../../protocol/sso.js';
import { type CookieBrowser, createCookieBrowser } from '../../scripts/dev/cookie-browser.js';
import { freePort } from '../../scripts/dev/free-port.js';
import { CLI } from '../../scripts/dev/native-client.js';
import { type RedisServer, startRedis } from '../../scripts/dev/redis.js';
import { type CardSigner, openCard } from '../../scripts/dev/sso-card.js';
import { type SsoProcess, startSso, stopSso } from '../../scripts/dev/sso-provider.js';
import { createCardFile } from '../../scripts/dev/virtual-card-process.js';
import { type BackchannelReceiver, startBackchannelReceiver } from '../helpers/backchannel-receiver.js';
import { type RelyingParty, relyingParty, signIn, submitForm } from '../helpers/sso-flow.js';

/**
 * PROTOCOL.md §10 end to end over HTTP: two real `hpki-login sso` processes behind one issuer,
 * sharing a real redis-server; openid-client as the relying party; the native host (mock backend)
 * signing real tokens with virtual cards of one mock PKI. The doctor's browser is a cookie jar whose
 * requests alternate between the two processes, so every step of every flow crosses processes.
 */

const run = promisify(execFile);
const SECRET = 'portal-secret-0123456789abcdef0123456789';

let dir: string;
let redis: RedisServer;
let receiver: BackchannelReceiver;
let issuer: string;
let a: SsoProcess;
let b: SsoProcess;
let keysFile: string;
const cards: Record<'doctor' | 'renewed' | 'other' | 'pharmacist', CardSigner> = {} as never;
let portal: RelyingParty;
let records: RelyingParty;
let pharmacy: RelyingParty;

/** Each request of the browser goes to the other process than the one before. */
function alternating(): () => string {
  let n = 0;
  return () => (n++ % 2 === 0 ? a.url : b.url);
}

function doctorBrowser(): CookieBrowser {
  const browser = createCookieBrowser();
  browser.route(issuer, alternating());
  return browser;
}

async function signedIn(
  rp: RelyingParty,
  browser: CookieBrowser,
  card: CardSigner | undefined,
  extra: Record<string, string> = {},
) {
  const start = await rp.start(extra);
  const outcome = await signIn(browser, issuer, start.url, card);
  return { ...outcome, start };
}

async function codeLogin(
  rp: RelyingParty,
  browser: CookieBrowser,
  card: CardSigner | undefined,
  extra: Record<string, string> = {},
) {
  const flow = await signedIn(rp, browser, card, extra);
  expect(flow.callback?.searchParams.get('error')).toBeNull();
  expect(flow.callback?.searchParams.get('code')).toBeTruthy();
  const tokens = await rp.finish(flow.callback!, flow.start);
  return { ...flow, tokens, claims: tokens.claims()! };
}

async function grantError(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (err) {
    return err instanceof oidc.ResponseBodyError ? err.error : `not a ResponseBodyError: ${String(err)}`;
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hpki-sso-'));
  const pki = join(dir, 'pki');
  redis = await startRedis();
  receiver = await startBackchannelReceiver();
  const files = {
    doctor: ['--holder-id', 'MD-0001'],
    renewed: ['--holder-id', 'MD-0001'],
    other: ['--holder-id', 'MD-0002', '--name', 'Kaigo Hanako', '--name-ja', '介護　花子'],
    pharmacist: ['--holder-id', 'PH-0001', '--role', 'Pharmacist', '--name', 'Yakuzai Jiro'],
  } as const;
  for (const [name, args] of Object.entries(files)) await createCardFile(join(dir, `${name}.card`), pki, [...args]);
  for (const name of Object.keys(files) as (keyof typeof files)[])
    cards[name] = await openCard(join(dir, `${name}.card`));

  const port = await freePort();
  issuer = `http://localhost:${port}`;
  const clients = [
    {
      client_id: 'portal',
      client_name: 'はれやか医療ネット',
      client_secret: SECRET,
      redirect_uris: ['http://localhost:9101/cb'],
      post_logout_redirect_uris: ['http://localhost:9101/'],
      backchannel_logout_uri: `${receiver.url}/portal`,
      hpki_allowed_roles: ['Medical Doctor', 'Pharmacist'],
    },
    {
      client_id: 'records',
      client_name: '医師資格証ポータル',
      token_endpoint_auth_method: 'none',
      redirect_uris: ['http://localhost:9102/cb'],
      backchannel_logout_uri: `${receiver.url}/records`,
      hpki_allowed_roles: ['Medical Doctor'],
    },
    { client_id: 'pharmacy', token_endpoint_auth_method: 'none', redirect_uris: ['http://localhost:9103/cb'] },
  ];
  const clientsFile = join(dir, 'clients.json');
  await writeFile(clientsFile, JSON.stringify(clients));
  keysFile = join(dir, 'keys.json');
  const common = [
    '--issuer',
    issuer,
    '--clients',
    clientsFile,
    '--pki',
    pki,
    '--redis',
    redis.url,
    '--keys',
    keysFile,
    '--allow-private-network',
  ];
  // Started together: one of them creates the keys file, the other reads it.
  [a, b] = await Promise.all([startSso(common), startSso([...common, '--port', '0'])]);
  portal = await relyingParty({
    issuer,
    clientId: 'portal',
    clientSecret: SECRET,
    redirectUri: 'http://localhost:9101/cb',
    reach: () => b.url,
  });
  records = await relyingParty({
    issuer,
    clientId: 'records',
    redirectUri: 'http://localhost:9102/cb',
    reach: () => a.url,
  });
  pharmacy = await relyingParty({
    issuer,
    clientId: 'pharmacy',
    redirectUri: 'http://localhost:9103/cb',
    reach: () => b.url,
  });
}, 180_000);

afterAll(async () => {
  for (const card of Object.values(cards)) await card.close();
  const codes = await Promise.all([a, b].filter((p) => p !== undefined).map(stopSso));
  await receiver?.close();
  await redis?.stop();
  await rm(dir, { recursive: true, force: true });
  expect(codes.every((c) => c === 0)).toBe(true);
});

describe('hpki-login sso: two processes, one issuer, one Redis', () => {
  it('says at start that its state is shared in Redis, and both publish the same discovery and keys', async () => {
    expect(a.stdout()).toContain('state kept in Redis');
    const meta = async (p: SsoProcess): Promise<Record<string, unknown>> =>
      (await (await fetch(`${p.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    const metaA = await meta(a);
    const metaB = await meta(b);
    expect(metaB).toEqual(metaA);
    expect(metaA).toMatchObject({
      issuer,
      code_challenge_methods_supported: ['S256'],
      response_types_supported: ['code'],
      acr_values_supported: [HPKI_ACR, HPKI_ACR_FRESH],
      id_token_signing_alg_values_supported: ['RS256', 'ES256'],
      backchannel_logout_supported: true,
      end_session_endpoint: `${issuer}/session/end`,
    });
    expect(metaA.claims_supported).toEqual(
      expect.arrayContaining([
        'acr',
        'amr',
        'auth_time',
        'hpki_role',
        'name',
        'name#ja-Hani-JP',
        'hpki_holder_id',
        'hpki_issuer',
        'hpki_certificate_sha256',
        'hpki_not_after',
      ]),
    );
    for (const [key, value] of Object.entries(metaA))
      if (key.endsWith('_endpoint') || key === 'jwks_uri') expect(String(value).startsWith(`${issuer}/`)).toBe(true);
    const [jwksA, jwksB] = await Promise.all([a, b].map(async (p) => (await fetch(`${p.url}/jwks`)).json()));
    expect(jwksB).toEqual(jwksA);
    expect(JSON.stringify(jwksA)).not.toMatch(/"d"|"p"|"q"/);
    expect(portal.config.serverMetadata().issuer).toBe(issuer);
  });

  it('code + PKCE → an ID token with acr, amr, auth_time, hpki_role; userinfo answers the §10 claims', async () => {
    const before = Math.floor(Date.now() / 1000);
    const { claims, tokens, askedForCard } = await codeLogin(portal, doctorBrowser(), cards.doctor);
    expect(askedForCard).toBe(true);
    expect(claims).toMatchObject({ iss: issuer, aud: 'portal', acr: HPKI_ACR, hpki_role: 'Medical Doctor' });
    expect(claims.amr).toEqual(expect.arrayContaining(['sc', 'pin', 'hwk']));
    expect(claims.auth_time).toBeGreaterThanOrEqual(before - 1);
    expect(claims.sub).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const info = await oidc.fetchUserInfo(portal.config, tokens.access_token, claims.sub);
    const certificate = JSON.parse(await readFile(join(dir, 'doctor.card'), 'utf8')).applications.auth
      .certificate as string;
    expect(info).toMatchObject({
      sub: claims.sub,
      name: 'Nichii Taro',
      'name#ja-Hani-JP': '日医\u3000太郎',
      hpki_role: 'Medical Doctor',
      hpki_holder_id: 'MD-0001',
      hpki_certificate_sha256: createHash('sha256').update(Buffer.from(certificate, 'base64')).digest('hex'),
    });
    expect(info.hpki_issuer).toMatch(
      /^C=JP, O=Mock Medical Association, .*CN=HPKI-01-MockAuthCA-forAuthentication-forIndividual$/,
    );
    expect(new Date(String(info.hpki_not_after)).getTime()).toBeGreaterThan(Date.now());
  });

  it('a code is used once across processes: a replay elsewhere, or a second exchange at the same moment, gets invalid_grant', async () => {
    const flow = await signedIn(records, doctorBrowser(), cards.doctor);
    const viaA = await relyingParty({
      issuer,
      clientId: 'records',
      redirectUri: 'http://localhost:9102/cb',
      reach: () => a.url,
    });
    const viaB = await relyingParty({
      issuer,
      clientId: 'records',
      redirectUri: 'http://localhost:9102/cb',
      reach: () => b.url,
    });
    await viaA.finish(flow.callback!, flow.start);
    expect(await grantError(viaB.finish(flow.callback!, flow.start))).toBe('invalid_grant');

    for (let round = 0; round < 4; round++) {
      const next = await signedIn(records, doctorBrowser(), cards.doctor);
      const outcomes = await Promise.all([viaA, viaB].map((rp) => grantError(rp.finish(next.callback!, next.start))));
      expect(outcomes.sort()).toEqual(['invalid_grant', undefined].sort());
    }
  });

  it('a code with the wrong code_verifier → invalid_grant', async () => {
    const flow = await signedIn(records, doctorBrowser(), cards.doctor);
    const wrong = { ...flow.start, verifier: oidc.randomPKCECodeVerifier() };
    expect(await grantError(records.finish(flow.callback!, wrong))).toBe('invalid_grant');
  });

  it('no PKCE → error=invalid_request at the redirect_uri, and no card is asked for', async () => {
    const url = new URL(`${issuer}/auth`);
    url.search = new URLSearchParams({
      client_id: 'records',
      redirect_uri: 'http://localhost:9102/cb',
      response_type: 'code',
      scope: 'openid',
      state: 'st-1',
    }).toString();
    const outcome = await signIn(doctorBrowser(), issuer, url, cards.doctor);
    expect(outcome.askedForCard).toBe(false);
    expect(outcome.callback?.origin).toBe('http://localhost:9102');
    expect(outcome.callback?.searchParams.get('error')).toBe('invalid_request');
    expect(outcome.callback?.searchParams.get('state')).toBe('st-1');
    expect(outcome.callback?.searchParams.get('code')).toBeNull();
  });

  it('an unregistered redirect_uri or an unknown client → an HTML error page with 400, never a redirect', async () => {
    for (const params of [
      { client_id: 'records', redirect_uri: 'https://evil.example/cb' },
      { client_id: 'nobody', redirect_uri: 'http://localhost:9102/cb' },
    ]) {
      const start = await records.start();
      const url = new URL(start.url);
      for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
      const hops = await doctorBrowser().navigate(url.href, { stayOn: [issuer] });
      expect(hops).toHaveLength(1);
      expect(hops[0]).toMatchObject({ status: 400, location: null });
      expect(hops[0]!.contentType).toContain('text/html');
      expect(hops[0]!.body).toContain('ログインを続けられません');
      expect(hops[0]!.body).not.toContain('evil.example/cb?');
    }
  });

  it('single sign-on: a second client gets a code with no card login, and the same sub', async () => {
    const browser = doctorBrowser();
    const first = await codeLogin(portal, browser, cards.doctor);
    const second = await codeLogin(records, browser, undefined);
    expect(second.askedForCard).toBe(false);
    expect(second.claims.sub).toBe(first.claims.sub);
    expect(second.claims.auth_time).toBe(first.claims.auth_time);
    expect(second.claims.acr).toBe(HPKI_ACR);
  });

  it('prompt=login and max_age=0 ask for the card again; prompt=none without a session → login_required', async () => {
    const browser = doctorBrowser();
    await codeLogin(portal, browser, cards.doctor);
    for (const extra of [{ prompt: 'login' }, { max_age: '0' }] as Record<string, string>[]) {
      const again = await signedIn(records, browser, undefined, extra);
      expect(again.askedForCard).toBe(true);
      expect(again.hops.at(-1)!.body).toContain('改めてカードでのログイン');
      expect((await codeLogin(records, browser, cards.doctor, extra)).askedForCard).toBe(true);
    }
    const none = await signedIn(records, doctorBrowser(), undefined, { prompt: 'none' });
    expect(none.askedForCard).toBe(false);
    expect(none.callback?.searchParams.get('error')).toBe('login_required');
    expect(none.callback?.searchParams.get('state')).toBe(none.start.state);
  });

  it('a renewed card of the same holder keeps the sub; another holder gets another', async () => {
    const first = (await codeLogin(portal, doctorBrowser(), cards.doctor)).claims;
    const renewed = (await codeLogin(portal, doctorBrowser(), cards.renewed)).claims;
    const other = (await codeLogin(portal, doctorBrowser(), cards.other)).claims;
    expect(renewed.sub).toBe(first.sub);
    expect(other.sub).not.toBe(first.sub);
    expect(other.hpki_role).toBe('Medical Doctor');
  });

  it('a Pharmacist at a doctors-only client → access_denied, no code and no session; an existing Pharmacist session too', async () => {
    const browser = doctorBrowser();
    const denied = await signedIn(records, browser, cards.pharmacist);
    expect(denied.askedForCard).toBe(true);
    expect(denied.callback?.searchParams.get('error')).toBe('access_denied');
    expect(denied.callback?.searchParams.get('state')).toBe(denied.start.state);
    expect(denied.callback?.searchParams.get('code')).toBeNull();
    // No session was made: the next client asks for the card.
    expect((await signedIn(pharmacy, browser, undefined)).askedForCard).toBe(true);

    const session = doctorBrowser();
    expect((await codeLogin(pharmacy, session, cards.pharmacist)).claims.hpki_role).toBe('Pharmacist');
    const existing = await signedIn(records, session, undefined);
    expect(existing.askedForCard).toBe(false);
    expect(existing.callback?.searchParams.get('error')).toBe('access_denied');
    const quiet = await signedIn(records, session, undefined, { prompt: 'none' });
    expect(quiet.callback?.searchParams.get('error')).toBe('access_denied');
  });

  it('RP-initiated logout ends the session, the next request needs the card, and the back-channel token verifies against the JWKS', async () => {
    const browser = doctorBrowser();
    const atPortal = await codeLogin(portal, browser, cards.doctor);
    const atRecords = await codeLogin(records, browser, undefined);
    const seenPortal = receiver.tokens('/portal').length;
    const seenRecords = receiver.tokens('/records').length;

    const logoutUrl = oidc.buildEndSessionUrl(portal.config, {
      id_token_hint: atPortal.tokens.id_token!,
      post_logout_redirect_uri: 'http://localhost:9101/',
      state: 'bye',
    });
    const page = (await browser.navigate(logoutUrl.href, { stayOn: [issuer] })).at(-1)!;
    expect(page.status).toBe(200);
    expect(page.body).toContain('ログアウトしています');
    const started = Date.now();
    const [confirm] = await submitForm(browser, page.body, 'op.logoutForm', page.url);
    expect(confirm!.status).toBe(303);
    expect(confirm!.location).toBe('http://localhost:9101/?state=bye');

    const token = await receiver.waitFor('/records', seenRecords);
    await receiver.waitFor('/portal', seenPortal);
    expect(Date.now() - started).toBeLessThan(5_000);
    const { payload, protectedHeader } = await jwtVerify(token, createRemoteJWKSet(new URL(`${a.url}/jwks`)), {
      issuer,
      audience: 'records',
      typ: 'logout+jwt',
    });
    expect(protectedHeader.alg).toBe('RS256');
    expect(payload.events).toEqual({ [BACKCHANNEL_LOGOUT_EVENT]: {} });
    expect(payload.sub).toBe(atRecords.claims.sub);
    expect(atRecords.claims.sid).toMatch(/^[A-Za-z0-9_-]{8,}$/);
    expect(payload.sid).toBe(atRecords.claims.sid);
    expect(payload.nonce).toBeUndefined();

    expect((await signedIn(records, browser, undefined)).askedForCard).toBe(true);
  });

  it('rotate-keys: a new kid signs, the old key is still published by both processes', async () => {
    const before = (await codeLogin(portal, doctorBrowser(), cards.doctor)).tokens.id_token!;
    const oldKid = decodeProtectedHeader(before).kid;
    const { stdout } = await run(process.execPath, [CLI, 'sso', 'rotate-keys', '--keys', keysFile]);
    const { signingKid } = JSON.parse(stdout) as { signingKid: string };
    expect(signingKid).not.toBe(oldKid);
    for (const p of [a, b]) {
      await expect
        .poll(
          async () =>
            ((await (await fetch(`${p.url}/jwks`)).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid),
          { timeout: 10_000 },
        )
        .toEqual(expect.arrayContaining([signingKid, oldKid]));
      const kids = ((await (await fetch(`${p.url}/jwks`)).json()) as { keys: { kid: string }[] }).keys.map(
        (k) => k.kid,
      );
      expect(kids[0]).toBe(signingKid);
    }
    const after = await codeLogin(portal, doctorBrowser(), cards.doctor);
    expect(decodeProtectedHeader(after.tokens.id_token!).kid).toBe(signingKid);
    // A client that cached the old JWKS still verifies what was signed before.
    await jwtVerify(before, createRemoteJWKSet(new URL(`${b.url}/jwks`)), { issuer, audience: 'portal' });
  });
});
