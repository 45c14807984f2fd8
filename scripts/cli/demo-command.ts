import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { isSecureOrigin } from '../../protocol/origin.js';
import { DEMO_ACCOUNT, PORTAL_NAME } from '../../server/demo/pages.js';
import { DEMO_ALLOWED_ROLES } from '../../server/demo/portal.js';
import { RECORDS_NAME } from '../../server/demo/records-pages.js';
import { type RunningDemoPortal, SSO_PROVIDER_NAME, startDemoPortal } from '../../server/demo/start-demo.js';
import type { LimitSettings } from '../../server/http/index.js';
import { openDemoBrowser } from './demo-browser.js';
import { describeLimits, LIMIT_OPTIONS, LIMIT_USAGE, parseLimitOptions } from './limit-options.js';
import { trustMockPki } from './mock-pki-trust.js';
import { parseArgsUsageError, UsageError, usageErrorLineOf } from './usage-error.js';
import { readCertificateFiles } from './verify-cert-command.js';

/**
 * `hpki-login demo [--port N] [--pki DIR] [--no-browser] [--redis URL] [--origin URL]`: the demo
 * regional-network portal on http://localhost:N, trusting the mock PKI in DIR, and (unless
 * --no-browser) Chromium with the extension and a virtual card, ready to log in. Runs until SIGINT or
 * SIGTERM.
 */

const USAGE = `usage: hpki-login demo [--port N] [--pki DIR] [--no-browser] [--no-sso] [--redis URL] [--origin URL]
                        [--document-anchor FILE…] [--challenge-rate N] [--login-rate N] [--max-pending N]
                        [--trust-proxy ADDR…]
  --port N        port on 127.0.0.1 (default 8787; the SSO provider and the second service take N+1 and N+2;
                  0 picks free ones)
  --pki DIR       the mock PKI to trust, made on first use (default ~/.hpki-login/mock-pki)
  --no-browser    open no browser: make the card, register the host and print what to open
  --no-sso        without the OpenID provider and the second service
  --redis URL     keep challenges in Redis (also HPKI_LOGIN_REDIS_URL), to share them between processes
  --origin URL    the origin browsers use, when not http://localhost:N (a proxy, several processes)
  --document-anchor FILE
                  a root certificate (PEM or DER) that 「署名を検証」 trusts besides the mock PKI, e.g. the
                  real HPKI root of the MHLW; repeatable
${LIMIT_USAGE}`;

export const DEFAULT_DEMO_PORT = 8787;

export function defaultPkiDir(): string {
  return join(homedir(), '.hpki-login', 'mock-pki');
}

interface DemoArgs {
  port: number;
  pkiDir: string;
  browser: boolean;
  sso: boolean;
  redisUrl: string | undefined;
  origin: string | undefined;
  documentAnchors: Uint8Array[];
  limits: LimitSettings;
}

const OPTIONS = {
  port: { type: 'string' },
  pki: { type: 'string' },
  'no-browser': { type: 'boolean' },
  'no-sso': { type: 'boolean' },
  redis: { type: 'string' },
  origin: { type: 'string' },
  'document-anchor': { type: 'string', multiple: true },
  ...LIMIT_OPTIONS,
  help: { type: 'boolean', short: 'h' },
} as const;

/** The parsed arguments, or a usage error ('help' for --help). */
async function parseDemoArgs(args: string[]): Promise<DemoArgs | UsageError | 'help'> {
  let values: ReturnType<typeof parseArgs<{ args: string[]; options: typeof OPTIONS; strict: true }>>['values'];
  try {
    values = parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (err) {
    return parseArgsUsageError(err);
  }
  if (values.help === true) return 'help';
  let port = DEFAULT_DEMO_PORT;
  if (values.port !== undefined) {
    if (!/^\d{1,5}$/.test(values.port) || Number(values.port) > 65_535)
      return new UsageError(`--port: not a port: ${values.port}`, `--port: ${values.port} はポート番号ではありません`);
    port = Number(values.port);
  }
  if (values.origin !== undefined && !isSecureOrigin(values.origin)) {
    return new UsageError(
      '--origin must be an https:// origin or http://localhost:N, without a path',
      '--origin は https:// のオリジンか http://localhost:N です（パスなし）',
    );
  }
  const redisUrl = values.redis ?? (process.env.HPKI_LOGIN_REDIS_URL || undefined);
  if (redisUrl !== undefined && !/^rediss?:\/\//.test(redisUrl))
    return new UsageError(
      '--redis must be a redis:// or rediss:// URL',
      '--redis は redis:// か rediss:// の URL です',
    );
  const limits = parseLimitOptions(values);
  if (limits instanceof UsageError) return limits;
  let documentAnchors: Uint8Array[];
  try {
    documentAnchors = await readCertificateFiles(values['document-anchor'] ?? []);
  } catch (err) {
    if (err instanceof UsageError)
      return new UsageError(`--document-anchor: ${err.message}`, `--document-anchor: ${err.ja}`);
    throw err;
  }
  return {
    documentAnchors,
    limits,
    port,
    pkiDir: values.pki ?? defaultPkiDir(),
    browser: values['no-browser'] !== true,
    sso: values['no-sso'] !== true,
    redisUrl,
    origin: values.origin,
  };
}

function waitForSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
      resolve(signal);
    };
    process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  });
}

export async function run(args: string[]): Promise<number> {
  const parsed = await parseDemoArgs(args);
  if (parsed instanceof UsageError) {
    process.stderr.write(usageErrorLineOf('demo', parsed));
    return 2;
  }
  if (parsed === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  let portal: RunningDemoPortal;
  const onInternalError = (err: unknown): void => {
    process.stderr.write(`hpki-login demo: ${err instanceof Error ? err.message : String(err)}\n`);
  };
  const trust = await trustMockPki(parsed.pkiDir, {
    allowedRoles: DEMO_ALLOWED_ROLES,
    onRefreshError: onInternalError,
  });
  const ssoTrust = parsed.sso
    ? await trustMockPki(parsed.pkiDir, { allowedRoles: 'any', onRefreshError: onInternalError })
    : undefined;
  const closeTrust = (): void => {
    trust.close();
    ssoTrust?.close();
  };
  try {
    portal = await startDemoPortal({
      port: parsed.port,
      verifier: trust.verifier,
      ...(ssoTrust === undefined ? {} : { ssoVerifier: ssoTrust.verifier }),
      documentTrust: trust.documentTrust(parsed.documentAnchors),
      onNotice: (line) => process.stderr.write(`hpki-login demo: ${line}\n`),
      redisUrl: parsed.redisUrl,
      origin: parsed.origin,
      limits: parsed.limits,
      onInternalError,
    });
  } catch (err) {
    closeTrust();
    const code = (err as NodeJS.ErrnoException).code;
    const message =
      code === 'EADDRINUSE'
        ? `port ${parsed.port} is in use; choose another with --port`
        : err instanceof Error
          ? err.message
          : String(err);
    process.stderr.write(`hpki-login demo: ${message}\n`);
    return 1;
  }
  // Listening for Ctrl+C before saying so: whoever reads the banner may signal at once.
  const signalled = waitForSignal();
  process.stdout.write(
    `${PORTAL_NAME}: ${portal.origin}/\n` +
      `  listening on http://127.0.0.1:${portal.port}/\n` +
      `  trusting the mock PKI in ${parsed.pkiDir}\n` +
      (parsed.documentAnchors.length === 0
        ? ''
        : `  signed documents also trust ${parsed.documentAnchors.length} --document-anchor certificate(s)\n`) +
      `  challenges kept in ${portal.challengeStore === 'redis' ? 'Redis' : 'memory'}\n` +
      describeLimits(parsed.limits) +
      `  password account: ${DEMO_ACCOUNT.id} / ${DEMO_ACCOUNT.password}\n` +
      (portal.sso === undefined
        ? ''
        : `${SSO_PROVIDER_NAME} (OpenID provider): ${portal.sso.issuer}/.well-known/openid-configuration\n` +
          `${RECORDS_NAME} (logs in only through the provider): ${portal.sso.recordsOrigin}\n`),
  );
  process.stdout.write('Press Ctrl+C to stop.\n');
  // The card and host always; a browser unless --no-browser (or no display: then the steps to open one).
  // While the portal already serves: whoever only needs the portal (a test) does not wait for the card.
  const prepared = openDemoBrowser(portal.origin, parsed.pkiDir, { open: parsed.browser }).catch(onInternalError);
  await signalled;
  await prepared;
  await portal.close();
  closeTrust();
  return 0;
}
