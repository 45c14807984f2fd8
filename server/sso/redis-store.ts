import { type AdapterPayload, errors } from 'oidc-provider';
import { createRedisChallengeStore } from '../challenge-store/index.js';
import { createRedisClient, redisScript } from '../shared/index.js';
import {
  alreadyConsumed,
  checkPendingBounds,
  currentRequestClient,
  GRANTABLE_MODELS,
  isAnonymousRecord,
  type SsoAdapter,
  type SsoStore,
  storeFull,
  storeUnavailable,
  ttlSeconds,
} from './store.js';

export interface RedisSsoStoreOptions {
  /** `redis://…` or `rediss://…`. Never logged: it may hold a password. */
  url: string;
  /** Prefix of every key. Default `hpki-login:sso:`. */
  keyPrefix?: string;
  /** Per-command timeout, so a stalled Redis fails a request instead of hanging it. Default 2 s. */
  commandTimeoutMs?: number;
  /** Pending HPKI challenges kept at most, across all processes; when full, new ones are refused. Default 10 000. */
  maxChallenges?: number;
  /**
   * Records anybody can make without a card (interactions, login-page bindings, sessions without an
   * account) kept at most, across all processes; beyond it new ones are refused and the sign-ins
   * under way go on. Default 80 000.
   */
  maxPendingSignIns?: number;
  /** Of those, one client's at most (store.ts defaultMaxPendingPerClient). */
  maxPendingPerClient?: number;
}

export const DEFAULT_REDIS_MAX_PENDING_SIGN_INS = 80_000;

/**
 * Every record is a hash `{p: <payload JSON>, c: <consumed at>}` under `<prefix>m:<Model>:<id>`
 * with the model's own TTL. Keeping "consumed" apart from the payload lets one HSETNX decide, for
 * all processes at once, which exchange of a code (or refresh token) is the first: the others get
 * invalid_grant. Indexes: `uid:<session uid>` → id, `code:<user code>` → id, and a set per grant
 * `grant:<grantId>` of member keys that lives as long as its longest member.
 */

/** -1: no such record; 1: consumed now; 0: consumed before. */
const CONSUME = `if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
return redis.call('HSETNX', KEYS[1], 'c', ARGV[1])`;

/** Deletes every member of a grant and the grant's set, in one step. */
const REVOKE = `local members = redis.call('SMEMBERS', KEYS[1])
for _, key in ipairs(members) do redis.call('DEL', key) end
redis.call('DEL', KEYS[1])
return #members`;

/**
 * One upsert, in one step and one command. KEYS: the record, the anonymous set `<prefix>~anonymous`,
 * then, each when ARGV says so, the client's set `<prefix>~anonymous:<client>`, an index
 * (`uid:`/`code:`) and the grant's set. ARGV: 1 life in ms, 2 the record's kind (`a` anonymous,
 * `s` a session with an account, `-` any other), 3 the bound, 4 the client's bound, 5 the client
 * ('' for none), 6 the payload JSON, 7 consumed ('' for not), 8 the record's id (the index's value),
 * 9 '1' with an index, 10 '1' with a grant.
 *
 * An anonymous record is admitted first: the anonymous set holds such records' keys scored by when
 * they drop (Redis's clock), the client's set those of one client. Purge the dropped, then admit the
 * key if it is there already, or if the set and the client's set have room, for all processes at
 * once. The record's hash keeps its client in field `o`, so that whoever takes or destroys it frees
 * the client's place too. 1 written, 0 full (nothing written).
 *
 * The payload is written without deleting the record first, so a "consumed" mark set meanwhile by
 * another process survives a re-save. A session that now has an account no longer counts against
 * the bound; its client's set lets it go when its admission time is up, at most an interaction's life.
 * A grant's set lives as long as its longest member.
 */
const UPSERT = `local key, anonymous = KEYS[1], KEYS[2]
local life = tonumber(ARGV[1])
local k = 3
if ARGV[2] == 'a' then
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  redis.call('ZREMRANGEBYSCORE', anonymous, '-inf', now)
  local client = nil
  if ARGV[5] ~= '' then client = KEYS[k]; k = k + 1 end
  if not redis.call('ZSCORE', anonymous, key) then
    if redis.call('ZCARD', anonymous) >= tonumber(ARGV[3]) then return 0 end
    if client then
      redis.call('ZREMRANGEBYSCORE', client, '-inf', now)
      if redis.call('ZCARD', client) >= tonumber(ARGV[4]) then return 0 end
      redis.call('ZADD', client, now + life, key)
      if redis.call('PTTL', client) < life then redis.call('PEXPIRE', client, life) end
      redis.call('HSET', key, 'o', ARGV[5])
    end
  end
  redis.call('ZADD', anonymous, now + life, key)
  if redis.call('PTTL', anonymous) < life then redis.call('PEXPIRE', anonymous, life) end
elseif ARGV[2] == 's' then
  redis.call('ZREM', anonymous, key)
end
redis.call('HSET', key, 'p', ARGV[6])
if ARGV[7] ~= '' then redis.call('HSET', key, 'c', ARGV[7]) end
redis.call('PEXPIRE', key, life)
if ARGV[9] == '1' then
  redis.call('SET', KEYS[k], ARGV[8], 'PX', life)
  k = k + 1
end
if ARGV[10] == '1' then
  redis.call('SADD', KEYS[k], key)
  if redis.call('PTTL', KEYS[k]) < life then redis.call('PEXPIRE', KEYS[k], life) end
end
return 1`;

/**
 * A record is taken or destroyed: deleted, and off the anonymous set and its client's set. Answers
 * its payload (for `take`).
 */
const RELEASE = `local p = redis.call('HGET', KEYS[1], 'p')
local o = redis.call('HGET', KEYS[1], 'o')
redis.call('ZREM', KEYS[2], KEYS[1])
if o then redis.call('ZREM', ARGV[1] .. o, KEYS[1]) end
redis.call('DEL', KEYS[1])
return p`;

/**
 * A record by an index (`uid:`, `code:`): KEYS[1] the index, ARGV[1] the model's key prefix. Answers
 * the record's payload and "consumed" fields, in one round trip instead of a GET then an HMGET.
 */
const BY_INDEX = `local id = redis.call('GET', KEYS[1])
if not id then return false end
return redis.call('HMGET', ARGV[1] .. id, 'p', 'c')`;

const upsertScript = redisScript(UPSERT);
const releaseScript = redisScript(RELEASE);
const byIndexScript = redisScript(BY_INDEX);
const consumeScript = redisScript(CONSUME);
const revokeScript = redisScript(REVOKE);

/** Client keys (client-address.ts) as they may appear in a Redis key. */
const CLIENT_PATTERN = /^[A-Za-z0-9:.?/_-]{1,80}$/;

const KEY_PREFIX_PATTERN = /^[A-Za-z0-9._:-]{0,64}$/;
const MODEL_PATTERN = /^[A-Za-z]{1,64}$/;

function parsePayload(text: unknown): AdapterPayload | undefined {
  if (typeof text !== 'string') return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as AdapterPayload) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What a failing Redis command means to the provider: full (OOM under `noeviction`) → refuse new
 * flows; unreachable or too slow → 503 / `temporarily_unavailable` for this request, and the next
 * request tries again (ioredis reconnects by itself). oidc-provider's own errors pass unchanged.
 */
function asStoreError(err: unknown): unknown {
  if (err instanceof errors.OIDCProviderError) return err;
  if (isOutOfMemory(err)) return storeFull();
  return Object.assign(storeUnavailable(), { cause: err });
}

function guarded(inner: SsoAdapter): SsoAdapter {
  const wrap =
    <A extends unknown[], R>(method: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        return await method(...args);
      } catch (err) {
        throw asStoreError(err);
      }
    };
  return {
    upsert: wrap(inner.upsert),
    find: wrap(inner.find),
    findByUid: wrap(inner.findByUid),
    findByUserCode: wrap(inner.findByUserCode),
    consume: wrap(inner.consume),
    destroy: wrap(inner.destroy),
    revokeByGrantId: wrap(inner.revokeByGrantId),
    take: wrap(inner.take),
  };
}

/** Redis with `maxmemory-policy noeviction` answers a write it has no room for with OOM: refuse, never evict. */
function isOutOfMemory(err: unknown): boolean {
  return err instanceof Error && /^OOM\b/.test(err.message);
}

export function createRedisSsoStore(options: RedisSsoStoreOptions): SsoStore {
  const prefix = options.keyPrefix ?? 'hpki-login:sso:';
  if (!KEY_PREFIX_PATTERN.test(prefix)) throw new RangeError('keyPrefix: up to 64 of [A-Za-z0-9._:-]');
  const maxPendingSignIns = options.maxPendingSignIns ?? DEFAULT_REDIS_MAX_PENDING_SIGN_INS;
  if (!Number.isInteger(maxPendingSignIns) || maxPendingSignIns < 1)
    throw new RangeError('maxPendingSignIns must be a positive integer');
  const maxPerClient = checkPendingBounds(maxPendingSignIns, options.maxPendingPerClient);
  const anonymousKey = `${prefix}~anonymous`;
  const clientSetPrefix = `${anonymousKey}:`;
  const release = (key: string): Promise<unknown> => releaseScript(redis, [key, anonymousKey], [clientSetPrefix]);
  /** The request's client (client-address.ts), as it may appear in a Redis key; else none. */
  const clientOfRequest = (): string | undefined => {
    const client = currentRequestClient();
    return client !== undefined && CLIENT_PATTERN.test(client) ? client : undefined;
  };
  // Commands of one tick go out in one write: a login's dozens of commands cost a few syscalls.
  const redis = createRedisClient({
    url: options.url,
    commandTimeoutMs: options.commandTimeoutMs,
    autoPipelining: true,
  });

  function adapter(model: string): SsoAdapter {
    return guarded(rawAdapter(model));
  }

  function rawAdapter(model: string): SsoAdapter {
    if (!MODEL_PATTERN.test(model)) throw new RangeError(`not a model name: ${model}`);
    const modelPrefix = `${prefix}m:${model}:`;
    const keyOf = (id: string): string => `${modelPrefix}${id}`;

    function payloadOf(fields: unknown): AdapterPayload | undefined {
      if (!Array.isArray(fields)) return undefined;
      const [text, consumed] = fields as unknown[];
      const payload = parsePayload(text);
      if (payload !== undefined && typeof consumed === 'string') payload.consumed = Number(consumed);
      return payload;
    }
    const read = async (key: string): Promise<AdapterPayload | undefined> =>
      payloadOf(await redis.hmget(key, 'p', 'c'));
    const byIndex = async (index: string): Promise<AdapterPayload | undefined> =>
      payloadOf(await byIndexScript(redis, [`${prefix}${index}`], [modelPrefix]));

    return {
      async upsert(id, payload, expiresIn) {
        const key = keyOf(id);
        const { consumed, ...rest } = payload;
        const kind = isAnonymousRecord(model, payload) ? 'a' : model === 'Session' ? 's' : '-';
        const client = kind === 'a' ? clientOfRequest() : undefined;
        const keys = [key, anonymousKey];
        if (client !== undefined) keys.push(`${clientSetPrefix}${client}`);
        const index =
          model === 'Session' && typeof payload.uid === 'string'
            ? `uid:${payload.uid}`
            : typeof payload.userCode === 'string'
              ? `code:${payload.userCode}`
              : undefined;
        if (index !== undefined) keys.push(`${prefix}${index}`);
        const grant = GRANTABLE_MODELS.has(model) && typeof payload.grantId === 'string';
        if (grant) keys.push(`${prefix}grant:${payload.grantId}`);
        const written = await upsertScript(redis, keys, [
          String(ttlSeconds(expiresIn) * 1000),
          kind,
          String(maxPendingSignIns),
          String(maxPerClient),
          client ?? '',
          JSON.stringify(rest),
          consumed === undefined || consumed === null || consumed === false ? '' : String(consumed),
          id,
          index === undefined ? '' : '1',
          grant ? '1' : '',
        ]);
        if (written !== 1) throw storeFull();
      },
      find: (id) => read(keyOf(id)),
      findByUid: (uid) => byIndex(`uid:${uid}`),
      findByUserCode: (userCode) => byIndex(`code:${userCode}`),
      async consume(id) {
        const outcome = await consumeScript(redis, [keyOf(id)], [String(Math.floor(Date.now() / 1000))]);
        if (outcome !== 1) throw alreadyConsumed();
      },
      async destroy(id) {
        await release(keyOf(id));
      },
      async revokeByGrantId(grantId) {
        await revokeScript(redis, [`${prefix}grant:${grantId}`], []);
      },
      take: async (id) => parsePayload(await release(keyOf(id))),
    };
  }

  const challenges = createRedisChallengeStore({
    url: options.url,
    keyPrefix: `${prefix}challenge:`,
    ...(options.maxChallenges === undefined ? {} : { maxPending: options.maxChallenges }),
  });
  return {
    kind: 'redis',
    adapter,
    challenges,
    async probe() {
      await redis.ping();
      await challenges.take('startup-probe-0000000000000000');
    },
    async close() {
      await challenges.close();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
