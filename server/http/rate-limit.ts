import { createExpiringMap, retryAfterSecondsOf } from '../shared/index.js';

/** At most `limit` requests per client in any `windowMs`, refilled evenly (a token bucket). */
export interface RateLimit {
  limit: number;
  windowMs: number;
}

export type RateDecision =
  | { allowed: true }
  /** 429: this client asked too often. */
  | { allowed: false; reason: 'rate'; retryAfterSeconds: number }
  /** 503: too many clients are tracked at once to tell this one apart; nobody's count is dropped. */
  | { allowed: false; reason: 'full'; retryAfterSeconds: number };

export interface RateLimiter {
  readonly limit: RateLimit;
  /** Counts one request of `client` (see client-address.ts for what a client is). */
  hit(client: string): RateDecision;
}

export interface RateLimiterOptions extends RateLimit {
  /** Clients tracked at once. Default 100 000. */
  maxClients?: number;
  now?: () => number;
}

export function checkRateLimit(rate: RateLimit): RateLimit {
  if (!Number.isInteger(rate.limit) || rate.limit < 1 || rate.limit > 1_000_000)
    throw new RangeError('rate limit: limit must be an integer from 1 to 1 000 000');
  if (!Number.isInteger(rate.windowMs) || rate.windowMs < 1_000 || rate.windowMs > 24 * 60 * 60_000)
    throw new RangeError('rate limit: windowMs must be an integer from 1 000 to 86 400 000');
  return { limit: rate.limit, windowMs: rate.windowMs };
}

/**
 * A token bucket per client in the bounded expiring map: a client starts with `limit` requests, each
 * request spends one, and they come back at `limit` per `windowMs`. An entry drops once its bucket
 * would be full again (`windowMs` after its last request: the same lifetime for every entry), which
 * is the same as a new client. A full map refuses an unknown client (503) rather than forget another
 * client's count: forgetting would hand a flooding client a fresh bucket.
 */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const { limit, windowMs } = checkRateLimit(options);
  const now = options.now ?? Date.now;
  const perMs = limit / windowMs;
  const buckets = createExpiringMap<{ tokens: number; at: number }>({
    maxEntries: options.maxClients ?? 100_000,
    now,
  });
  return {
    limit: { limit, windowMs },
    hit(client) {
      const at = now();
      const bucket = buckets.get(client);
      const tokens = bucket === undefined ? limit : Math.min(limit, bucket.tokens + (at - bucket.at) * perMs);
      if (tokens < 1) {
        return { allowed: false, reason: 'rate', retryAfterSeconds: retryAfterSecondsOf((1 - tokens) / perMs) };
      }
      if (!buckets.set(client, { tokens: tokens - 1, at }, at + windowMs)) {
        return { allowed: false, reason: 'full', retryAfterSeconds: retryAfterSecondsOf(buckets.msUntilRoom()) };
      }
      return { allowed: true };
    },
  };
}
