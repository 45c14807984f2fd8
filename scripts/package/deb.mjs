// `npm run package:deb`: bundles the TypeScript packager with esbuild (like the CLI build) and runs it.
import { mkdir } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const project = fileURLToPath(new URL('../../', import.meta.url));
const outfile = `${project}dist/package/build-deb.mjs`;
await mkdir(`${project}dist/package`, { recursive: true });
await build({
  absWorkingDir: project,
  entryPoints: ['scripts/package/build-deb.ts'],
  outfile,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
});
const { buildDeb } = await import(pathToFileURL(outfile).href);
await buildDeb(project.replace(/\/$/, ''), (line) => console.log(line));
