// Builds every part with esbuild: `node scripts/build.mjs [part…]` (default: all parts).
// Each part's build lives in its own module under scripts/build/.
import { buildCli } from './build/cli.mjs';

const parts = { cli: buildCli };
Object.assign(parts, (await import('./build/extension.mjs')).extensionParts);

const wanted = process.argv.slice(2);
for (const name of wanted.length > 0 ? wanted : Object.keys(parts)) {
  const build = parts[name];
  if (build === undefined) {
    console.error(`unknown part '${name}'; parts: ${Object.keys(parts).join(', ')}`);
    process.exit(2);
  }
  await build();
}
