import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HpkiError } from '../../protocol/errors.js';
import { type RedisServer, startRedis } from '../../scripts/dev/redis.js';
import { type ChallengeStore, createRedisChallengeStore } from '../../server/challenge-store/index.js';
import { ClientShareError, StoreFullError } from '../../server/shared/index.js';

const SESSION = 'redis-session-0123456789abcdef';

describe('Redis challenge store against a real redis-server', () => {
  let redis: RedisServer;
  const stores: ChallengeStore[] = [];
  const open = (
    options: {
      ttlMs?: number;
      graceMs?: number;
      keyPrefix?: string;
      maxPending?: number;
      maxPendingPerClient?: number;
    } = {},
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

  it('holds one client to its share across processes, however its requests race; others go on', async () => {
    const first = open({ keyPrefix: 'share:', maxPending: 100, maxPendingPerClient: 3 });
    const second = open({ keyPrefix: 'share:', maxPending: 100, maxPendingPerClient: 3 });
    const attacker = '4:203.0.113.9';
    const sessions = Array.from({ length: 40 }, (_, i) => `share-session-${String(i).padStart(4, '0')}-0123456789`);
    const outcomes = await Promise.allSettled(
      sessions.map((s, i) => (i % 2 === 0 ? first : second).issue(s, attacker)),
    );
    const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(outcomes.length - refused.length).toBe(3);
    for (const { reason } of refused) {
      expect(reason).toBeInstanceOf(ClientShareError);
      expect((reason as ClientShareError).retryAfterSeconds).toBeGreaterThan(5 * 60);
    }
    // Another client, an IPv6 /56, and a session of the attacker's asking again, all get challenges.
    await expect(second.issue(SESSION, '4:198.51.100.2')).resolves.toBeDefined();
    await expect(first.issue('share-v6-session-0123456789', '6:2001:db8:0:100::/56')).resolves.toBeDefined();
    const held = sessions.filter((_, i) => outcomes[i]!.status === 'fulfilled');
    const renewed = await second.issue(held[0]!, attacker);
    // A take at the other process frees the place at once; then the share is full again.
    expect(await first.take(held[0]!)).toEqual({ status: 'ok', challenge: renewed.challenge });
    await expect(second.issue('share-late-0-0123456789', attacker)).resolves.toBeDefined();
    await expect(first.issue('share-late-1-0123456789', attacker)).rejects.toBeInstanceOf(ClientShareError);
  });

  it('keeps the share in keys that expire with their records, and leaves none behind a take', async () => {
    const store = open({ keyPrefix: 'owner:', ttlMs: 120_000, graceMs: 30_000 });
    const odd = 'a framework key with spaces';
    await store.issue(SESSION, '4:192.0.2.7');
    await store.issue('owner-odd-session-0123456789', odd);
    const client = new Redis(redis.url);
    try {
      const keys = (await client.keys('owner:*')).sort();
      // Two records, their two holders, the whole set and one set per client (the odd key hashed).
      expect(keys).toHaveLength(7);
      expect(keys).toContain('owner:~pending:4:192.0.2.7');
      expect(keys.filter((k) => k.startsWith('owner:~pending:#'))).toHaveLength(1);
      expect(keys.some((k) => k.includes('spaces'))).toBe(false);
      for (const key of keys) expect(await client.pttl(key)).toBeGreaterThan(140_000);
      await store.take(SESSION);
      await store.take('owner-odd-session-0123456789');
      expect(await client.keys('owner:*')).toEqual([]);
    } finally {
      client.disconnect();
    }
  });

  it("frees a client's places when Redis drops its records", async () => {
    const store = open({ keyPrefix: 'drops:', maxPendingPerClient: 1, ttlMs: 200, graceMs: 0 });
    await store.issue('drops-a-0123456789abcdef', '4:192.0.2.8');
    await expect(store.issue('drops-b-0123456789abcdef', '4:192.0.2.8')).rejects.toBeInstanceOf(ClientShareError);
    await new Promise((r) => setTimeout(r, 300));
    await expect(store.issue('drops-b-0123456789abcdef', '4:192.0.2.8')).resolves.toBeDefined();
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
