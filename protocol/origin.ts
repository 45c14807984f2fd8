import { HpkiError } from './errors.js';

/**
 * Origins of PROTOCOL.md §6: `https://` anywhere, plain `http://` only on loopback. The value must
 * already be the browser's ASCII serialization (`scheme://host[:port]`, no path, default port
 * omitted); anything that does not round-trip through URL parsing unchanged is refused.
 */

const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '[::1]']);
const MAX_ORIGIN_LENGTH = 2048;

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
