// `npm run package:npm`: bundles the TypeScript packager and runs it.
import { pathToFileURL } from 'node:url';
import { bundleNodeScript, ROOT } from '../build/node-script.mjs';

const outfile = await bundleNodeScript('scripts/package/build-npm.ts', 'dist/package/build-npm.mjs');
const { buildNpmPackage } = await import(pathToFileURL(outfile).href);
await buildNpmPackage(ROOT.replace(/\/$/, ''), (line) => console.log(line));
