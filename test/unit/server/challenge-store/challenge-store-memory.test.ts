import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CHALLENGE_PATTERN } from '../../../../protocol/challenge.js';
import { HpkiError } from '../../../../protocol/errors.js';
import { createMemoryChallengeStore } from '../../../../server/challenge-store/index.js';
import { ClientShareError, createExpiringMap, StoreFullError } from '../../../../server/shared/index.js';

const SESSION_A = 'session-a-0123456789abcdef';
const SESSION_B = 'session-b-0123456789abcdef';

function manualClock(start = 1_800_000_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return {
    now: () => t,
    advance: (ms) => {
      t += ms;
    },
  };
}

describe('memory challenge store', () => {
  it('issues 43-character base64url challenges that expire after the TTL', async () => {
    const clock = manualClock();
    const store = createMemoryChallengeStore({ ttlMs: 60_000, now: clock.now });
    const { challenge, expiresAt } = await store.issue(SESSION_A);
    expect(challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(challenge).toMatch(CHALLENGE_PATTERN);
    expect(expiresAt.getTime()).toBe(clock.now() + 60_000);
    const other = await store.issue(SESSION_B);
    expect(other.challenge).not.toBe(challenge);
  });

  it('gives a challenge back once, then says unknown', async () => {
    const store = createMemoryChallengeStore();
    const { challenge } = await store.issue(SESSION_A);
    expect(await store.take(SESSION_A)).toEqual({ status: 'ok', challenge });
    expect(await store.take(SESSION_A)).toEqual({ status: 'unknown' });
  });

  it('lets exactly one of many concurrent takes succeed', async () => {
    const store = createMemoryChallengeStore();
    await store.issue(SESSION_A);
    const takes = await Promise.all(Array.from({ length: 20 }, () => store.take(SESSION_A)));
    expect(takes.filter((t) => t.status === 'ok')).toHaveLength(1);
  });

  it('says unknown for a session that never had a challenge, or an id out of pattern', async () => {
    const store = createMemoryChallengeStore();
    await store.issue(SESSION_A);
    expect(await store.take(SESSION_B)).toEqual({ status: 'unknown' });
    expect(await store.take('short')).toEqual({ status: 'unknown' });
    expect(await store.take(`${SESSION_A}\n`)).toEqual({ status: 'unknown' });
    expect(await store.take('x'.repeat(257))).toEqual({ status: 'unknown' });
  });

  it('refuses to issue for a malformed session id', async () => {
    const store = createMemoryChallengeStore();
    for (const bad of ['', 'short', 'has space 0123456789', 'ü'.repeat(20), 'x'.repeat(257)]) {
      const err = await store.issue(bad).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HpkiError);
      expect((err as HpkiError).code).toBe('ERR_HPKI_INVALID_ARGUMENT');
    }
  });

  it('says expired after the TTL, for a while, then unknown', async () => {
    const clock = manualClock();
    const store = createMemoryChallengeStore({ ttlMs: 60_000, graceMs: 30_000, now: clock.now });
    await store.issue(SESSION_A);
    clock.advance(59_999);
    expect((await store.take(SESSION_A)).status).toBe('ok');

    await store.issue(SESSION_A);
    clock.advance(60_000);
    expect(await store.take(SESSION_A)).toEqual({ status: 'expired' });
    expect(await store.take(SESSION_A)).toEqual({ status: 'unknown' });

    await store.issue(SESSION_A);
    clock.advance(90_000);
    expect(await store.take(SESSION_A)).toEqual({ status: 'unknown' });
  });

  it('replaces a pending challenge with the new one', async () => {
    const store = createMemoryChallengeStore();
    const first = await store.issue(SESSION_A);
    const second = await store.issue(SESSION_A);
    expect(second.challenge).not.toBe(first.challenge);
    expect(await store.take(SESSION_A)).toEqual({ status: 'ok', challenge: second.challenge });
    expect(await store.take(SESSION_A)).toEqual({ status: 'unknown' });
  });

  it('stays bounded: beyond maxPending new challenges are refused and every pending one stays', async () => {
    const clock = manualClock();
    const store = createMemoryChallengeStore({ maxPending: 3, ttlMs: 60_000, graceMs: 0, now: clock.now });
    const sessions = Array.from({ length: 5 }, (_, i) => `bounded-session-${i}-0123456789`);
    const issued = await Promise.allSettled(sessions.map((s) => store.issue(s)));
    expect(issued.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'rejected']);
    const refusal = (issued[3] as PromiseRejectedResult).reason as StoreFullError;
    expect(refusal).toBeInstanceOf(StoreFullError);
    expect(refusal.code).toBe('ERR_HPKI_INTERNAL');
    // Room comes when the oldest drops, a minute from now.
    expect(refusal.retryAfterSeconds).toBe(60);
    // A session that already has one may ask again: it needs no room.
    await expect(store.issue(sessions[0]!)).resolves.toBeDefined();
    const takes = await Promise.all(sessions.map((s) => store.take(s)));
    expect(takes.map((t) => t.status)).toEqual(['ok', 'ok', 'ok', 'unknown', 'unknown']);
    // Taking made room again.
    await expect(store.issue(sessions[4]!)).resolves.toBeDefined();
  });

  it('10 050 anonymous challenges leave a pending login intact', async () => {
    const store = createMemoryChallengeStore();
    const doctor = await store.issue(SESSION_A);
    let refused = 0;
    for (let i = 0; i < 10_050; i++) {
      await store.issue(`anonymous-${String(i).padStart(8, '0')}-0123456789`).catch((err: unknown) => {
        expect(err).toBeInstanceOf(StoreFullError);
        refused++;
      });
    }
    // 10 000 pending at most, the doctor's among them.
    expect(refused).toBe(10_050 - 9_999);
    expect(await store.take(SESSION_A)).toEqual({ status: 'ok', challenge: doctor.challenge });
  });

  it('holds one client to its share: its new sessions are refused, other clients and its renewals are not', async () => {
    const clock = manualClock();
    const store = createMemoryChallengeStore({
      maxPending: 10,
      maxPendingPerClient: 3,
      ttlMs: 60_000,
      graceMs: 0,
      now: clock.now,
    });
    const flood = Array.from({ length: 5 }, (_, i) => `flood-session-${i}-0123456789`);
    for (const session of flood.slice(0, 3)) await store.issue(session, '4:203.0.113.9');
    clock.advance(10_000);
    const refusal = await store.issue(flood[3]!, '4:203.0.113.9').catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(ClientShareError);
    // A StoreFullError all the same, for callers that know only that; room when its oldest drops.
    expect(refusal).toBeInstanceOf(StoreFullError);
    expect((refusal as ClientShareError).retryAfterSeconds).toBe(50);
    expect((refusal as ClientShareError).message).toMatch(/this address.*50 s/);
    // Its own sessions asking again keep their places; another client gets its challenge.
    await expect(store.issue(flood[0]!, '4:203.0.113.9')).resolves.toBeDefined();
    await expect(store.issue(SESSION_A, '4:198.51.100.2')).resolves.toBeDefined();
    await expect(store.issue(SESSION_B, '6:2001:db8:0:100::/56')).resolves.toBeDefined();
    // A challenge taken frees its client's place at once.
    expect((await store.take(flood[1]!)).status).toBe('ok');
    await expect(store.issue(flood[3]!, '4:203.0.113.9')).resolves.toBeDefined();
    await expect(store.issue(flood[4]!, '4:203.0.113.9')).rejects.toBeInstanceOf(ClientShareError);
    // And one that drops frees it when it drops.
    clock.advance(50_000);
    await expect(store.issue(flood[4]!, '4:203.0.113.9')).resolves.toBeDefined();
  });

  it('keeps any caller key bounded (hashed), and applies only the whole bound without a client', async () => {
    const store = createMemoryChallengeStore({ maxPending: 40, maxPendingPerClient: 2 });
    const odd = 'a client key of a framework of its own, with spaces and ü';
    await store.issue('odd-session-0-0123456789', odd);
    await store.issue('odd-session-1-0123456789', odd);
    await expect(store.issue('odd-session-2-0123456789', odd)).rejects.toBeInstanceOf(ClientShareError);
    for (let i = 0; i < 10; i++) await store.issue(`no-client-${i}-0123456789`);
  });

  it('a flood from one client leaves room for everyone else (default share: a hundredth, at least 16)', async () => {
    const store = createMemoryChallengeStore();
    let refused = 0;
    for (let i = 0; i < 1_000; i++) {
      await store
        .issue(`one-client-${String(i).padStart(8, '0')}-0123456789`, '4:203.0.113.9')
        .catch((err: unknown) => {
          expect(err).toBeInstanceOf(ClientShareError);
          refused++;
        });
    }
    expect(refused).toBe(900);
    await expect(store.issue(SESSION_A, '4:198.51.100.2')).resolves.toBeDefined();
    const small = createMemoryChallengeStore({ maxPending: 20 });
    for (let i = 0; i < 16; i++) await small.issue(`small-${String(i).padStart(8, '0')}-0123456789`, '4:203.0.113.9');
    await expect(small.issue('small-overflow-0123456789', '4:203.0.113.9')).rejects.toBeInstanceOf(ClientShareError);
  });

  it('makes room from expired records', async () => {
    const clock = manualClock();
    const store = createMemoryChallengeStore({ maxPending: 2, ttlMs: 1_000, graceMs: 0, now: clock.now });
    await store.issue(SESSION_A);
    clock.advance(500);
    await store.issue(SESSION_B);
    clock.advance(600); // A is past its drop time, B is not
    await store.issue('session-c-0123456789abcdef');
    expect((await store.take(SESSION_B)).status).toBe('ok');
  });

  it('refuses a TTL above five minutes and non-integer TTLs', () => {
    expect(() => createMemoryChallengeStore({ ttlMs: 5 * 60_000 + 1 })).toThrow(RangeError);
    expect(() => createMemoryChallengeStore({ ttlMs: 1.5e3 + 0.5 })).toThrow(RangeError);
    expect(() => createMemoryChallengeStore({ ttlMs: 0 })).toThrow(RangeError);
    expect(() => createMemoryChallengeStore({ maxPending: 0 })).toThrow(RangeError);
    expect(() => createMemoryChallengeStore({ maxPending: 10, maxPendingPerClient: 11 })).toThrow(RangeError);
    expect(() => createMemoryChallengeStore({ maxPendingPerClient: 0 })).toThrow(RangeError);
    expect(() => createMemoryChallengeStore({ maxPendingPerClient: 1.5 })).toThrow(RangeError);
  });

  it('refuses to work once closed', async () => {
    const store = createMemoryChallengeStore();
    await store.issue(SESSION_A);
    await store.close();
    await expect(store.take(SESSION_A)).rejects.toBeInstanceOf(HpkiError);
    await expect(store.issue(SESSION_A)).rejects.toBeInstanceOf(HpkiError);
  });
});

describe('expiring map', () => {
  type Op =
    | { kind: 'set'; key: number; value: number }
    | { kind: 'get' | 'take'; key: number }
    | { kind: 'tick'; ms: number };
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ kind: fc.constant('set' as const), key: fc.nat(9), value: fc.integer() }),
    fc.record({ kind: fc.constantFrom('get' as const, 'take' as const), key: fc.nat(9) }),
    fc.record({ kind: fc.constant('tick' as const), ms: fc.nat(50) }),
  );

  it('never exceeds its bound, never drops a live entry, and never returns one stale, replaced or taken', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.array(op, { maxLength: 200 }), (maxEntries, ops) => {
        let t = 0;
        const lifetime = 100;
        const map = createExpiringMap<number>({ maxEntries, now: () => t });
        // What the map may still hold: the last value set for a key and when it drops.
        const model = new Map<number, { value: number; dropAt: number }>();
        for (const o of ops) {
          if (o.kind === 'tick') t += o.ms;
          else if (o.kind === 'set') {
            if (map.set(String(o.key), o.value, t + lifetime))
              model.set(o.key, { value: o.value, dropAt: t + lifetime });
          } else {
            const got = o.kind === 'get' ? map.get(String(o.key)) : map.take(String(o.key));
            const expected = model.get(o.key);
            if (got !== undefined) {
              expect(expected).toBeDefined();
              expect(got).toBe(expected?.value);
              expect(t).toBeLessThan(expected?.dropAt ?? -1);
            } else if (expected !== undefined) {
              // Whatever was set and is still live is there.
              expect(t).toBeGreaterThanOrEqual(expected.dropAt);
            }
            if (o.kind === 'take') model.delete(o.key);
          }
          expect(map.size).toBeLessThanOrEqual(maxEntries);
        }
      }),
    );
  });

  it('refuses a new key when full of live entries, and still replaces a live one', () => {
    let t = 0;
    const map = createExpiringMap<string>({ maxEntries: 2, now: () => t });
    expect(map.set('a', 'A', 10)).toBe(true);
    t = 4;
    expect(map.set('b', 'B', 14)).toBe(true);
    expect(map.set('c', 'C', 14)).toBe(false);
    expect(map.msUntilRoom()).toBe(6);
    expect(map.set('a', 'A2', 14)).toBe(true); // refreshes a: b is now the oldest
    expect([map.get('a'), map.get('b'), map.get('c')]).toEqual(['A2', 'B', undefined]);
    t = 14;
    expect(map.msUntilRoom()).toBe(0);
    expect(map.set('c', 'C', 24)).toBe(true);
  });

  it('as a cache (evict-oldest, touchOnGet) drops the least recently read entry, and lists live entries oldest first', () => {
    const clock = manualClock(0);
    const map = createExpiringMap<string>({
      maxEntries: 2,
      now: clock.now,
      touchOnGet: true,
      whenFull: 'evict-oldest',
    });
    map.set('a', 'A', Number.POSITIVE_INFINITY);
    map.set('b', 'B', 5);
    expect(map.get('a')).toBe('A'); // a read: b is now the oldest
    expect(map.entries()).toEqual([
      ['b', 'B'],
      ['a', 'A'],
    ]);
    map.set('c', 'C', Number.POSITIVE_INFINITY);
    expect([map.get('a'), map.get('b'), map.get('c')]).toEqual(['A', undefined, 'C']);
    map.set('d', 'D', 5);
    clock.advance(5);
    expect(map.entries()).toEqual([['c', 'C']]);
  });

  it('refuses by default: whenFull: refuse is the same map', () => {
    const map = createExpiringMap<string>({ maxEntries: 1, now: () => 0, whenFull: 'refuse' });
    expect(map.set('a', 'A', 10)).toBe(true);
    expect(map.set('b', 'B', 10)).toBe(false);
    expect(map.set('a', 'A2', 10)).toBe(true);
    expect([map.get('a'), map.get('b')]).toEqual(['A2', undefined]);
  });
});
