// Runs a TypeScript benchmark: `node scripts/bench/run.mjs NAME [args…]` bundles scripts/bench/NAME.ts
// into dist/bench/ and runs it in a fresh Node process.
import { spawnSync } from 'node:child_process';
import { bundleNodeScript, ROOT } from '../build/node-script.mjs';

const [name, ...args] = process.argv.slice(2);
if (!name || !/^[a-z0-9-]+$/.test(name)) {
  console.error('usage: node scripts/bench/run.mjs NAME [args…]');
  process.exit(2);
}
const outfile = await bundleNodeScript(`scripts/bench/${name}.ts`, `dist/bench/${name}.mjs`);
const result = spawnSync(process.execPath, [outfile, ...args], { stdio: 'inherit', cwd: ROOT });
process.exit(result.status ?? 1);
