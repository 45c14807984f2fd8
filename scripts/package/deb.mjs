// `npm run package:deb`: bundles the TypeScript packager and runs it.
import { pathToFileURL } from 'node:url';
import { bundleNodeScript, ROOT } from '../build/node-script.mjs';

const outfile = await bundleNodeScript('scripts/package/build-deb.ts', 'dist/package/build-deb.mjs');
const { buildDeb } = await import(pathToFileURL(outfile).href);
await buildDeb(ROOT.replace(/\/$/, ''), (line) => console.log(line));
