import type { IncomingHttpHeaders } from 'node:http';
import { isLoopbackOrigin } from '../../protocol/origin.js';

/** Our session ids: 256 random bits as base64url. Any other value in the cookie is ignored. */
const SESSION_ID_VALUE = /^[A-Za-z0-9_-]{43}$/;

export interface SessionCookie {
  readonly name: string;
  /** The session id the request carries, if well formed. */
  read(headers: IncomingHttpHeaders): string | undefined;
  /** A Set-Cookie value that stores the id. */
  serialize(id: string): string;
  /** A Set-Cookie value that removes the cookie. */
  serializeCleared(): string;
}

/**
 * The session cookie of PROTOCOL.md §1.1: HttpOnly, SameSite=Lax, Path=/, and Secure unless the
 * site is served on a loopback origin (browsers drop Secure cookies over plain http). A secure cookie
 * gets the `__Host-` prefix, which browsers only accept from a secure origin without Domain.
 */
export function createSessionCookie(origin: string): SessionCookie {
  const secure = !isLoopbackOrigin(origin);
  const name = secure ? '__Host-hpki-session' : 'hpki-session';
  const attributes = `; Path=/; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;

  return {
    name,
    read(headers) {
      const header = headers.cookie;
      if (typeof header !== 'string' || header.length > 8 * 1024) return undefined;
      for (const pair of header.split(';')) {
        const eq = pair.indexOf('=');
        if (eq < 0 || pair.slice(0, eq).trim() !== name) continue;
        const value = pair.slice(eq + 1).trim();
        if (SESSION_ID_VALUE.test(value)) return value;
      }
      return undefined;
    },
    serialize(id) {
      if (!SESSION_ID_VALUE.test(id)) throw new RangeError('not a session id');
      return `${name}=${id}${attributes}`;
    },
    serializeCleared: () => `${name}=${attributes}; Max-Age=0`,
  };
}
