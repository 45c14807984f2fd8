import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Tests run the built CLI and extension as users do, so build once before any test file runs. */
export function setup(): void {
  console.log(`node ${process.version} (${process.execPath})`);
  const root = fileURLToPath(new URL('..', import.meta.url));
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: root, stdio: 'inherit' });
}
