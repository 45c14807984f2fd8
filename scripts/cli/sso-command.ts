import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type Logger, pino } from 'pino';
import { type SsoClient, ssoClientsFileSchema } from '../../protocol/sso.js';
import { loadOrCreateKeys, rotateKeys } from '../../server/sso/keys.js';
import { createMemorySsoStore } from '../../server/sso/memory-store.js';
import { createRedisSsoStore, DEFAULT_REDIS_MAX_PENDING_SIGN_INS } from '../../server/sso/redis-store.js';
import { checkIssuer, ephemeralKeys, type RunningSsoServer, startSsoServer } from '../../server/sso/server.js';
import type { SsoStore } from '../../server/sso/store.js';
import { createTokenVerifier, type DetailedTokenVerifier } from '../../server/verify/index.js';
import { describeClientsIssue } from './clients-file-issue.js';
import { defaultPkiDir } from './demo-command.js';
import { describeLimits, LIMIT_OPTIONS, LIMIT_USAGE, parseLimitOptions } from './limit-options.js';
import { trustMockPki } from './mock-pki-trust.js';
import { parseArgsUsageError, usageErrorLineOf } from './usage-error.js';
import { readInputFile, readTrustInputs, UsageError } from './verify-cert-command.js';

/**
 * `hpki-login sso …` (PROTOCOL.md §10): the OpenID Provider whose only login is the HPKI card, and
 * `hpki-login sso rotate-keys --keys FILE`. Runs until SIGINT or SIGTERM. Exit 0, 1 failure, 2 usage.
 */

const USAGE = `usage:
  hpki-login sso --issuer URL --clients FILE [--port N] [--host ADDR] [--name NAME]
                 [--pki DIR | --anchor FILE… [--intermediate FILE…] [--crl FILE…]]
                 [--redis URL] [--keys FILE] [--allow-private-network]
                 [--challenge-rate N] [--login-rate N] [--max-pending N] [--trust-proxy ADDR…]
                 [--max-pending-sign-ins N] [--max-pending-per-client N]
  hpki-login sso rotate-keys --keys FILE

  --issuer URL             the public issuer, an origin (https://…, or http://localhost:N)
  --clients FILE           JSON array of client metadata, with optional hpki_allowed_roles
  --port N                 where this process listens (default: the issuer's port)
  --host ADDR              interface (default 127.0.0.1 for a loopback issuer, else 0.0.0.0)
  --name NAME              the provider's name on its pages and in the PIN window
  --pki DIR                trust the mock PKI in DIR (development; default ~/.hpki-login/mock-pki)
  --anchor/--intermediate/--crl FILE   the HPKI trust (PEM or DER); CRLs also fetched from CRLDPs, fail closed
  --redis URL              every piece of state in Redis (also HPKI_LOGIN_REDIS_URL): any number of processes
  --keys FILE              private JWKS (0600), made when absent; needed with --redis
  --allow-private-network  let back-channel logout reach loopback and private addresses
${LIMIT_USAGE}  --max-pending-sign-ins N  sign-ins not yet proven by a card (interactions, login pages) kept at once
                           (default 80000); beyond it new ones wait, and those under way go on
  --max-pending-per-client N  of those, one client's at most (default a hundredth, at least 16)

  Logs: one JSON object a line on standard error (request id, route, status; never a PIN, token,
  code or cookie). GET /healthz, /readyz and /metrics (Prometheus) for load balancers and monitoring.
`;

export const DEFAULT_PROVIDER_NAME = 'HPKIログイン 認証基盤';
const MAX_CLIENTS_FILE_BYTES = 1024 * 1024;

const OPTIONS = {
  issuer: { type: 'string' },
  clients: { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  name: { type: 'string' },
  pki: { type: 'string' },
  anchor: { type: 'string', multiple: true },
  intermediate: { type: 'string', multiple: true },
  crl: { type: 'string', multiple: true },
  redis: { type: 'string' },
  keys: { type: 'string' },
  'allow-private-network': { type: 'boolean' },
  'max-pending-sign-ins': { type: 'string' },
  'max-pending-per-client': { type: 'string' },
  ...LIMIT_OPTIONS,
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; strict: true }>>['values'];

function parse(args: string[]): Values {
  try {
    return parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw parseArgsUsageError(err);
  }
}

export async function readClientsFile(path: string): Promise<SsoClient[]> {
  let bytes: Uint8Array;
  try {
    bytes = await readInputFile(path, MAX_CLIENTS_FILE_BYTES);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    throw new UsageError(`--clients: ${err.message}`, `--clients: ${err.ja}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8'));
  } catch {
    throw new UsageError(`--clients: ${path} is not JSON`, `--clients: ${path} は JSON ではありません`);
  }
  const parsed = ssoClientsFileSchema.safeParse(json);
  if (!parsed.success) {
    throw new UsageError(
      `--clients: ${path} ${describeClientsIssue(parsed.error.issues[0])}`,
      `--clients: ${path} の内容が正しくありません`,
    );
  }
  return parsed.data;
}

interface Trust {
  verifier: DetailedTokenVerifier;
  describe: string;
  close(): void;
}

async function trustFrom(values: Values, onError: (err: unknown) => void): Promise<Trust> {
  if (values.pki !== undefined && values.anchor !== undefined)
    throw new UsageError('--pki and --anchor exclude each other', '--pki と --anchor は同時に指定できません');
  if (values.anchor === undefined) {
    if (values.intermediate !== undefined || values.crl !== undefined)
      throw new UsageError(
        '--intermediate and --crl go with --anchor',
        '--intermediate と --crl は --anchor と一緒に使います',
      );
    const dir = resolve(values.pki ?? defaultPkiDir());
    const trust = await trustMockPki(dir, { allowedRoles: 'any', onRefreshError: onError });
    return { ...trust, describe: `the mock PKI in ${dir} (development)` };
  }
  const inputs = await readTrustInputs(values);
  const verifier = createTokenVerifier({
    ...inputs.validatorOptions,
    fetchCrls: true,
    revocation: 'fail-closed',
    allowedRoles: 'any',
  });
  return { verifier, describe: `${values.anchor.length} anchor(s), revocation fail-closed`, close: () => undefined };
}

function waitForSignal(): Promise<void> {
  return new Promise((done) => {
    const stop = (): void => {
      process.off('SIGINT', stop).off('SIGTERM', stop);
      done();
    };
    process.on('SIGINT', stop).on('SIGTERM', stop);
  });
}

const say = (line: string): void => void process.stderr.write(`hpki-login sso: ${line}\n`);

function countOption(values: Values, name: 'max-pending-sign-ins' | 'max-pending-per-client'): number | undefined {
  const text = values[name];
  if (text === undefined) return undefined;
  if (!/^\d{1,8}$/.test(text) || Number(text) < 1 || Number(text) > 10_000_000)
    throw new UsageError(
      `--${name}: an integer from 1 to 10000000, not ${text}`,
      `--${name} は 1～10000000 の整数です（${text} ではなく）`,
    );
  return Number(text);
}

function issuerOf(text: string): string {
  try {
    return checkIssuer(text);
  } catch (err) {
    throw new UsageError(
      `--issuer: ${err instanceof Error ? err.message : String(err)}`,
      '--issuer は https:// のオリジン（パスなし。開発時は http://localhost:N）です',
    );
  }
}

function portOf(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65_535)
    throw new UsageError(`--port: not a port: ${text}`, `--port: ${text} はポート番号ではありません`);
  return Number(text);
}

/** --redis, else HPKI_LOGIN_REDIS_URL: a redis URL that comes with --keys. */
function redisUrlOf(values: Values): string | undefined {
  const redisUrl = values.redis ?? (process.env.HPKI_LOGIN_REDIS_URL || undefined);
  if (redisUrl !== undefined && !/^rediss?:\/\//.test(redisUrl))
    throw new UsageError('--redis must be a redis:// or rediss:// URL', '--redis は redis:// か rediss:// の URL です');
  if (redisUrl !== undefined && values.keys === undefined) {
    throw new UsageError(
      '--redis shares the state of several processes, which must share their keys too: give --keys FILE',
      '--redis は複数のプロセスで状態を共有するため、鍵も共有が必要です: --keys FILE を指定してください',
    );
  }
  return redisUrl;
}

async function serve(args: string[]): Promise<number> {
  const values = parse(args);
  if (values.help === true) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (values.issuer === undefined)
    throw new UsageError('--issuer URL is needed', '--issuer URL (公開する発行者) が必要です');
  if (values.clients === undefined)
    throw new UsageError('--clients FILE is needed', '--clients FILE (クライアントの一覧) が必要です');
  const issuer = issuerOf(values.issuer);
  const port = portOf(values.port);
  const redisUrl = redisUrlOf(values);
  const limits = parseLimitOptions(values);
  if (limits instanceof UsageError) throw limits;
  const clients = await readClientsFile(values.clients);
  const trust = await trustFrom(values, (err) => say(err instanceof Error ? err.message : String(err)));
  const keysPath = values.keys === undefined ? undefined : resolve(values.keys);
  const keys = keysPath === undefined ? { jwks: ephemeralKeys(), created: true } : await loadOrCreateKeys(keysPath);
  const signIns = countOption(values, 'max-pending-sign-ins');
  const perClient = countOption(values, 'max-pending-per-client');
  const storeBounds = {
    ...(limits.maxPendingChallenges === undefined ? {} : { maxChallenges: limits.maxPendingChallenges }),
    ...(signIns === undefined ? {} : { maxPendingSignIns: signIns }),
    ...(perClient === undefined ? {} : { maxPendingPerClient: perClient }),
  };
  if (perClient !== undefined && perClient > (signIns ?? DEFAULT_REDIS_MAX_PENDING_SIGN_INS))
    throw new UsageError(
      '--max-pending-per-client: at most --max-pending-sign-ins',
      '--max-pending-per-client は --max-pending-sign-ins 以下にしてください',
    );
  const store: SsoStore =
    redisUrl === undefined ? createMemorySsoStore(storeBounds) : createRedisSsoStore({ url: redisUrl, ...storeBounds });

  const { logger, stopLogs } = bufferedLogger();
  let running: RunningSsoServer;
  try {
    running = await startSsoServer({
      issuer,
      ...(port === undefined ? {} : { port }),
      ...(values.host === undefined ? {} : { host: values.host }),
      providerName: values.name ?? DEFAULT_PROVIDER_NAME,
      clients,
      verifier: trust.verifier,
      store,
      keys: { jwks: keys.jwks, ...(keysPath === undefined ? {} : { path: keysPath }) },
      allowPrivateNetwork: values['allow-private-network'] === true,
      limits,
      logger,
    });
  } catch (err) {
    trust.close();
    await store.close();
    const code = (err as NodeJS.ErrnoException).code;
    say(
      code === 'EADDRINUSE'
        ? 'the port is in use; choose another with --port'
        : err instanceof Error
          ? err.message
          : String(err),
    );
    return 1;
  }
  // Listening for Ctrl+C before saying so: whoever reads the banner may signal at once.
  const signalled = waitForSignal();
  process.stdout.write(
    `HPKI SSO provider: ${running.issuer}\n` +
      `  listening on http://${values.host ?? '127.0.0.1'}:${running.port}/\n` +
      `  clients: ${clients.map((c) => c.client_id).join(', ')}\n` +
      `  trusting ${trust.describe}\n` +
      describeLimits(limits) +
      (store.kind === 'redis'
        ? '  state kept in Redis: every process of this issuer may serve any request\n'
        : '  state kept in memory: this process only (one process per issuer; use --redis for more)\n') +
      (keysPath === undefined
        ? `  keys: ephemeral (kid ${running.signingKid()}); tokens die with this process (use --keys FILE)\n`
        : `  keys: ${keysPath}${keys.created ? ' (created)' : ''}, signing kid ${running.signingKid()}\n`) +
      (values['allow-private-network'] === true
        ? '  back-channel logout may reach loopback and private addresses\n'
        : '') +
      'Press Ctrl+C to stop.\n',
  );
  await signalled;
  await running.close();
  stopLogs();
  trust.close();
  await store.close();
  return 0;
}

/** How long a log line may wait in the buffer before it is written. */
const LOG_FLUSH_MS = 1_000;

/**
 * JSON log lines on stderr, written 4 KiB at a time, and at least once a second when there is
 * something to write: a write per line cost as much CPU as the request it logged. A process killed
 * with SIGKILL loses at most its last second of lines; `stopLogs` writes what is left.
 */
function bufferedLogger(): { logger: Logger; stopLogs(): void } {
  const destination = pino.destination({ dest: 2, sync: false, minLength: 4096 });
  let pending = false;
  const logger = pino(
    {
      base: { service: 'hpki-login-sso' },
      hooks: {
        streamWrite: (line) => {
          pending = true;
          return line;
        },
      },
    },
    destination,
  );
  const timer = setInterval(() => {
    if (!pending) return;
    pending = false;
    destination.flush();
  }, LOG_FLUSH_MS);
  timer.unref();
  return {
    logger,
    stopLogs() {
      clearInterval(timer);
      destination.flushSync();
    },
  };
}

async function rotate(args: string[]): Promise<number> {
  const values = parse(args);
  if (values.keys === undefined)
    throw new UsageError('rotate-keys needs --keys FILE', 'rotate-keys には --keys FILE が必要です');
  const { newKid, kids } = await rotateKeys(resolve(values.keys));
  process.stdout.write(`${JSON.stringify({ keys: resolve(values.keys), signingKid: newKid, kids })}\n`);
  return 0;
}

export async function run(args: string[]): Promise<number> {
  try {
    if (args[0] === 'rotate-keys') return await rotate(args.slice(1));
    return await serve(args);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(usageErrorLineOf('sso', err));
      return 2;
    }
    say(err instanceof Error ? err.message : String(err));
    return 1;
  }
}
