// `npm run package`: bundles the TypeScript packager and runs it.
import { pathToFileURL } from 'node:url';
import { bundleNodeScript, ROOT } from '../build/node-script.mjs';

const outfile = await bundleNodeScript('scripts/package/build-release.ts', 'dist/package/build-release.mjs');
const { buildRelease } = await import(pathToFileURL(outfile).href);
await buildRelease(ROOT.replace(/\/$/, ''), (line) => console.log(line));
