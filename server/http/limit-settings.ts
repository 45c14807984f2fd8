import { createClientAddress } from './client-address.js';
import { checkRateLimit, createRateLimiter, type RateLimit } from './rate-limit.js';
import { DEFAULT_CHALLENGE_RATE, DEFAULT_LOGIN_RATE, type HpkiRouteLimits } from './route-limits.js';

/**
 * An operator's limits for a login site (the `demo` and `sso` commands' options): per-client rates of
 * challenge issue and login POSTs (`false`: none, e.g. when a proxy in front limits), the proxies
 * whose X-Forwarded-For names the client, and how many challenges may be pending at once.
 */
export interface LimitSettings {
  challengeRate?: RateLimit | false;
  loginRate?: RateLimit | false;
  trustProxy?: readonly string[];
  /** Pending challenges kept at most (the challenge store's bound). */
  maxPendingChallenges?: number;
}

/** The route limits the settings describe: fresh limiters, so each site counts its own requests. */
export function routeLimitsOf(settings: LimitSettings = {}): Required<HpkiRouteLimits> {
  const limiter = (rate: RateLimit | false | undefined, fallback: RateLimit) =>
    rate === false ? false : createRateLimiter(checkRateLimit(rate ?? fallback));
  return {
    challenge: limiter(settings.challengeRate, DEFAULT_CHALLENGE_RATE),
    login: limiter(settings.loginRate, DEFAULT_LOGIN_RATE),
    clientOf: createClientAddress({ trustProxy: settings.trustProxy ?? [] }),
  };
}
