import { isIP } from 'node:net';
import type { LimitSettings } from '../../server/http/index.js';
import { defaultSharePerClient } from '../../server/shared/index.js';
import { UsageError } from './usage-error.js';

/** The limit options shared by `hpki-login demo` and `hpki-login sso` (see the Limits section of docs/install.md). */

export const LIMIT_OPTIONS = {
  'challenge-rate': { type: 'string' },
  'login-rate': { type: 'string' },
  'max-pending': { type: 'string' },
  'trust-proxy': { type: 'string', multiple: true },
} as const;

export const LIMIT_USAGE = `  --challenge-rate N       challenges one client may ask for per minute (default 60; 0: no limit)
  --login-rate N           login POSTs one client may send per minute (default 30; 0: no limit)
  --max-pending N          challenges pending at once, beyond which new ones are refused (default 10000)
  --trust-proxy ADDR       a reverse proxy (address or CIDR; repeatable) whose X-Forwarded-For names the client
`;

interface LimitValues {
  'challenge-rate'?: string | undefined;
  'login-rate'?: string | undefined;
  'max-pending'?: string | undefined;
  'trust-proxy'?: string[] | undefined;
}

function count(name: string, text: string, min: number, max: number): number | UsageError {
  if (!/^\d{1,8}$/.test(text) || Number(text) < min || Number(text) > max)
    return new UsageError(
      `--${name}: an integer from ${min} to ${max}, not ${text}`,
      `--${name} は ${min}～${max} の整数です（${text} ではなく）`,
    );
  return Number(text);
}

/** The settings, or a usage error. */
export function parseLimitOptions(values: LimitValues): LimitSettings | UsageError {
  const settings: LimitSettings = {};
  for (const [name, key] of [
    ['challenge-rate', 'challengeRate'],
    ['login-rate', 'loginRate'],
  ] as const) {
    const text = values[name];
    if (text === undefined) continue;
    const n = count(name, text, 0, 1_000_000);
    if (n instanceof UsageError) return n;
    settings[key] = n === 0 ? false : { limit: n, windowMs: 60_000 };
  }
  if (values['max-pending'] !== undefined) {
    const n = count('max-pending', values['max-pending'], 1, 10_000_000);
    if (n instanceof UsageError) return n;
    settings.maxPendingChallenges = n;
  }
  const proxies = values['trust-proxy'] ?? [];
  for (const proxy of proxies) {
    const [address = '', bits, ...rest] = proxy.split('/');
    const family = isIP(address);
    const maxBits = family === 4 ? 32 : 128;
    if (family === 0 || rest.length > 0 || (bits !== undefined && (!/^\d{1,3}$/.test(bits) || Number(bits) > maxBits)))
      return new UsageError(
        `--trust-proxy: not an address or CIDR range: ${proxy}`,
        `--trust-proxy: ${proxy} はアドレスでも CIDR の範囲でもありません`,
      );
  }
  if (proxies.length > 0) settings.trustProxy = proxies;
  return settings;
}

/** One line for the start-up banner. */
export function describeLimits(settings: LimitSettings): string {
  const rate = (r: LimitSettings['challengeRate'], fallback: number, what: string): string =>
    r === false ? `no ${what} limit` : `${r?.limit ?? fallback} ${what}s`;
  const proxies = settings.trustProxy === undefined ? '' : `; X-Forwarded-For from ${settings.trustProxy.join(', ')}`;
  const pending = settings.maxPendingChallenges ?? 10_000;
  return (
    `  limits per client and minute: ${rate(settings.challengeRate, 60, 'challenge')}, ` +
    `${rate(settings.loginRate, 30, 'login')}; at most ${pending} pending (${defaultSharePerClient(pending)} per client)${proxies}\n`
  );
}
