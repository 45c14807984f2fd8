import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** The project root, with a trailing slash. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Bundles one TypeScript script for Node (dependencies stay external) into `outfile` under the
 * project root, for scripts that run outside the CLI: benchmarks and packaging.
 */
export async function bundleNodeScript(entry, outfile) {
  await build({
    absWorkingDir: ROOT,
    entryPoints: [entry],
    outfile: `${ROOT}${outfile}`,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    packages: 'external',
    logLevel: 'warning',
  });
  return `${ROOT}${outfile}`;
}
