import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Every host a test starts caches CA certificates in a directory of the run's own, never in the user's. */
export function setup(): () => void {
  const cacheDir = mkdtempSync(join(tmpdir(), 'hpki-login-test-cache-'));
  process.env.HPKI_LOGIN_CACHE_DIR = cacheDir;
  return () => rmSync(cacheDir, { recursive: true, force: true });
}
