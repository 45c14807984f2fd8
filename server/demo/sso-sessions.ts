import type { SessionStore } from '../http/index.js';
import { StoreFullError } from '../shared/index.js';
import type { SsoUser } from './oidc-rp.js';

/**
 * A demo service's sessions started through SSO, found again by the provider session (`sid`) or
 * holder (`sub`) that a back-channel logout names. Bounded like the session store it indexes: when
 * full of live sessions it refuses a new one (StoreFullError) rather than forget one.
 */
export interface SsoSessionIndex<T> {
  /** Starts a session (indexed when `user` came through SSO), ending `previous`. */
  start(user: SsoUser | undefined, data: T, previous: string | undefined): string;
  end(match: { sid?: string; sub?: string }): void;
  destroy(id: string): void;
}

const MAX_INDEXED = 10_000;

export function createSsoSessionIndex<T>(sessions: SessionStore<T>, maxIndexed = MAX_INDEXED): SsoSessionIndex<T> {
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
      if (owners.size >= maxIndexed) {
        // Forget the sessions the store has let go of; never a live one, which a back-channel
        // logout must still find.
        for (const owner of [...owners.keys()]) if (!sessions.has(owner)) forget(owner);
        if (owners.size >= maxIndexed) {
          sessions.destroy(id);
          throw new StoreFullError('sessions', 60_000);
        }
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
