import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CookieBrowser, createCookieBrowser } from '../dev/cookie-browser.js';
import { type Portal, startPortal, stopPortal } from '../dev/demo-portal.js';
import { freePort } from '../dev/free-port.js';
import { type RedisServer, startRedis } from '../dev/redis.js';
import { openCard } from '../dev/sso-card.js';
import { type SsoProcess, startSso, stopSso } from '../dev/sso-provider.js';
import { createCardFile } from '../dev/virtual-card-process.js';
import { cpuDuring, processCpuMs } from './process-cpu.js';
import { type RedisCommands, redisCommandsDuring } from './redis-stats.js';
import { ms, percentile } from './stats.js';

/**
 * `npm run bench:sso`: full authorization-code logins per second through the OpenID provider — two
 * `hpki-login sso` processes behind one issuer sharing a real Redis, each login's requests
 * alternating between them — beside the direct HPKI login of the demo portal, in the same run.
 * The card step (the host signing the challenge) is done ahead with the mock backend, so both
 * figures are server time: for SSO, authorization request (answered with the login page) → token POST → code →
 * token exchange; for the direct login, token POST → portal page. Figures only, no pass/fail.
 *
 * `BENCH_SSO_LOGINS` (default 200) is a round's logins of each kind, `BENCH_SSO_WARM_UP_ROUNDS`
 * (default 10) the rounds before the measured one; `BENCH_SSO_NODE_OPTIONS` are Node options for the
 * providers (`--jitless` shows what V8's compiler does for them).
 *
 * `BENCH_SSO_CPU_PROF=DIR` starts both provider processes with `--cpu-prof --cpu-prof-dir=DIR`: each
 * writes a V8 CPU profile there when it stops (open it in Chrome DevTools). Profiling slows them:
 * read the CPU figures of a run without it.
 */

const LOGINS = Number(process.env.BENCH_SSO_LOGINS ?? 200);
const CONCURRENCY = 4;
/**
 * Rounds of LOGINS logins of each kind run before the measured one, each printing its own figures. A
 * provider runs for days: what counts is its CPU once V8 has compiled its hot paths, and with each
 * process seeing half the calls that takes about two thousand logins (docs/sso.md, "Speed").
 */
const WARM_UP_ROUNDS = Number(process.env.BENCH_SSO_WARM_UP_ROUNDS ?? 10);
const SECRET = 'bench-secret-0123456789abcdef0123456789abcdef';
const REDIRECT = 'http://localhost:9301/cb';

interface Measured {
  latencies: number[];
  perSecond: number;
}

interface Prepared {
  browser: CookieBrowser;
  token: unknown;
}

function b64url(bytes: Buffer): string {
  return bytes.toString('base64url');
}

async function challengeOf(browser: CookieBrowser, origin: string): Promise<string> {
  const res = await browser.fetch(`${origin}/hpki/challenge`);
  return ((await res.json()) as { challenge: string }).challenge;
}

async function postToken(browser: CookieBrowser, origin: string, token: unknown): Promise<string> {
  const res = await browser.fetch(`${origin}/hpki/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-hpki-login': '1' },
    body: JSON.stringify({ token }),
  });
  const json = (await res.json()) as { redirect?: string; error?: unknown };
  if (res.status !== 200 || json.redirect === undefined) throw new Error(`login refused: ${JSON.stringify(json)}`);
  return json.redirect;
}

/** One SSO login from the authorization request to the token response. */
async function ssoLogin(issuer: string, tokenUrl: () => string, p: Prepared): Promise<void> {
  const verifier = b64url(randomBytes(32));
  const state = b64url(randomBytes(16));
  const auth = new URL(`${issuer}/auth`);
  auth.search = new URLSearchParams({
    client_id: 'bench',
    redirect_uri: REDIRECT,
    response_type: 'code',
    scope: 'openid profile hpki',
    state,
    code_challenge: b64url(createHash('sha256').update(verifier).digest()),
    code_challenge_method: 'S256',
  }).toString();
  const page = (await p.browser.navigate(auth.href, { stayOn: [issuer] })).at(-1);
  if (page?.status !== 200) throw new Error(`no login page: ${page?.status} ${page?.url}`);
  const redirect = await postToken(p.browser, issuer, p.token);
  const callback = new URL((await p.browser.navigate(`${issuer}${redirect}`, { stayOn: [issuer] })).at(-1)!.url);
  const code = callback.searchParams.get('code');
  if (code === null || callback.searchParams.get('state') !== state) throw new Error(`no code: ${callback.href}`);
  const res = await fetch(tokenUrl(), {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`bench:${SECRET}`).toString('base64')}`,
    },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT,
      code_verifier: verifier,
    }).toString(),
  });
  const tokens = (await res.json()) as { id_token?: string };
  if (tokens.id_token === undefined) throw new Error(`no ID token: ${JSON.stringify(tokens)}`);
}

async function directLogin(origin: string, p: Prepared): Promise<void> {
  const redirect = await postToken(p.browser, origin, p.token);
  const page = (await p.browser.navigate(`${origin}${redirect}`)).at(-1);
  if (page?.status !== 200 || !page.body.includes('ようこそ')) throw new Error('portal page missing');
}

function redisLine(commands: RedisCommands): string {
  const per = (n: number): string => (n / LOGINS).toFixed(1);
  return `Redis per SSO login: ${per(commands.scripts)} scripts, ${per(commands.commands)} commands in all (the scripts' own included)\n`;
}

/**
 * Node options for the providers: those of BENCH_SSO_NODE_OPTIONS, and V8's CPU profiler when
 * BENCH_SSO_CPU_PROF names a directory.
 */
function providerNodeOptions(): string[] {
  const dir = process.env.BENCH_SSO_CPU_PROF;
  const extra = (process.env.BENCH_SSO_NODE_OPTIONS ?? '').split(' ').filter((o) => o !== '');
  return dir === undefined || dir === '' ? extra : [...extra, '--cpu-prof', `--cpu-prof-dir=${dir}`];
}

/** Runs `run` over the prepared logins, CONCURRENCY at a time; per-login latencies and the rate. */
async function measure(prepared: Prepared[], run: (p: Prepared) => Promise<void>): Promise<Measured> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < prepared.length) {
        const p = prepared[next++]!;
        const t0 = performance.now();
        await run(p);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { latencies: latencies.sort((x, y) => x - y), perSecond: prepared.length / seconds };
}

interface Servers {
  issuer: string;
  a: SsoProcess;
  b: SsoProcess;
  redis: RedisServer;
  portal: Portal;
  card: Awaited<ReturnType<typeof openCard>>;
}

/** Both kinds of login, `count` each, with their tokens signed ahead (not measured). */
async function prepareRound(s: Servers, count: number, alternate: () => string): Promise<[Prepared[], Prepared[]]> {
  const sso: Prepared[] = [];
  const direct: Prepared[] = [];
  for (let i = 0; i < count; i++) {
    const browser = createCookieBrowser();
    browser.route(s.issuer, alternate);
    sso.push({ browser, token: await s.card.token(s.issuer, await challengeOf(browser, s.issuer)) });
    const portalBrowser = createCookieBrowser();
    portalBrowser.route(s.portal.origin, s.portal.url);
    direct.push({
      browser: portalBrowser,
      token: await s.card.token(s.portal.origin, await challengeOf(portalBrowser, s.portal.origin)),
    });
  }
  return [sso, direct];
}

interface Round {
  sso: Measured;
  direct: Measured;
  /** CPU of both providers and Redis, of Redis alone, and of the portal, in ms; undefined without /proc. */
  ssoCpu: number | undefined;
  redisCpu: number | undefined;
  directCpu: number | undefined;
  commands: RedisCommands;
}

/** One round: the SSO logins, then the direct ones, each with the CPU its servers used meanwhile. */
async function runRound(s: Servers, alternate: () => string): Promise<Round> {
  const [ssoPrepared, directPrepared] = await prepareRound(s, LOGINS, alternate);
  const tokenUrl = (): string => `${alternate()}/token`;
  let sso: Measured | undefined;
  let ssoCpu: number | undefined;
  const redisBefore = processCpuMs(s.redis.pid);
  const commands = await redisCommandsDuring(s.redis.url, async () => {
    ssoCpu = await cpuDuring([s.a.process.pid, s.b.process.pid, s.redis.pid], async () => {
      sso = await measure(ssoPrepared, (p) => ssoLogin(s.issuer, tokenUrl, p));
    });
  });
  const redisAfter = processCpuMs(s.redis.pid);
  let direct: Measured | undefined;
  const directCpu = await cpuDuring([s.portal.process.pid], async () => {
    direct = await measure(directPrepared, (p) => directLogin(s.portal.origin, p));
  });
  if (sso === undefined || direct === undefined) throw new Error('a measurement did not run');
  const redisCpu = redisBefore === undefined || redisAfter === undefined ? undefined : redisAfter - redisBefore;
  return { sso, direct, ssoCpu, redisCpu, directCpu, commands };
}

const perLogin = (cpu: number | undefined): string => (cpu === undefined ? 'n/a' : ms(cpu / LOGINS));

function report(round: Round): string {
  const { sso, direct, ssoCpu, redisCpu, directCpu } = round;
  const cpuLine =
    ssoCpu === undefined || directCpu === undefined
      ? 'server CPU per login: not available (no /proc)\n'
      : `server CPU per login: SSO ${perLogin(ssoCpu)} (both providers + Redis${
          redisCpu === undefined ? '' : `, of which Redis ${perLogin(redisCpu)}`
        }), direct ${perLogin(directCpu)} (portal) → ${(ssoCpu / directCpu).toFixed(2)}×\n` +
        `machine load while measuring (1-minute average, ${cpus().length} cores): ${loadavg()[0]!.toFixed(1)}\n`;
  const line = (label: string, r: Measured): string =>
    `${label.padEnd(52)} ${r.perSecond.toFixed(1).padStart(7)}/s   p50 ${ms(percentile(r.latencies, 50))}   p99 ${ms(percentile(r.latencies, 99))}`;
  return (
    `\n${LOGINS} logins each, ${CONCURRENCY} at a time, on this machine's cores shared by the processes and this client\n` +
    `${line('SSO: auth request → card login → code → tokens', sso)}\n` +
    `${line('direct portal login: token POST → portal page', direct)}\n` +
    `SSO / direct, p50: ${(percentile(sso.latencies, 50) / percentile(direct.latencies, 50)).toFixed(2)}×\n` +
    cpuLine +
    redisLine(round.commands)
  );
}

async function startServers(dir: string): Promise<Servers> {
  const redis = await startRedis();
  const pki = join(dir, 'pki');
  await createCardFile(join(dir, 'doctor.card'), pki, ['--holder-id', 'BENCH-0001']);
  const card = await openCard(join(dir, 'doctor.card'));
  const issuer = `http://localhost:${await freePort()}`;
  await writeFile(
    join(dir, 'clients.json'),
    JSON.stringify([{ client_id: 'bench', client_secret: SECRET, redirect_uris: [REDIRECT] }]),
  );
  // One address sends every login, a round's challenges issued ahead: one client's share of the
  // pending challenges (a hundredth of --max-pending) must hold a round.
  const maxPending = ['--max-pending', String(Math.max(10_000, LOGINS * 100))];
  const common = [
    ...['--issuer', issuer, '--clients', join(dir, 'clients.json'), '--pki', pki, ...maxPending],
    ...['--redis', redis.url, '--keys', join(dir, 'keys.json'), '--challenge-rate', '0', '--login-rate', '0'],
  ];
  const nodeOptions = providerNodeOptions();
  const [a, b] = await Promise.all([startSso(common, nodeOptions), startSso([...common, '--port', '0'], nodeOptions)]);
  // One address sends every login: the per-client limits are off, as behind a proxy that limits.
  const portal = await startPortal([
    '--no-sso',
    '--pki',
    pki,
    '--challenge-rate',
    '0',
    '--login-rate',
    '0',
    ...maxPending,
  ]);
  return { issuer, a, b, redis, portal, card };
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'hpki-bench-sso-'));
  const s = await startServers(dir);
  try {
    let turn = 0;
    // Each login's requests alternate between the two processes: every record crosses them.
    const alternate = (): string => (turn++ % 2 === 0 ? s.a.url : s.b.url);
    process.stdout.write(
      `warming up: ${WARM_UP_ROUNDS} rounds of ${LOGINS} logins of each kind (tokens signed ahead with the mock backend)\n`,
    );
    for (let i = 1; i <= WARM_UP_ROUNDS; i++) {
      const round = await runRound(s, alternate);
      process.stdout.write(
        `  warm-up round ${i}: server CPU per login SSO ${perLogin(round.ssoCpu)}, direct ${perLogin(round.directCpu)}\n`,
      );
    }
    process.stdout.write(report(await runRound(s, alternate)));
  } finally {
    await s.card.close();
    await Promise.all([stopSso(s.a), stopSso(s.b), stopPortal(s.portal)]);
    await s.redis.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
