import { readFile } from 'node:fs/promises';
import { build } from 'esbuild';

const root = new URL('../../', import.meta.url);

/** The CLI and everything it runs in Node (host, virtual card, verifier, demo), as split ESM chunks. */
export async function buildCli() {
  const pkg = JSON.parse(await readFile(new URL('package.json', root), 'utf8'));
  const outdir = new URL('dist/cli/', root).pathname;
  // No clean first: tests in other processes may be running the previous build; esbuild overwrites.
  await build({
    absWorkingDir: root.pathname,
    entryPoints: { main: 'scripts/cli/main.ts' },
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    sourcemap: 'linked',
    packages: 'external',
    define: { HPKI_LOGIN_VERSION: JSON.stringify(pkg.version) },
    logLevel: 'warning',
  });
}
