import type { ServerResponse } from 'node:http';
import type { ClientOf } from './client-address.js';
import { createRateLimiter, type RateDecision, type RateLimit, type RateLimiter } from './rate-limit.js';
import { errorBody, sendJson } from './responses.js';

/** The per-client limits of the HPKI routes: their defaults, their options and how a refusal is answered. */

/** Challenges a client may ask for: 60 a minute (a hospital's doctors may share one NAT address). */
export const DEFAULT_CHALLENGE_RATE: RateLimit = { limit: 60, windowMs: 60_000 };
/** Login POSTs a client may send: 30 a minute. */
export const DEFAULT_LOGIN_RATE: RateLimit = { limit: 30, windowMs: 60_000 };

/** Per-client rate limits of the challenge and login routes (429 with `Retry-After` beyond them). */
export interface HpkiRouteLimits {
  /** Default DEFAULT_CHALLENGE_RATE; `false`: no limit (a proxy in front limits instead). */
  challenge?: RateLimiter | false;
  /** Default DEFAULT_LOGIN_RATE; `false`: no limit. Pass the same limiter as a password form to share it. */
  login?: RateLimiter | false;
  /** Who a request's client is; default its remote address (createClientAddress: no proxy trusted). */
  clientOf?: ClientOf;
}

/**
 * Answers a refused request: 429 when the client asked too often, 503 when the limiter is full;
 * both with `Retry-After`. True when the request was refused (and answered).
 */
export function refuseOverLimit(
  res: ServerResponse,
  decision: RateDecision,
  headers: Record<string, string> = {},
): boolean {
  if (decision.allowed) return false;
  const message =
    decision.reason === 'rate'
      ? `too many requests from this address; try again in ${decision.retryAfterSeconds} s`
      : 'too many clients at once; try again shortly';
  sendJson(res, decision.reason === 'rate' ? 429 : 503, errorBody('ERR_HPKI_INTERNAL', message), {
    ...headers,
    'Retry-After': String(decision.retryAfterSeconds),
  });
  return true;
}

/** The limiter to use: the one given, none for `false`, else one at `fallback`. */
export const limiterOf = (given: RateLimiter | false | undefined, fallback: RateLimit): RateLimiter | undefined =>
  given === false ? undefined : (given ?? createRateLimiter(fallback));
