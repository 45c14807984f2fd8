import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServer, startRedis } from '../../scripts/dev/redis.js';
import { createRedisSsoStore } from '../../server/sso/redis-store.js';
import type { SsoStore } from '../../server/sso/store.js';

/**
 * The Redis SSO store's bound on records anybody can make (interactions, login-page bindings,
 * sessions without an account), against a real redis-server and shared by two stores as two
 * provider processes would: beyond it new ones are refused, and sign-ins under way go on.
 */

describe('Redis SSO store: anonymous records are bounded across processes', () => {
  let redis: RedisServer;
  let first: SsoStore;
  let second: SsoStore;

  beforeAll(async () => {
    redis = await startRedis();
    first = createRedisSsoStore({ url: redis.url, maxPendingSignIns: 50 });
    second = createRedisSsoStore({ url: redis.url, maxPendingSignIns: 50 });
  });
  afterAll(async () => {
    await Promise.all([first?.close(), second?.close()]);
    await redis?.stop();
  });

  it('admits at most the bound from both stores at once, and keeps room for sign-ins under way', async () => {
    await first.adapter('Interaction').upsert('doctor', { returnTo: 'x' }, 600);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 200 }, (_, i) =>
        (i % 2 === 0 ? first : second).adapter('Interaction').upsert(`flood-${i}`, { returnTo: 'x' }, 600),
      ),
    );
    const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(outcomes.length - refused.length).toBe(49);
    for (const { reason } of refused)
      expect(reason).toMatchObject({ error: 'temporarily_unavailable', statusCode: 503 });
    await expect(second.adapter('HpkiBinding').upsert('flood-browser', { uid: 'flood-0' }, 600)).rejects.toMatchObject({
      statusCode: 503,
    });
    await expect(second.adapter('Session').upsert('anonymous', { uid: 'u' }, 600)).rejects.toMatchObject({
      statusCode: 503,
    });

    // The doctor's sign-in goes on: its interaction again, its login, a session with an account, a code.
    await second.adapter('Interaction').upsert('doctor', { returnTo: 'x', result: { login: { accountId: 's' } } }, 600);
    await second.adapter('HpkiSessionLogin').upsert('u2', { authTime: 1 }, 120);
    await first.adapter('Session').upsert('doctor-session', { uid: 'u2', accountId: 's' }, 600);
    await first.adapter('AuthorizationCode').upsert('code', { grantId: 'g' }, 60);
    expect(await first.adapter('Interaction').find('doctor')).toMatchObject({ result: { login: { accountId: 's' } } });

    // A record that goes frees its place, in whichever process.
    await first.adapter('Interaction').destroy('flood-0');
    await second.adapter('Interaction').upsert('late', { returnTo: 'x' }, 600);
    await expect(first.adapter('Interaction').upsert('later', { returnTo: 'x' }, 600)).rejects.toMatchObject({
      statusCode: 503,
    });
    expect(await first.adapter('Interaction').take('late')).toMatchObject({ returnTo: 'x' });
    await first.adapter('Interaction').upsert('later', { returnTo: 'x' }, 600);
  });

  it('frees the places of records whose time is up', async () => {
    const store = createRedisSsoStore({ url: redis.url, keyPrefix: 'short:', maxPendingSignIns: 2 });
    try {
      await store.adapter('Interaction').upsert('a', {}, 1);
      await store.adapter('Interaction').upsert('b', {}, 1);
      await expect(store.adapter('Interaction').upsert('c', {}, 1)).rejects.toMatchObject({ statusCode: 503 });
      await new Promise((r) => setTimeout(r, 1_100));
      await store.adapter('Interaction').upsert('c', {}, 1);
    } finally {
      await store.close();
    }
  });
});
