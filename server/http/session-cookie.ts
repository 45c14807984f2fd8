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

const COOKIE_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The session cookie of PROTOCOL.md §1.1: HttpOnly, SameSite=Lax, Path=/, and Secure unless the
 * site is served on a loopback origin (browsers drop Secure cookies over plain http). A secure cookie
 * gets the `__Host-` prefix, which browsers only accept from a secure origin without Domain.
 * `name` (default `hpki-session`) keeps apart sites that share a host: cookies ignore the port.
 */
export function createSessionCookie(origin: string, options: { name?: string } = {}): SessionCookie {
  const secure = !isLoopbackOrigin(origin);
  const baseName = options.name ?? 'hpki-session';
  if (!COOKIE_NAME.test(baseName)) throw new RangeError('cookie name: 1–64 of [A-Za-z0-9_-]');
  const name = secure ? `__Host-${baseName}` : baseName;
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
