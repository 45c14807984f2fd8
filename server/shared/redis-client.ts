import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';

export interface RedisClientOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://…`. Never logged: it may hold a password. */
  url: string;
  /** Per-command timeout, so a stalled Redis fails a request instead of hanging it. Default 2 s. */
  commandTimeoutMs?: number | undefined;
  /** Commands of one tick go out in one write (ioredis's auto-pipelining). Default off. */
  autoPipelining?: boolean;
}

/**
 * The one way server/ opens Redis (challenge store, SSO store): one retry per command, a 5 s connect
 * timeout, a per-command timeout, and ioredis reconnecting by itself. The failing command carries the
 * error to its caller; without the listener ioredis would also print connection trouble, URL included,
 * on stderr.
 */
export function createRedisClient(options: RedisClientOptions): Redis {
  const redis = new Redis(options.url, {
    enableAutoPipelining: options.autoPipelining ?? false,
    maxRetriesPerRequest: 1,
    connectTimeout: 5_000,
    commandTimeout: options.commandTimeoutMs ?? 2_000,
  });
  redis.on('error', () => undefined);
  return redis;
}

/**
 * A Lua script sent by its SHA-1 (EVALSHA), and in full only when Redis does not have it yet (after
 * a restart or a SCRIPT FLUSH): the scripts' text is most of what would otherwise cross the wire, and
 * Redis compiles each text only once.
 */
export function redisScript(source: string): (redis: Redis, keys: string[], args: string[]) => Promise<unknown> {
  const sha = createHash('sha1').update(source).digest('hex');
  return async (redis, keys, args) => {
    try {
      return await redis.evalsha(sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return redis.eval(source, keys.length, ...keys, ...args);
    }
  };
}
