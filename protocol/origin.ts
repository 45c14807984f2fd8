import * as z from 'zod/mini';
import { HpkiError } from './errors.js';

/**
 * Origins of PROTOCOL.md §6: `https://` anywhere, plain `http://` only on loopback. The value must
 * already be the browser's ASCII serialization (`scheme://host[:port]`, no path, default port
 * omitted); anything that does not round-trip through URL parsing unchanged is refused.
 */

const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '[::1]']);
/** The longest origin accepted anywhere. */
export const MAX_ORIGIN_LENGTH = 2048;
/** The longest same-origin path (descriptor URLs, the login's redirect). */
export const MAX_SAME_ORIGIN_PATH_LENGTH = 2048;

/**
 * A path on the page's own origin: starts with one `/` (not `//`, which would name another host),
 * no white space or backslash (which browsers read as `/`).
 */
export const sameOriginPathSchema = z
  .string()
  .check(z.regex(new RegExp(`^/(?!/)[^\\s\\\\]{0,${MAX_SAME_ORIGIN_PATH_LENGTH - 1}}$`)));

export function isLoopbackOrigin(origin: string): boolean {
  const url = parseSerializedOrigin(origin);
  return url !== undefined && LOOPBACK_HOSTS.has(url.hostname);
}

function parseSerializedOrigin(origin: string): URL | undefined {
  if (origin.length === 0 || origin.length > MAX_ORIGIN_LENGTH) return undefined;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return undefined;
  }
  if (url.origin !== origin) return undefined;
  return url;
}

/** True when the origin may use HPKI login at all (before the user's enabled-site check). */
export function isSecureOrigin(origin: string): boolean {
  const url = parseSerializedOrigin(origin);
  if (url === undefined) return false;
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);
}

/** Throws ERR_HPKI_INSECURE_ORIGIN unless the origin is acceptable; returns it unchanged. */
export function assertSecureOrigin(origin: unknown): string {
  if (typeof origin !== 'string' || !isSecureOrigin(origin)) {
    throw new HpkiError('ERR_HPKI_INSECURE_ORIGIN', 'origin must be https:// or a loopback http:// origin');
  }
  return origin;
}
