import { describe, expect, it } from 'vitest';
import { describeLimits, parseLimitOptions } from '../../../../scripts/cli/limit-options.js';
import { UsageError } from '../../../../scripts/cli/usage-error.js';

/** The limit options of `hpki-login demo` and `hpki-login sso`. */

describe('limit options', () => {
  it('leaves the defaults when none is given', () => {
    expect(parseLimitOptions({})).toEqual({});
    expect(describeLimits({})).toBe(
      '  limits per client and minute: 60 challenges, 30 logins; at most 10000 pending (100 per client)\n',
    );
  });

  it('reads rates per minute, 0 as no limit, the bound and the trusted proxies', () => {
    const settings = parseLimitOptions({
      'challenge-rate': '120',
      'login-rate': '0',
      'max-pending': '50000',
      'trust-proxy': ['10.0.0.0/8', '::1', '192.0.2.7'],
    });
    expect(settings).toEqual({
      challengeRate: { limit: 120, windowMs: 60_000 },
      loginRate: false,
      maxPendingChallenges: 50_000,
      trustProxy: ['10.0.0.0/8', '::1', '192.0.2.7'],
    });
    expect(!(settings instanceof UsageError) && describeLimits(settings)).toBe(
      '  limits per client and minute: 120 challenges, no login limit; at most 50000 pending (500 per client); X-Forwarded-For from 10.0.0.0/8, ::1, 192.0.2.7\n',
    );
  });

  it('answers a usage error for anything else', () => {
    for (const values of [
      { 'challenge-rate': '-1' },
      { 'login-rate': '1.5' },
      { 'max-pending': '0' },
      { 'trust-proxy': ['proxy.example'] },
      { 'trust-proxy': ['10.0.0.0/33'] },
      { 'trust-proxy': ['::1/129'] },
    ]) {
      expect(parseLimitOptions(values)).toBeInstanceOf(UsageError);
    }
  });
});
