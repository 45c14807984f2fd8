import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HpkiError } from '../../protocol/errors.js';
import { type RedisServer, startRedis } from '../../scripts/dev/redis.js';
import { type ChallengeStore, createRedisChallengeStore } from '../../server/challenge-store/index.js';
import { StoreFullError } from '../../server/shared/index.js';

const SESSION = 'redis-session-0123456789abcdef';

describe('Redis challenge store against a real redis-server', () => {
  let redis: RedisServer;
  const stores: ChallengeStore[] = [];
  const open = (
    options: { ttlMs?: number; graceMs?: number; keyPrefix?: string; maxPending?: number } = {},
  ): ChallengeStore => {
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
      const keys = (await client.keys('inspect:*')).sort();
      // The record, and the bound's index of pending records.
      expect(keys).toHaveLength(2);
      expect(keys[1]).toBe('inspect:~pending');
      expect(keys[0]).not.toContain(SESSION);
      for (const key of keys) {
        const pttl = await client.pttl(key);
        expect(pttl).toBeGreaterThan(140_000);
        expect(pttl).toBeLessThanOrEqual(150_000);
      }
      expect(await client.zrange('inspect:~pending', '0', '-1')).toEqual([keys[0]]);
      await store.take(SESSION);
      expect(await client.exists('inspect:~pending')).toBe(0);
    } finally {
      client.disconnect();
    }
  });

  it('is bounded across processes: 10 050 anonymous challenges from two stores leave a pending login intact', async () => {
    const first = open({ keyPrefix: 'flood:' });
    const second = open({ keyPrefix: 'flood:' });
    const doctor = await first.issue(SESSION);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 10_050 }, (_, i) =>
        (i % 2 === 0 ? first : second).issue(`anonymous-${String(i).padStart(8, '0')}-0123456789`),
      ),
    );
    const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    // 10 000 pending at most across both, the doctor's among them: never one more, however they race.
    expect(outcomes.length - refused.length).toBe(9_999);
    for (const { reason } of refused) {
      expect(reason).toBeInstanceOf(StoreFullError);
      expect((reason as StoreFullError).retryAfterSeconds).toBeGreaterThan(5 * 60);
    }
    // The session that has one may still ask again; a new one may not.
    const again = await second.issue(SESSION);
    await expect(first.issue('one-more-session-0123456789')).rejects.toBeInstanceOf(StoreFullError);
    expect(await first.take(SESSION)).toEqual({ status: 'ok', challenge: again.challenge });
    expect(again.challenge).not.toBe(doctor.challenge);
    // The take freed its place.
    await expect(first.issue('one-more-session-0123456789')).resolves.toBeDefined();
  }, 60_000);

  it('frees the places of records Redis has dropped', async () => {
    const store = open({ keyPrefix: 'small:', maxPending: 2, ttlMs: 200, graceMs: 0 });
    await store.issue('small-a-0123456789abcdef');
    await store.issue('small-b-0123456789abcdef');
    await expect(store.issue('small-c-0123456789abcdef')).rejects.toBeInstanceOf(StoreFullError);
    await new Promise((r) => setTimeout(r, 300));
    await expect(store.issue('small-c-0123456789abcdef')).resolves.toBeDefined();
  });

  it('does not honour a record without expiry or with a foreign value', async () => {
    const store = open({ keyPrefix: 'foreign:' });
    await store.issue(SESSION);
    const client = new Redis(redis.url);
    try {
      const [key] = (await client.keys('foreign:*')).filter((k) => !k.endsWith('~pending'));
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
