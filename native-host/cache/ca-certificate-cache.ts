import { chmodSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { decodeBase64Strict, encodeBase64 } from '../../protocol/base64.js';
import type { CaCertificateCache } from '../card/index.js';
import { caCacheKey, caChainFits } from './ca-chain-fit.js';

/**
 * The CA certificates of the card's end-entity certificate, kept per user between host processes so
 * that a login reads only the end-entity certificate from the card. One JSON file per issuing CA key
 * (caCacheKey: the end entity's issuer and authority key identifier) under `<cache dir>/ca-certificates`,
 * the directory 0700 and the files 0600. Every entry is checked against the end entity before it is
 * used (caChainFits); one that does not parse or does not fit is ignored, and the chain read from the
 * card then replaces it. At most `maxEntries` files, the least recently written removed first. Disk
 * trouble never fails a login: the cache then holds entries in memory only.
 */

export const CA_CACHE_FORMAT = 'hpki-login-ca-cache';
const MAX_ENTRY_BYTES = 64 * 1024;
const DEFAULT_MAX_ENTRIES = 32;
const MAX_CHAIN = 4;

const entrySchema = z
  .object({
    format: z.literal(CA_CACHE_FORMAT),
    version: z.literal(1),
    certificates: z
      .array(z.string().max(12 * 1024))
      .min(1)
      .max(MAX_CHAIN),
  })
  .strict();

export interface CaCertificateCacheOptions {
  /** The user's cache directory (see cache-dir.ts); undefined keeps entries in memory only. */
  dir?: string | undefined;
  maxEntries?: number;
}

/** Makes `dir` (and its parents) with mode 0700 and tightens a directory we own that is wider. */
function privateDirectory(dir: string): boolean {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (process.platform !== 'win32') {
      const stat = statSync(dir);
      if (!stat.isDirectory()) return false;
      if ((stat.mode & 0o077) !== 0) chmodSync(dir, 0o700);
    }
    return true;
  } catch {
    return false;
  }
}

function decodeEntry(text: string): Uint8Array[] | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = entrySchema.safeParse(json);
  if (!parsed.success) return undefined;
  const out: Uint8Array[] = [];
  for (const b64 of parsed.data.certificates) {
    const der = decodeBase64Strict(b64);
    if (der === undefined) return undefined;
    out.push(der);
  }
  return out;
}

export function createCaCertificateCache(options: CaCertificateCacheOptions = {}): CaCertificateCache {
  const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
  const memory = new Map<string, Uint8Array[]>();
  const dir = options.dir === undefined ? undefined : join(options.dir, 'ca-certificates');
  let diskUsable: boolean | undefined;
  const disk = (): string | undefined => {
    if (dir === undefined) return undefined;
    diskUsable ??= privateDirectory(dir);
    return diskUsable ? dir : undefined;
  };

  function readEntry(key: string): Uint8Array[] | undefined {
    const d = disk();
    if (d === undefined) return undefined;
    const file = join(d, `${key}.json`);
    try {
      if (statSync(file).size > MAX_ENTRY_BYTES) return undefined;
      return decodeEntry(readFileSync(file, 'utf8'));
    } catch {
      return undefined;
    }
  }

  function prune(d: string): void {
    const entries = readdirSync(d)
      .filter((name) => /^[0-9a-f]{64}\.json$/.test(name))
      .map((name) => ({ name, mtime: statSync(join(d, name)).mtimeMs }))
      .sort((a, b) => b.mtime - a.mtime);
    for (const old of entries.slice(maxEntries)) rmSync(join(d, old.name), { force: true });
  }

  function writeEntry(key: string, certificates: readonly Uint8Array[]): void {
    const d = disk();
    if (d === undefined) return;
    const file = join(d, `${key}.json`);
    const temp = `${file}.${process.pid}.tmp`;
    const body = { format: CA_CACHE_FORMAT, version: 1, certificates: certificates.map(encodeBase64) };
    try {
      writeFileSync(temp, `${JSON.stringify(body)}\n`, { mode: 0o600 });
      renameSync(temp, file);
      prune(d);
    } catch {
      rmSync(temp, { force: true });
    }
  }

  return {
    lookup(certificate) {
      const key = caCacheKey(certificate);
      if (key === undefined) return undefined;
      const held = memory.get(key);
      if (held !== undefined && caChainFits(certificate, held)) return held;
      const stored = readEntry(key);
      if (stored === undefined || !caChainFits(certificate, stored)) return undefined;
      memory.set(key, stored);
      return stored;
    },
    store(certificate, caCertificates) {
      const key = caCacheKey(certificate);
      // Only a chain that would pass lookup() is kept: anything else is read from the card each time.
      if (key === undefined || caCertificates.length > MAX_CHAIN || !caChainFits(certificate, caCertificates)) return;
      const copy = caCertificates.map((c) => c.slice());
      memory.delete(key);
      memory.set(key, copy);
      for (const oldest of memory.keys()) {
        if (memory.size <= maxEntries) break;
        memory.delete(oldest);
      }
      writeEntry(key, copy);
    },
  };
}
