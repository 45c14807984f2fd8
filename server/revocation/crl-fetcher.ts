import { createExpiringMap } from '../shared/index.js';
import type { ParsedCrl } from './crl.js';
import { isCrlFresh, MAX_CRL_BYTES, parseCrl } from './crl.js';
import { downloadCrl, isFetchableCrlUrl } from './crl-download.js';

export { isFetchableCrlUrl } from './crl-download.js';

/**
 * CRLs fetched from CRLDP URIs over HTTP(S) (crl-download.ts: bounded size and time, no
 * redirects, no link-local targets unless allowed), one cache entry per URL,
 * refreshed on a schedule (`refreshIntervalMs`, HPKI CAs publish daily) and ahead of nextUpdate,
 * served while a refresh runs in the background. Failures never throw to the verifier: it simply
 * has no current CRL, and fails closed or soft as configured. A fetched CRL is trusted only after
 * the verifier checks its signature against the issuing CA.
 */

export interface CrlFetcherOptions {
  /** Per request, connect to last byte. Default 10 s. */
  timeoutMs?: number;
  /** Default 8 MiB. */
  maxBytes?: number;
  /** Re-fetch a cached CRL this often. Default 1 h. */
  refreshIntervalMs?: number;
  /** Re-fetch this long before nextUpdate at the latest. Default 1 h. */
  refreshBeforeNextUpdateMs?: number;
  /** After a failed fetch, wait this long before trying the URL again. Default 1 min. */
  retryAfterFailureMs?: number;
  /** Distinct URLs kept. Default 256. */
  maxEntries?: number;
  /** Also fetch from link-local and unspecified addresses (169.254/16, fe80::/10). Default false. */
  allowLinkLocal?: boolean;
  now?: () => Date;
  /** Told about failed fetches (the verifier itself only sees "no CRL"). */
  onError?: (url: string, error: Error) => void;
}

export interface CrlFetcher {
  /** The CRL at `url` (cached or fetched now), or undefined when none could be had. */
  get(url: string): Promise<ParsedCrl | undefined>;
  /** Re-fetches every cached URL that is due; what the schedule runs. */
  refreshDue(): Promise<void>;
  /** Runs `refreshDue` every `intervalMs` (unref'd timer); returns a stop function. */
  startSchedule(intervalMs?: number): () => void;
  readonly cachedUrls: readonly string[];
}

interface Entry {
  crl: ParsedCrl | undefined;
  refreshAt: number;
  pending: Promise<void> | undefined;
}

export function createCrlFetcher(options: CrlFetcherOptions = {}): CrlFetcher {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxBytes = options.maxBytes ?? MAX_CRL_BYTES;
  const interval = options.refreshIntervalMs ?? 60 * 60_000;
  const ahead = options.refreshBeforeNextUpdateMs ?? 60 * 60_000;
  const retry = options.retryAfterFailureMs ?? 60_000;
  const maxEntries = options.maxEntries ?? 256;
  const allowLinkLocal = options.allowLinkLocal === true;
  const now = options.now ?? (() => new Date());
  const entries = createExpiringMap<Entry>({ maxEntries, now: Date.now, whenFull: 'evict-oldest' });

  const nextRefresh = (crl: ParsedCrl, t: number): number => {
    const byUpdate = crl.nextUpdate === undefined ? t : crl.nextUpdate.getTime() - ahead;
    return Math.max(t + retry, Math.min(t + interval, byUpdate));
  };

  const refresh = (url: string, entry: Entry): Promise<void> => {
    entry.pending ??= (async () => {
      try {
        const crl = parseCrl(await downloadCrl(url, { timeoutMs, maxBytes, allowLinkLocal }), maxBytes);
        const t = now().getTime();
        // A replayed older list must not replace a newer one.
        if (entry.crl === undefined || crl.thisUpdate.getTime() >= entry.crl.thisUpdate.getTime()) entry.crl = crl;
        entry.refreshAt = nextRefresh(entry.crl, t);
      } catch (err) {
        entry.refreshAt = now().getTime() + retry;
        options.onError?.(url, err instanceof Error ? err : new Error(String(err)));
      } finally {
        entry.pending = undefined;
      }
    })();
    return entry.pending;
  };

  return {
    async get(url) {
      if (!isFetchableCrlUrl(url)) return undefined;
      let entry = entries.get(url);
      if (entry === undefined) {
        entry = { crl: undefined, refreshAt: 0, pending: undefined };
        entries.set(url, entry, Number.POSITIVE_INFINITY);
      }
      const at = now();
      if (at.getTime() < entry.refreshAt) return entry.crl;
      if (entry.crl !== undefined && isCrlFresh(entry.crl, at)) {
        void refresh(url, entry);
        return entry.crl;
      }
      await refresh(url, entry);
      return entry.crl;
    },
    async refreshDue() {
      const t = now().getTime();
      await Promise.all(
        entries
          .entries()
          .filter(([, e]) => t >= e.refreshAt)
          .map(([url, e]) => refresh(url, e)),
      );
    },
    startSchedule(intervalMs = interval) {
      const timer = setInterval(() => void this.refreshDue(), intervalMs);
      timer.unref();
      return () => clearInterval(timer);
    },
    get cachedUrls() {
      return entries.entries().map(([url]) => url);
    },
  };
}
