import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CookieBrowser, createCookieBrowser } from '../../scripts/dev/cookie-browser.js';
import { freePort } from '../../scripts/dev/free-port.js';
import { type RedisServer, startRedis } from '../../scripts/dev/redis.js';
import { type CardSigner, openCard } from '../../scripts/dev/sso-card.js';
import { type SsoProcess, startSso, stopSso } from '../../scripts/dev/sso-provider.js';
import { createCardFile } from '../../scripts/dev/virtual-card-process.js';
import { type RelyingParty, relyingParty, signIn } from '../helpers/sso-flow.js';

/**
 * Faults an operator will meet (PROTOCOL.md §10 "Operations"), on two real provider processes and a
 * real redis-server with the append-only file docs/sso.md advises: Redis crashes (the processes
 * answer every request within 5 s, /readyz turns 503 within 2 s, nobody exits), Redis comes back
 * (the session from before gives a code to another client without a card; new sign-ins work), and
 * the process that showed a doctor's login page is killed (SIGKILL): the other one finishes that
 * sign-in. Also: /metrics counts a completed sign-in.
 */

let dir: string;
let redis: RedisServer;
let issuer: string;
let a: SsoProcess;
let b: SsoProcess;
let doctor: CardSigner;
let portal: RelyingParty;
let records: RelyingParty;

function browser(): CookieBrowser {
  const c = createCookieBrowser();
  let n = 0;
  c.route(issuer, () => (n++ % 2 === 0 ? a.url : b.url));
  return c;
}

async function metric(p: SsoProcess, name: string): Promise<number> {
  const text = await (await fetch(`${p.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? 0 : Number(line.split(' ')[1]);
}

/** Status and time of one request; a refused connection or a timeout counts as a failure to answer. */
async function timed(url: string, init: RequestInit = {}): Promise<{ status: number; ms: number; location: string }> {
  const started = performance.now();
  const res = await fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(10_000) });
  await res.arrayBuffer();
  return { status: res.status, ms: performance.now() - started, location: res.headers.get('location') ?? '' };
}

const alive = (p: SsoProcess): boolean => p.process.exitCode === null && p.process.signalCode === null;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hpki-sso-faults-'));
  const pki = join(dir, 'pki');
  redis = await startRedis({ appendOnly: true });
  await createCardFile(join(dir, 'doctor.card'), pki, ['--holder-id', 'MD-0500']);
  doctor = await openCard(join(dir, 'doctor.card'));
  issuer = `http://localhost:${await freePort()}`;
  const clients = [
    { client_id: 'portal', token_endpoint_auth_method: 'none', redirect_uris: ['http://localhost:9231/cb'] },
    { client_id: 'records', token_endpoint_auth_method: 'none', redirect_uris: ['http://localhost:9232/cb'] },
  ];
  await writeFile(join(dir, 'clients.json'), JSON.stringify(clients));
  const args = [
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
  ];
  [a, b] = await Promise.all([startSso(args), startSso([...args, '--port', '0'])]);
  portal = await relyingParty({
    issuer,
    clientId: 'portal',
    redirectUri: 'http://localhost:9231/cb',
    reach: () => b.url,
  });
  records = await relyingParty({
    issuer,
    clientId: 'records',
    redirectUri: 'http://localhost:9232/cb',
    reach: () => b.url,
  });
}, 180_000);

afterAll(async () => {
  await doctor?.close();
  const codes = await Promise.all([a, b].filter((p) => p !== undefined && alive(p)).map(stopSso));
  await redis?.stop();
  await rm(dir, { recursive: true, force: true });
  expect(codes.every((c) => c === 0)).toBe(true);
});

describe('operations surface', () => {
  it('/healthz and /readyz answer 200 and /metrics counts a completed sign-in', async () => {
    for (const p of [a, b]) {
      expect((await timed(`${p.url}/healthz`)).status).toBe(200);
      expect((await timed(`${p.url}/readyz`)).status).toBe(200);
    }
    const count = async () =>
      (await metric(a, 'hpki_sso_sign_ins_completed_total')) + (await metric(b, 'hpki_sso_sign_ins_completed_total'));
    const codes = async () =>
      (await metric(a, 'hpki_sso_codes_issued_total')) + (await metric(b, 'hpki_sso_codes_issued_total'));
    const [before, codesBefore] = [await count(), await codes()];
    const start = await portal.start();
    const outcome = await signIn(browser(), issuer, start.url, doctor);
    await portal.finish(outcome.callback!, start);
    expect(await count()).toBe(before + 1);
    expect(await codes()).toBe(codesBefore + 1);
    const text = await (await fetch(`${a.url}/metrics`)).text();
    expect(text).toContain('# TYPE hpki_sso_sign_ins_started_total counter');
    expect(text).toMatch(/hpki_sso_http_responses_total\{route="[a-z_]+",status="\d{3}"\}/);
    // Logs are JSON lines with a request id, and no code, token or cookie. They are written at
    // least once a second (sso-command.ts): wait that long so every line of the sign-in is there.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const lines = a
      .stderr()
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('{'));
    expect(lines.length).toBeGreaterThan(0);
    const entries = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(entries.some((e) => e.msg === 'request' && typeof e.requestId === 'string')).toBe(true);
    const code = outcome.callback!.searchParams.get('code')!;
    expect(a.stderr() + b.stderr()).not.toContain(code);
    expect(a.stderr() + b.stderr()).not.toMatch(/sso_session|hpki-sso=|eyJ/);
  });
});

describe('Redis goes away and comes back', () => {
  let sessionBrowser: CookieBrowser;

  it('Redis down: /readyz 503 within 2 s, every request answered within 5 s, no process exits', async () => {
    sessionBrowser = browser();
    const start = await portal.start();
    const outcome = await signIn(sessionBrowser, issuer, start.url, doctor);
    await portal.finish(outcome.callback!, start);
    // appendfsync everysec: what was written more than a second before a crash is on disk.
    await new Promise((r) => setTimeout(r, 1_500));
    await redis.kill('SIGKILL');
    const down = performance.now();

    for (const p of [a, b]) {
      let ready = await timed(`${p.url}/readyz`);
      while (ready.status === 200 && performance.now() - down < 5_000) ready = await timed(`${p.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(ready.ms).toBeLessThan(2_000);
      expect(performance.now() - down).toBeLessThan(4_000);
    }
    const authorization = (await records.start()).url;
    const requests: [string, RequestInit][] = [
      [`${authorization.pathname}${authorization.search}`, {}],
      ['/hpki/challenge', {}],
      ['/interaction/aaaaaaaaaaaaaaaaaaaaa', {}],
      [
        '/token',
        {
          method: 'POST',
          body: 'grant_type=authorization_code&code=x',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        },
      ],
      ['/me', { headers: { authorization: 'Bearer x' } }],
      ['/session/end', {}],
      [
        '/hpki/login',
        { method: 'POST', body: '{}', headers: { 'content-type': 'application/json', 'x-hpki-login': '1' } },
      ],
    ];
    for (const p of [a, b]) {
      const answers = await Promise.all(requests.map(([path, init]) => timed(`${p.url}${path}`, init)));
      for (const [i, answer] of answers.entries()) {
        expect(answer.ms, requests[i]![0]).toBeLessThan(5_000);
        const unavailable = answer.status === 503 || answer.location.includes('error=temporarily_unavailable');
        expect([requests[i]![0], unavailable]).toEqual([requests[i]![0], true]);
      }
      // Discovery and keys need no store.
      expect((await timed(`${p.url}/.well-known/openid-configuration`)).status).toBe(200);
      expect((await timed(`${p.url}/healthz`)).status).toBe(200);
    }
    await new Promise((r) => setTimeout(r, 1_000));
    expect(alive(a) && alive(b)).toBe(true);
  }, 60_000);

  it('Redis back with its AOF: the session from before gives another client a code without a card; new sign-ins work', async () => {
    await redis.restart();
    for (const p of [a, b])
      await expect.poll(async () => (await timed(`${p.url}/readyz`)).status, { timeout: 10_000 }).toBe(200);
    const start = await records.start();
    const sso = await signIn(sessionBrowser, issuer, start.url, undefined);
    expect(sso.askedForCard).toBe(false);
    expect(sso.callback?.searchParams.get('code')).toBeTruthy();
    expect((await records.finish(sso.callback!, start)).claims()?.hpki_role).toBe('Medical Doctor');

    const fresh = await portal.start();
    const outcome = await signIn(browser(), issuer, fresh.url, doctor);
    expect(outcome.askedForCard).toBe(true);
    await portal.finish(outcome.callback!, fresh);
  }, 30_000);
});

describe('a process dies in the middle of a sign-in', () => {
  it('SIGKILL of the process that showed the login page: the other process finishes the sign-in', async () => {
    const c = createCookieBrowser();
    let target = a.url;
    c.route(issuer, () => target);
    const start = await portal.start();
    const page = await signIn(c, issuer, start.url, undefined);
    expect(page.askedForCard).toBe(true);
    expect(new URL(page.hops.at(-1)!.url).pathname).toBe('/auth');
    a.process.kill('SIGKILL');
    await new Promise<void>((resolve) => a.process.once('exit', () => resolve()));
    target = b.url;
    const rest = await signIn(c, issuer, page.hops.at(-1)!.url, doctor);
    expect(rest.askedForCard).toBe(true);
    expect(rest.callback?.searchParams.get('code')).toBeTruthy();
    expect((await portal.finish(rest.callback!, start)).claims()?.hpki_role).toBe('Medical Doctor');
  }, 30_000);
});
