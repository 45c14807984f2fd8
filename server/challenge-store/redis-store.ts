import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { CHALLENGE_PATTERN } from '../../protocol/challenge.js';
import { HpkiError } from '../../protocol/errors.js';
import {
  assertSessionId,
  type ChallengeStore,
  type ChallengeTake,
  checkGraceMs,
  checkTtlMs,
  isValidSessionId,
  randomBase64Url256,
  storeClosedError,
} from './challenge-store.js';

export interface RedisChallengeStoreOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://…`. Never logged: it may hold a password. */
  url: string;
  /** Lifetime of a challenge, at most 5 minutes (the default). */
  ttlMs?: number;
  /** Prefix of every key this store writes. Default `hpki-login:challenge:`. */
  keyPrefix?: string;
  /** How long an expired challenge is remembered so `take` can say "expired". Default 60 s. */
  graceMs?: number;
  /** Per-command timeout, so a stalled Redis fails a login instead of hanging it. Default 2 s. */
  commandTimeoutMs?: number;
}

const KEY_PREFIX_PATTERN = /^[A-Za-z0-9._:-]{0,64}$/;

/**
 * Keys hold a hash of the session id, not the id: whoever can list Redis keys should not learn
 * session cookies.
 */
function keyFor(keyPrefix: string, sessionId: string): string {
  return keyPrefix + createHash('sha256').update(sessionId, 'utf8').digest('base64url');
}

/**
 * A challenge store shared by every process of a site through Redis. A record lives `ttlMs + graceMs`
 * in Redis; `take` reads its remaining PTTL and deletes it in one MULTI, so the expiry decision uses
 * Redis's clock alone (processes on hosts with skewed clocks still agree) and two concurrent takes,
 * from any processes, cannot both get the challenge.
 */
export function createRedisChallengeStore(options: RedisChallengeStoreOptions): ChallengeStore {
  const ttlMs = checkTtlMs(options.ttlMs);
  const graceMs = checkGraceMs(options.graceMs);
  const keyPrefix = options.keyPrefix ?? 'hpki-login:challenge:';
  if (!KEY_PREFIX_PATTERN.test(keyPrefix)) throw new RangeError('keyPrefix: up to 64 of [A-Za-z0-9._:-]');
  const redis = new Redis(options.url, {
    maxRetriesPerRequest: 1,
    connectTimeout: 5_000,
    commandTimeout: options.commandTimeoutMs ?? 2_000,
  });
  // Without a listener ioredis reports connection trouble on stderr with the URL; the failing
  // command already carries the error to the caller.
  redis.on('error', () => undefined);
  let closed = false;

  async function run<T>(what: string, command: () => Promise<T>): Promise<T> {
    if (closed) throw storeClosedError();
    try {
      return await command();
    } catch (err) {
      throw new HpkiError('ERR_HPKI_INTERNAL', `challenge store unavailable (${what})`, { cause: err });
    }
  }

  return {
    async issue(sessionId) {
      assertSessionId(sessionId);
      const challenge = randomBase64Url256();
      const expiresAt = new Date(Date.now() + ttlMs);
      await run('issue', () => redis.set(keyFor(keyPrefix, sessionId), challenge, 'PX', ttlMs + graceMs));
      return { challenge, expiresAt };
    },
    async take(sessionId): Promise<ChallengeTake> {
      if (!isValidSessionId(sessionId)) return { status: 'unknown' };
      const key = keyFor(keyPrefix, sessionId);
      const replies = await run('take', () => redis.multi().pttl(key).getdel(key).exec());
      const [pttlReply, valueReply] = replies ?? [];
      if (pttlReply === undefined || valueReply === undefined || pttlReply[0] !== null || valueReply[0] !== null) {
        throw new HpkiError('ERR_HPKI_INTERNAL', 'challenge store unavailable (take)');
      }
      const [, pttl] = pttlReply;
      const [, value] = valueReply;
      if (typeof value !== 'string' || !CHALLENGE_PATTERN.test(value)) return { status: 'unknown' };
      // A key without expiry (PTTL -1) was not written by this store: better refused than trusted forever.
      if (typeof pttl !== 'number' || pttl <= graceMs) return { status: 'expired' };
      return { status: 'ok', challenge: value };
    },
    async close() {
      if (closed) return;
      closed = true;
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
