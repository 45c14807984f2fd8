import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * The system tests run the built CLI and extension as users do, so the `system` project builds once
 * before any of its files runs. The `unit` project needs no build.
 */
export function setup(): void {
  console.log(`node ${process.version} (${process.execPath})`);
  const root = fileURLToPath(new URL('..', import.meta.url));
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: root, stdio: 'inherit' });
}
