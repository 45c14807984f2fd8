import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CookieBrowser, createCookieBrowser } from '../dev/cookie-browser.js';
import { startPortal, stopPortal } from '../dev/demo-portal.js';
import { freePort } from '../dev/free-port.js';
import { startRedis } from '../dev/redis.js';
import { openCard } from '../dev/sso-card.js';
import { startSso, stopSso } from '../dev/sso-provider.js';
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
 * `BENCH_SSO_CPU_PROF=DIR` starts both provider processes with `--cpu-prof --cpu-prof-dir=DIR`: each
 * writes a V8 CPU profile there when it stops (open it in Chrome DevTools). Profiling slows them:
 * read the CPU figures of a run without it.
 */

const LOGINS = Number(process.env.BENCH_SSO_LOGINS ?? 200);
const CONCURRENCY = 4;
const WARM_UP = 20;
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

/** Starts the providers with V8's CPU profiler when BENCH_SSO_CPU_PROF names a directory. */
async function withProfiling<T>(start: () => Promise<T>): Promise<T> {
  const dir = process.env.BENCH_SSO_CPU_PROF;
  if (dir === undefined || dir === '') return start();
  const before = process.env.NODE_OPTIONS;
  process.env.NODE_OPTIONS = `${before ?? ''} --cpu-prof --cpu-prof-dir=${dir}`.trim();
  try {
    return await start();
  } finally {
    if (before === undefined) delete process.env.NODE_OPTIONS;
    else process.env.NODE_OPTIONS = before;
  }
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

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'hpki-bench-sso-'));
  const redis = await startRedis();
  const pki = join(dir, 'pki');
  await createCardFile(join(dir, 'doctor.card'), pki, ['--holder-id', 'BENCH-0001']);
  const card = await openCard(join(dir, 'doctor.card'));
  const issuer = `http://localhost:${await freePort()}`;
  await writeFile(
    join(dir, 'clients.json'),
    JSON.stringify([{ client_id: 'bench', client_secret: SECRET, redirect_uris: [REDIRECT] }]),
  );
  const common = [
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
    '--challenge-rate',
    '0',
    '--login-rate',
    '0',
  ];
  const [a, b] = await withProfiling(() => Promise.all([startSso(common), startSso([...common, '--port', '0'])]));
  // One address sends every login: the per-client limits are off, as behind a proxy that limits.
  const portal = await startPortal(['--no-sso', '--pki', pki, '--challenge-rate', '0', '--login-rate', '0']);
  try {
    const total = WARM_UP + LOGINS;
    process.stdout.write(`signing ${2 * total} tokens ahead with the mock backend…\n`);
    let turn = 0;
    const alternate = (): string => (turn++ % 2 === 0 ? a.url : b.url);
    const prepareSso = async (): Promise<Prepared> => {
      const browser = createCookieBrowser();
      browser.route(issuer, alternate);
      return { browser, token: await card.token(issuer, await challengeOf(browser, issuer)) };
    };
    const prepareDirect = async (): Promise<Prepared> => {
      const browser = createCookieBrowser();
      browser.route(portal.origin, portal.url);
      return { browser, token: await card.token(portal.origin, await challengeOf(browser, portal.origin)) };
    };
    const ssoPrepared: Prepared[] = [];
    const directPrepared: Prepared[] = [];
    for (let i = 0; i < total; i++) {
      ssoPrepared.push(await prepareSso());
      directPrepared.push(await prepareDirect());
    }
    const tokenUrl = (): string => `${alternate()}/token`;
    // Warm both paths (JIT, connections, the verifier's caches) before measuring.
    await measure(ssoPrepared.splice(0, WARM_UP), (p) => ssoLogin(issuer, tokenUrl, p));
    await measure(directPrepared.splice(0, WARM_UP), (p) => directLogin(portal.origin, p));
    let sso: Measured | undefined;
    let direct: Measured | undefined;
    // Server time: the CPU the provider processes and Redis use, beside the demo portal's.
    const redisBefore = processCpuMs(redis.pid);
    let ssoCpu: number | undefined;
    const commands = await redisCommandsDuring(redis.url, async () => {
      ssoCpu = await cpuDuring([a.process.pid, b.process.pid, redis.pid], async () => {
        sso = await measure(ssoPrepared, (p) => ssoLogin(issuer, tokenUrl, p));
      });
    });
    const redisAfter = processCpuMs(redis.pid);
    const redisCpu = redisBefore === undefined || redisAfter === undefined ? undefined : redisAfter - redisBefore;
    const directCpu = await cpuDuring([portal.process.pid], async () => {
      direct = await measure(directPrepared, (p) => directLogin(portal.origin, p));
    });
    if (sso === undefined || direct === undefined) throw new Error('a measurement did not run');
    const cpuLine =
      ssoCpu === undefined || directCpu === undefined
        ? 'server CPU per login: not available (no /proc)\n'
        : `server CPU per login: SSO ${ms(ssoCpu / LOGINS)} (both providers + Redis${
            redisCpu === undefined ? '' : `, of which Redis ${ms(redisCpu / LOGINS)}`
          }), direct ${ms(directCpu / LOGINS)} (portal) → ${(ssoCpu / directCpu).toFixed(2)}×\n` +
          `machine load while measuring (1-minute average, ${cpus().length} cores): ${loadavg()[0]!.toFixed(1)}\n`;
    const line = (label: string, r: Measured): string =>
      `${label.padEnd(52)} ${r.perSecond.toFixed(1).padStart(7)}/s   p50 ${ms(percentile(r.latencies, 50))}   p99 ${ms(percentile(r.latencies, 99))}`;
    process.stdout.write(
      `\n${LOGINS} logins each, ${CONCURRENCY} at a time, on this machine's cores shared by the processes and this client\n` +
        `${line('SSO: auth request → card login → code → tokens', sso)}\n` +
        `${line('direct portal login: token POST → portal page', direct)}\n` +
        `SSO / direct, p50: ${(percentile(sso.latencies, 50) / percentile(direct.latencies, 50)).toFixed(2)}×\n` +
        cpuLine +
        redisLine(commands),
    );
  } finally {
    await card.close();
    await Promise.all([stopSso(a), stopSso(b), stopPortal(portal)]);
    await redis.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
