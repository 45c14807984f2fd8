// `npm run package:macos`: bundles the TypeScript packager and runs it.
import { pathToFileURL } from 'node:url';
import { bundleNodeScript, ROOT } from '../build/node-script.mjs';

const outfile = await bundleNodeScript('scripts/package/build-macos.ts', 'dist/package/build-macos.mjs');
const { buildMacos } = await import(pathToFileURL(outfile).href);
await buildMacos(ROOT.replace(/\/$/, ''), (line) => console.log(line));
