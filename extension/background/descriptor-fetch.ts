import type { Descriptor } from '../../protocol/page-messages.js';
import { descriptorSchema } from '../../protocol/page-messages.js';
import { MAX_SITE_JSON_BYTES, readBoundedJson } from '../shared/index.js';

/**
 * The background's own look at a site's descriptor (PROTOCOL.md §1.1): it decides whether a loopback
 * origin counts as enabled and names the site in the PIN window, so it does not take the content
 * script's word for it. Answers are cached briefly: a login reads it twice within seconds.
 */

export const DESCRIPTOR_PATH = '/.well-known/hpki-login';
const CACHE_MS = 30_000;
const FETCH_TIMEOUT_MS = 5_000;

export type FetchDescriptor = (origin: string) => Promise<Descriptor | undefined>;

export function createDescriptorFetcher(fetchFn: typeof fetch, now: () => number = Date.now): FetchDescriptor {
  const cache = new Map<string, { at: number; descriptor: Descriptor | undefined }>();
  return async (origin) => {
    const hit = cache.get(origin);
    if (hit !== undefined && now() - hit.at < CACHE_MS) return hit.descriptor;
    let descriptor: Descriptor | undefined;
    try {
      const response = await fetchFn(`${origin}${DESCRIPTOR_PATH}`, {
        credentials: 'omit',
        redirect: 'error',
        cache: 'no-store',
        headers: { Accept: 'application/json' },
        signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
      });
      if (response.ok) {
        const parsed = descriptorSchema.safeParse(await readBoundedJson(response, MAX_SITE_JSON_BYTES));
        if (parsed.success) descriptor = parsed.data;
      } else {
        await response.body?.cancel().catch(() => undefined);
      }
    } catch {
      descriptor = undefined;
    }
    cache.set(origin, { at: now(), descriptor });
    return descriptor;
  };
}
