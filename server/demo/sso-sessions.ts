import type { SessionStore } from '../http/index.js';
import type { SsoUser } from './oidc-rp.js';

/**
 * A demo service's sessions started through SSO, found again by the provider session (`sid`) or
 * holder (`sub`) that a back-channel logout names. Bounded like the session store it indexes.
 */
export interface SsoSessionIndex<T> {
  /** Starts a session (indexed when `user` came through SSO), ending `previous`. */
  start(user: SsoUser | undefined, data: T, previous: string | undefined): string;
  end(match: { sid?: string; sub?: string }): void;
  destroy(id: string): void;
}

const MAX_INDEXED = 10_000;

export function createSsoSessionIndex<T>(sessions: SessionStore<T>): SsoSessionIndex<T> {
  const byKey = new Map<string, Set<string>>();
  const keysOf = (user: SsoUser | undefined): string[] =>
    user === undefined ? [] : [`sub:${user.sub}`, ...(user.sid === undefined ? [] : [`sid:${user.sid}`])];
  const owners = new Map<string, string[]>();

  const forget = (id: string): void => {
    for (const key of owners.get(id) ?? []) {
      const ids = byKey.get(key);
      ids?.delete(id);
      if (ids?.size === 0) byKey.delete(key);
    }
    owners.delete(id);
  };

  return {
    start(user, data, previous) {
      if (previous !== undefined) {
        sessions.destroy(previous);
        forget(previous);
      }
      const id = sessions.create(data);
      if (owners.size >= MAX_INDEXED) {
        // The oldest entries belong to sessions the store has long let go of.
        const oldest = owners.keys().next();
        if (oldest.done !== true) forget(oldest.value);
      }
      const keys = keysOf(user);
      owners.set(id, keys);
      for (const key of keys) byKey.set(key, (byKey.get(key) ?? new Set()).add(id));
      return id;
    },
    end(match) {
      const key = match.sid !== undefined ? `sid:${match.sid}` : `sub:${match.sub ?? ''}`;
      for (const id of [...(byKey.get(key) ?? [])]) {
        sessions.destroy(id);
        forget(id);
      }
    },
    destroy(id) {
      sessions.destroy(id);
      forget(id);
    },
  };
}
