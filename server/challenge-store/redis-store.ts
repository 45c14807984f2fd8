import { createHash } from 'node:crypto';
import { CHALLENGE_PATTERN } from '../../protocol/challenge.js';
import { HpkiError } from '../../protocol/errors.js';
import {
  ClientShareError,
  createRedisClient,
  randomBase64Url256,
  redisScript,
  StoreFullError,
  StoreUnavailableError,
} from '../shared/index.js';
import {
  assertSessionId,
  type ChallengeStore,
  type ChallengeTake,
  checkGraceMs,
  checkMaxPending,
  checkMaxPendingPerClient,
  checkTtlMs,
  isValidSessionId,
  storeClosedError,
  storedClientKey,
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
  /**
   * Pending challenges kept at most, counted across every process sharing the prefix (default
   * 10 000). When that many are pending, `issue` for a session without one fails with
   * StoreFullError: a pending login is never dropped to make room.
   */
  maxPending?: number;
  /**
   * Of those, one client's at most, across every process (default a hundredth of maxPending, at
   * least 16): beyond it, `issue` for a new session of that client fails with ClientShareError.
   */
  maxPendingPerClient?: number;
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
 * The bound: a sorted set `<prefix>~pending` of the records' keys, scored by when Redis drops them
 * (Redis's clock, from TIME), and the same per client, `<prefix>~pending:<client>`. One script
 * purges what has dropped, refuses a new key when its client's set is full (2) or the whole set is
 * (0), answering how long until the oldest member drops, else writes the record, its members and
 * its holder (`<record key>~o`, the client): atomic across every process, so many processes cannot
 * together overfill either. A session that asks again replaces its own record and keeps its place
 * and its holder. All records live equally long, so each set expires with its youngest member.
 * KEYS: the record, the whole set, the holder, the client's set (with a client). ARGV: the
 * challenge, the life in ms, the bound, the client's bound, the client ('' for none), the client
 * sets' prefix.
 */
const ISSUE = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local life = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if redis.call('ZSCORE', KEYS[2], KEYS[1]) then
  local holder = redis.call('GET', KEYS[3])
  if holder then
    redis.call('ZADD', ARGV[6] .. holder, now + life, KEYS[1])
    redis.call('PEXPIRE', ARGV[6] .. holder, life)
    redis.call('PEXPIRE', KEYS[3], life)
  end
else
  if ARGV[5] ~= '' then
    redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now)
    if redis.call('ZCARD', KEYS[4]) >= tonumber(ARGV[4]) then
      local oldest = redis.call('ZRANGE', KEYS[4], 0, 0, 'WITHSCORES')
      return {2, tonumber(oldest[2]) - now}
    end
  end
  if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[3]) then
    local oldest = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
    return {0, tonumber(oldest[2]) - now}
  end
  if ARGV[5] ~= '' then
    redis.call('ZADD', KEYS[4], now + life, KEYS[1])
    redis.call('PEXPIRE', KEYS[4], life)
    redis.call('SET', KEYS[3], ARGV[5], 'PX', life)
  else
    redis.call('DEL', KEYS[3])
  end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', life)
redis.call('ZADD', KEYS[2], now + life, KEYS[1])
redis.call('PEXPIRE', KEYS[2], life)
return {1, 0}`;

/**
 * Get-and-delete with the record's remaining PTTL, its place in the bound and in its client's
 * share freed, in one step. KEYS: the record, the whole set, the holder. ARGV: the client sets' prefix.
 */
const TAKE = `local pttl = redis.call('PTTL', KEYS[1])
local value = redis.call('GET', KEYS[1])
local holder = redis.call('GET', KEYS[3])
redis.call('DEL', KEYS[1], KEYS[3])
redis.call('ZREM', KEYS[2], KEYS[1])
if holder then redis.call('ZREM', ARGV[1] .. holder, KEYS[1]) end
return {pttl, value}`;

const issueScript = redisScript(ISSUE);
const takeScript = redisScript(TAKE);

function isIssueReply(reply: unknown): reply is [number, number] {
  return Array.isArray(reply) && reply.length === 2 && reply.every((n) => typeof n === 'number');
}

/**
 * A challenge store shared by every process of a site through Redis. A record lives `ttlMs + graceMs`
 * in Redis; `take` reads its remaining PTTL and deletes it in one script, so the expiry decision uses
 * Redis's clock alone (processes on hosts with skewed clocks still agree) and two concurrent takes,
 * from any processes, cannot both get the challenge. At most `maxPending` are pending, and
 * `maxPendingPerClient` of one client (see ISSUE).
 */
export function createRedisChallengeStore(options: RedisChallengeStoreOptions): ChallengeStore {
  const ttlMs = checkTtlMs(options.ttlMs);
  const graceMs = checkGraceMs(options.graceMs);
  const keyPrefix = options.keyPrefix ?? 'hpki-login:challenge:';
  if (!KEY_PREFIX_PATTERN.test(keyPrefix)) throw new RangeError('keyPrefix: up to 64 of [A-Za-z0-9._:-]');
  const maxPending = checkMaxPending(options.maxPending);
  const maxPerClient = checkMaxPendingPerClient(maxPending, options.maxPendingPerClient);
  // `~` is outside base64url, so no record key (prefix + 43 base64url characters) can be one of these.
  const indexKey = `${keyPrefix}~pending`;
  const clientSetPrefix = `${indexKey}:`;
  const holderKey = (key: string): string => `${key}~o`;
  const redis = createRedisClient({ url: options.url, commandTimeoutMs: options.commandTimeoutMs });
  let closed = false;

  async function run<T>(what: string, command: () => Promise<T>): Promise<T> {
    if (closed) throw storeClosedError();
    try {
      return await command();
    } catch (err) {
      throw new StoreUnavailableError(`challenge store unavailable (${what})`, err);
    }
  }

  return {
    async issue(sessionId, client) {
      assertSessionId(sessionId);
      const challenge = randomBase64Url256();
      const expiresAt = new Date(Date.now() + ttlMs);
      const key = keyFor(keyPrefix, sessionId);
      const holder = client === undefined ? '' : storedClientKey(client);
      const keys = [key, indexKey, holderKey(key)];
      if (holder !== '') keys.push(`${clientSetPrefix}${holder}`);
      const args = [
        challenge,
        String(ttlMs + graceMs),
        String(maxPending),
        String(maxPerClient),
        holder,
        clientSetPrefix,
      ];
      const reply = await run('issue', () => issueScript(redis, keys, args));
      if (!isIssueReply(reply)) throw new HpkiError('ERR_HPKI_INTERNAL', 'challenge store unavailable (issue)');
      if (reply[0] === 2) throw new ClientShareError('logins', reply[1]);
      if (reply[0] !== 1) throw new StoreFullError('logins', reply[1]);
      return { challenge, expiresAt };
    },
    async take(sessionId): Promise<ChallengeTake> {
      if (!isValidSessionId(sessionId)) return { status: 'unknown' };
      const key = keyFor(keyPrefix, sessionId);
      const reply = await run('take', () => takeScript(redis, [key, indexKey, holderKey(key)], [clientSetPrefix]));
      if (!Array.isArray(reply) || reply.length !== 2) {
        throw new HpkiError('ERR_HPKI_INTERNAL', 'challenge store unavailable (take)');
      }
      const [pttl, value]: unknown[] = reply;
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
