import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HpkiError } from '../../protocol/errors.js';
import { type RedisServer, startRedis } from '../../scripts/dev/redis.js';
import { type ChallengeStore, createRedisChallengeStore } from '../../server/challenge-store/index.js';

const SESSION = 'redis-session-0123456789abcdef';

describe('Redis challenge store against a real redis-server', () => {
  let redis: RedisServer;
  const stores: ChallengeStore[] = [];
  const open = (options: { ttlMs?: number; graceMs?: number; keyPrefix?: string } = {}): ChallengeStore => {
    const store = createRedisChallengeStore({ url: redis.url, ...options });
    stores.push(store);
    return store;
  };

  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await redis?.stop();
  });

  it('gives a challenge back once, then says unknown', async () => {
    const store = open();
    const { challenge, expiresAt } = await store.issue(SESSION);
    expect(challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(expiresAt.getTime()).toBeGreaterThan(Date.now() + 4 * 60_000);
    expect(await store.take(SESSION)).toEqual({ status: 'ok', challenge });
    expect(await store.take(SESSION)).toEqual({ status: 'unknown' });
    expect(await store.take('never-issued-0123456789abcdef')).toEqual({ status: 'unknown' });
  });

  it('shares challenges between connections: of many concurrent takes from two stores, one succeeds', async () => {
    const first = open({ keyPrefix: 'shared:' });
    const second = open({ keyPrefix: 'shared:' });
    for (let round = 0; round < 5; round++) {
      const { challenge } = await first.issue(SESSION);
      const takes = await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? first : second).take(SESSION)),
      );
      const won = takes.filter((t) => t.status === 'ok');
      expect(won).toEqual([{ status: 'ok', challenge }]);
      expect(takes.filter((t) => t.status === 'unknown')).toHaveLength(19);
    }
  });

  it('replaces a pending challenge when the session asks again', async () => {
    const store = open();
    const old = await store.issue(SESSION);
    const current = await store.issue(SESSION);
    expect(current.challenge).not.toBe(old.challenge);
    expect(await store.take(SESSION)).toEqual({ status: 'ok', challenge: current.challenge });
  });

  it('says expired after the TTL, then unknown once Redis has dropped the record', async () => {
    const store = open({ ttlMs: 200, graceMs: 600 });
    await store.issue(SESSION);
    await new Promise((r) => setTimeout(r, 350));
    expect(await store.take(SESSION)).toEqual({ status: 'expired' });
    expect(await store.take(SESSION)).toEqual({ status: 'unknown' });

    await store.issue(SESSION);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await store.take(SESSION)).toEqual({ status: 'unknown' });
  });

  it('writes keys with an expiry and without the session id in them', async () => {
    const store = open({ keyPrefix: 'inspect:', ttlMs: 120_000, graceMs: 30_000 });
    await store.issue(SESSION);
    const client = new Redis(redis.url);
    try {
      const keys = await client.keys('inspect:*');
      expect(keys).toHaveLength(1);
      expect(keys[0]).not.toContain(SESSION);
      const pttl = await client.pttl(keys[0]!);
      expect(pttl).toBeGreaterThan(140_000);
      expect(pttl).toBeLessThanOrEqual(150_000);
    } finally {
      client.disconnect();
    }
  });

  it('does not honour a record without expiry or with a foreign value', async () => {
    const store = open({ keyPrefix: 'foreign:' });
    await store.issue(SESSION);
    const client = new Redis(redis.url);
    try {
      const [key] = await client.keys('foreign:*');
      await client.persist(key!);
      expect(await store.take(SESSION)).toEqual({ status: 'expired' });
      await client.set(key!, 'not a challenge', 'PX', 60_000);
      expect(await store.take(SESSION)).toEqual({ status: 'unknown' });
    } finally {
      client.disconnect();
    }
  });

  it('fails a take promptly with ERR_HPKI_INTERNAL when Redis is unreachable', async () => {
    const store = createRedisChallengeStore({ url: 'redis://127.0.0.1:1', commandTimeoutMs: 500 });
    const started = Date.now();
    const err = await store.take(SESSION).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HpkiError);
    expect((err as HpkiError).code).toBe('ERR_HPKI_INTERNAL');
    expect((err as HpkiError).message).not.toContain('127.0.0.1');
    expect(Date.now() - started).toBeLessThan(5_000);
    await store.close();
  });
});
