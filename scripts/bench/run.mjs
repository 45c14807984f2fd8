// Runs a TypeScript benchmark: `node scripts/bench/run.mjs NAME [args…]` bundles scripts/bench/NAME.ts
// with esbuild (dependencies stay external) into dist/bench/ and runs it in a fresh Node process.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const [name, ...args] = process.argv.slice(2);
if (!name || !/^[a-z0-9-]+$/.test(name)) {
  console.error('usage: node scripts/bench/run.mjs NAME [args…]');
  process.exit(2);
}
const root = fileURLToPath(new URL('../../', import.meta.url));
const outfile = `${root}dist/bench/${name}.mjs`;
await build({
  absWorkingDir: root,
  entryPoints: [`scripts/bench/${name}.ts`],
  outfile,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
});
const result = spawnSync(process.execPath, [outfile, ...args], { stdio: 'inherit', cwd: root });
process.exit(result.status ?? 1);
