import { describe, expect, it } from 'vitest';
import type { SsoUser } from '../../../../server/demo/oidc-rp.js';
import { createSsoSessionIndex } from '../../../../server/demo/sso-sessions.js';
import { createMemorySessionStore } from '../../../../server/http/index.js';
import { StoreFullError } from '../../../../server/shared/index.js';

/** The demo services' index of SSO sessions, which back-channel logout goes by: bounded, and it never forgets a live session. */

const user = (sid: string): SsoUser => ({ claims: {}, idToken: 'x', sub: `sub-${sid}`, sid });

describe('SSO session index', () => {
  it('when full, forgets sessions the store let go of, never a live one: logout still finds it', () => {
    let t = 0;
    const sessions = createMemorySessionStore<string>({ maxSessions: 10, idleTimeoutMs: 1_000, now: () => t });
    const index = createSsoSessionIndex(sessions, 3);
    const oldest = index.start(user('a'), 'a', undefined);
    index.start(user('b'), 'b', undefined);
    index.start(user('c'), 'c', undefined);
    t = 600;
    expect(sessions.get(oldest)).toBe('a'); // the oldest stays in use; b and c go idle
    t = 1_200;
    const fourth = index.start(user('d'), 'd', undefined);
    // The back-channel logout of a's provider session ends it.
    index.end({ sid: 'a' });
    expect(sessions.get(oldest)).toBeUndefined();
    index.end({ sub: 'sub-d' });
    expect(sessions.get(fourth)).toBeUndefined();
  });

  it('refuses a new session rather than forget a live one', () => {
    const sessions = createMemorySessionStore<string>({ maxSessions: 10 });
    const index = createSsoSessionIndex(sessions, 2);
    const ids = [index.start(user('a'), 'a', undefined), index.start(user('b'), 'b', undefined)];
    expect(() => index.start(user('c'), 'c', undefined)).toThrow(StoreFullError);
    expect(ids.map((id) => sessions.get(id))).toEqual(['a', 'b']);
    index.end({ sid: 'a' });
    index.end({ sid: 'b' });
    expect(ids.map((id) => sessions.get(id))).toEqual([undefined, undefined]);
  });
});
