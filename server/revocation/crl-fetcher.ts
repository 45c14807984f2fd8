import type { ParsedCrl } from './crl.js';
import { CrlFormatError, MAX_CRL_BYTES, isCrlFresh, parseCrl } from './crl.js';
import { decodePemBlocks } from '../cert/pem.js';

/**
 * CRLs fetched from CRLDP URIs over HTTP(S): bounded size and time, one cache entry per URL,
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

/** Only http(s) URLs are fetched; HPKI CRLDPs are plain http (the CRL is signed). */
export function isFetchableCrlUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.username === '' && u.password === '';
  } catch {
    return false;
  }
}

/** GETs a CRL body (DER or PEM) of at most `maxBytes` within `timeoutMs`. */
export async function downloadCrl(url: string, options: { timeoutMs: number; maxBytes: number }): Promise<Uint8Array> {
  if (!isFetchableCrlUrl(url)) throw new CrlFormatError(`not an http(s) CRL URL: ${url}`);
  const signal = AbortSignal.timeout(options.timeoutMs);
  const response = await fetch(url, { signal, redirect: 'follow', headers: { accept: 'application/pkix-crl, */*' } });
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new Error(`HTTP ${response.status} from ${url}`);
  }
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > options.maxBytes) {
    await response.body?.cancel();
    throw new CrlFormatError(`CRL at ${url} is larger than ${options.maxBytes} bytes`);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = response.body?.getReader();
  if (reader === undefined) throw new Error(`empty response from ${url}`);
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > options.maxBytes) {
      await reader.cancel();
      throw new CrlFormatError(`CRL at ${url} is larger than ${options.maxBytes} bytes`);
    }
    chunks.push(value);
  }
  const body = Buffer.concat(chunks);
  const pem = decodePemBlocks(body, 'X509 CRL');
  const first = pem[0];
  if (pem.length > 0 && first !== undefined) return first;
  return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
}

export function createCrlFetcher(options: CrlFetcherOptions = {}): CrlFetcher {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxBytes = options.maxBytes ?? MAX_CRL_BYTES;
  const interval = options.refreshIntervalMs ?? 60 * 60_000;
  const ahead = options.refreshBeforeNextUpdateMs ?? 60 * 60_000;
  const retry = options.retryAfterFailureMs ?? 60_000;
  const maxEntries = options.maxEntries ?? 256;
  const now = options.now ?? (() => new Date());
  const entries = new Map<string, Entry>();

  const nextRefresh = (crl: ParsedCrl, t: number): number => {
    const byUpdate = crl.nextUpdate === undefined ? t : crl.nextUpdate.getTime() - ahead;
    return Math.max(t + retry, Math.min(t + interval, byUpdate));
  };

  const refresh = (url: string, entry: Entry): Promise<void> => {
    entry.pending ??= (async () => {
      try {
        const crl = parseCrl(await downloadCrl(url, { timeoutMs, maxBytes }), maxBytes);
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
        entries.set(url, entry);
        if (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
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
      await Promise.all([...entries].filter(([, e]) => t >= e.refreshAt).map(([url, e]) => refresh(url, e)));
    },
    startSchedule(intervalMs = interval) {
      const timer = setInterval(() => void this.refreshDue(), intervalMs);
      timer.unref();
      return () => clearInterval(timer);
    },
    get cachedUrls() {
      return [...entries.keys()];
    },
  };
}
