import { describe, expect, it } from 'vitest';
import { createMemorySessionStore, createSessionCookie } from '../../../../server/http/index.js';
import { StoreFullError } from '../../../../server/shared/index.js';

describe('memory session store', () => {
  it('keys sessions by fresh 256-bit ids', () => {
    const sessions = createMemorySessionStore<string>();
    const ids = new Set(Array.from({ length: 100 }, (_, i) => sessions.create(`user ${i}`)));
    expect(ids.size).toBe(100);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('forgets a session after the idle timeout, and keeps a used one alive', () => {
    let t = 0;
    const sessions = createMemorySessionStore<string>({ idleTimeoutMs: 10_000, now: () => t });
    const idle = sessions.create('idle');
    const busy = sessions.create('busy');
    for (let i = 0; i < 5; i++) {
      t += 6_000;
      expect(sessions.get(busy)).toBe('busy');
    }
    expect(sessions.get(idle)).toBeUndefined();
  });

  it('destroys a session', () => {
    const sessions = createMemorySessionStore<string>();
    const id = sessions.create('x');
    sessions.destroy(id);
    expect(sessions.get(id)).toBeUndefined();
  });

  it('stays bounded: when full it refuses a new session and ends none', () => {
    let t = 0;
    const sessions = createMemorySessionStore<number>({ maxSessions: 3, idleTimeoutMs: 10_000, now: () => t });
    const ids = [0, 1, 2].map((n) => sessions.create(n));
    t = 4_000;
    sessions.get(ids[0]!); // 1 is now the least recently used, and drops at 10 s
    let refusal: unknown;
    try {
      sessions.create(3);
    } catch (err) {
      refusal = err;
    }
    expect(refusal).toBeInstanceOf(StoreFullError);
    expect((refusal as StoreFullError).retryAfterSeconds).toBe(6);
    expect(ids.map((id) => sessions.get(id))).toEqual([0, 1, 2]);
    t = 20_000; // all idle past their timeout: room again
    expect(sessions.create(3)).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('ends a session at its absolute lifetime, however busy it is', () => {
    let t = 0;
    const sessions = createMemorySessionStore<string>({
      idleTimeoutMs: 10 * 60_000,
      absoluteTimeoutMs: 60 * 60_000,
      now: () => t,
    });
    const busy = sessions.create('busy');
    // Used every five minutes: the idle timer never runs out.
    for (t = 5 * 60_000; t < 60 * 60_000; t += 5 * 60_000) expect(sessions.get(busy)).toBe('busy');
    t = 60 * 60_000 - 1;
    expect(sessions.get(busy)).toBe('busy');
    t = 60 * 60_000;
    expect(sessions.get(busy)).toBeUndefined();
    // Gone for good, not only for this read.
    t -= 1;
    expect(sessions.get(busy)).toBeUndefined();
    // A new login starts a new lifetime.
    const next = sessions.create('next');
    const start = t;
    for (t = start + 5 * 60_000; t < start + 60 * 60_000; t += 5 * 60_000) expect(sessions.get(next)).toBe('next');
  });

  it('defaults to a 30-minute idle timeout and an 8-hour absolute lifetime', () => {
    let t = 0;
    const sessions = createMemorySessionStore<string>({ now: () => t });
    const id = sessions.create('shift');
    for (t = 25 * 60_000; t < 8 * 60 * 60_000; t += 25 * 60_000) expect(sessions.get(id)).toBe('shift');
    t = 8 * 60 * 60_000;
    expect(sessions.get(id)).toBeUndefined();
    expect(() => createMemorySessionStore({ idleTimeoutMs: 60_000, absoluteTimeoutMs: 59_999 })).toThrow(RangeError);
  });
});

describe('session cookie', () => {
  const id = 'A'.repeat(43);

  it('is Secure with the __Host- prefix on an https origin', () => {
    const cookie = createSessionCookie('https://harenet.example.jp');
    expect(cookie.serialize(id)).toBe(`__Host-hpki-session=${id}; Path=/; HttpOnly; SameSite=Lax; Secure`);
    expect(cookie.serializeCleared()).toBe('__Host-hpki-session=; Path=/; HttpOnly; SameSite=Lax; Secure; Max-Age=0');
  });

  it('is not Secure on loopback origins, where browsers would drop it', () => {
    for (const origin of ['http://localhost:8787', 'http://127.0.0.1:8080', 'http://[::1]:3000']) {
      expect(createSessionCookie(origin).serialize(id)).toBe(`hpki-session=${id}; Path=/; HttpOnly; SameSite=Lax`);
    }
  });

  it('reads only well-formed ids of its own name', () => {
    const cookie = createSessionCookie('http://localhost:8787');
    const other = 'b'.repeat(43);
    expect(cookie.read({ cookie: `theme=dark; hpki-session=${id}; x=1` })).toBe(id);
    expect(cookie.read({ cookie: `hpki-session=short; hpki-session=${other}` })).toBe(other);
    expect(cookie.read({ cookie: `xhpki-session=${id}` })).toBeUndefined();
    expect(cookie.read({ cookie: `hpki-session=${id}!` })).toBeUndefined();
    expect(cookie.read({ cookie: `hpki-session=${'c'.repeat(44)}` })).toBeUndefined();
    expect(cookie.read({})).toBeUndefined();
    expect(() => cookie.serialize('not;an;id')).toThrow(RangeError);
  });
});
