import { readFile, rename, writeFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { build } from 'esbuild';

const root = new URL('../../', import.meta.url);

/**
 * The list of files the last CLI build wrote, relative to dist/cli/ (read by builtCliFiles in
 * scripts/package/stage-app.ts): the packages carry these and nothing else of the folder.
 */
const CLI_OUTPUTS_FILE = 'outputs.json';

/** The CLI and everything it runs in Node (host, virtual card, verifier, demo), as split ESM chunks. */
export async function buildCli() {
  const pkg = JSON.parse(await readFile(new URL('package.json', root), 'utf8'));
  const outdir = new URL('dist/cli/', root).pathname;
  // No clean first: tests in other processes may be running the previous build, and a chunk they
  // import later (the backends are loaded on demand) must still be there; esbuild overwrites. So
  // chunks of earlier builds stay behind: the build lists its own outputs for the packagers.
  const result = await build({
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
    metafile: true,
  });
  const outputs = Object.keys(result.metafile.outputs)
    .map((path) => relative(outdir, new URL(path, root).pathname))
    .sort();
  // Written whole then renamed: a packager never reads half a list.
  const list = `${outdir}${CLI_OUTPUTS_FILE}`;
  const partial = `${list}.${process.pid}.tmp`;
  await writeFile(partial, `${JSON.stringify(outputs, null, 2)}\n`);
  await rename(partial, list);
}
