import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Tests run the built CLI and extension as users do, so build once before any test file runs. Every
 * host a test starts caches CA certificates in a directory of the run's own, never in the user's.
 */
export function setup(): () => void {
  console.log(`node ${process.version} (${process.execPath})`);
  const root = fileURLToPath(new URL('..', import.meta.url));
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: root, stdio: 'inherit' });
  const cacheDir = mkdtempSync(join(tmpdir(), 'hpki-login-test-cache-'));
  process.env.HPKI_LOGIN_CACHE_DIR = cacheDir;
  return () => rmSync(cacheDir, { recursive: true, force: true });
}
