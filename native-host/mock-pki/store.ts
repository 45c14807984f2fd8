import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';

/**
 * The mock PKI's directory: PEM files, CA keys (0600) and `state.json`. Several processes may issue
 * certificates from one directory at once (tests, the demo, the CLI), so every read-modify-write of
 * the state happens under a lock file.
 */

export const FILES = {
  root: 'root.pem',
  authCa: 'auth-ca.pem',
  signCa: 'sign-ca.pem',
  rootKey: 'root.key.pem',
  authCaKey: 'auth-ca.key.pem',
  signCaKey: 'sign-ca.key.pem',
  authCaCrl: 'auth-ca.crl.pem',
  signCaCrl: 'sign-ca.crl.pem',
  state: 'state.json',
  lock: '.lock',
} as const;

/** End-entity serials start here; 01–03 belong to the root and the two issuing CAs. */
export const FIRST_END_ENTITY_SERIAL = 0x1001;
const MAX_STATE_BYTES = 4 * 1024 * 1024;
const LOCK_WAIT_MS = 30_000;
/** A lock older than this was left by a process that died. */
const STALE_LOCK_MS = 120_000;

const revokedSchema = z
  .object({
    issuer: z.enum(['auth', 'sign']),
    serialNumberHex: z.string().regex(/^[0-9a-f]{2,40}$/),
    date: z.string().datetime(),
  })
  .strict();

const stateSchema = z
  .object({
    version: z.literal(1),
    crlBaseUrl: z.string().url().max(2048),
    nextSerial: z
      .number()
      .int()
      .min(FIRST_END_ENTITY_SERIAL)
      .max(2 ** 48),
    revoked: z.array(revokedSchema).max(100_000),
  })
  .strict();

export type PkiState = z.infer<typeof stateSchema>;
export type RevokedSerial = z.infer<typeof revokedSchema>;

/** Hex of a positive serial, with a leading 00 when the top bit would make it negative. */
export function serialHex(serial: number): string {
  let hex = serial.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  return Number.parseInt(hex.slice(0, 1), 16) >= 8 ? `00${hex}` : hex;
}

export async function readState(dir: string): Promise<PkiState | undefined> {
  const path = join(dir, FILES.state);
  const info = await stat(path).catch((err: unknown) => {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  });
  if (info === undefined) return undefined;
  if (info.size > MAX_STATE_BYTES) throw new Error(`${path} is too large`);
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch {
    throw new Error(`${path} is not a mock PKI state: not JSON`);
  }
  const parsed = stateSchema.safeParse(json);
  if (!parsed.success) throw new Error(`${path} is not a mock PKI state: ${parsed.error.issues[0]?.message ?? ''}`);
  return parsed.data;
}

/** Writes a file so that readers see the old or the new content, never half of it. */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  const temp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    await writeFile(temp, data, { mode });
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

export function writeState(dir: string, state: PkiState): Promise<void> {
  return writeFileAtomic(join(dir, FILES.state), `${JSON.stringify(stateSchema.parse(state), null, 2)}\n`);
}

/** Runs `fn` holding the directory's lock file (created with O_EXCL, so it works across processes). */
export async function withDirLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const lockPath = join(dir, FILES.lock);
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      const handle = await open(lockPath, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const info = await stat(lockPath).catch(() => undefined);
      if (info !== undefined && Date.now() - info.mtimeMs > STALE_LOCK_MS) {
        await rm(lockPath, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`the mock PKI in ${dir} stays locked by ${lockPath}`);
      await sleep(20 + Math.floor(Math.random() * 30));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lockPath, { force: true });
  }
}
