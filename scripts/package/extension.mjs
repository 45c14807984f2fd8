// `npm run package:extension`: bundles the TypeScript packager and runs it on the store builds.
import { pathToFileURL } from 'node:url';
import { bundleNodeScript, ROOT } from '../build/node-script.mjs';

const outfile = await bundleNodeScript(
  'scripts/package/build-extension-zips.ts',
  'dist/package/build-extension-zips.mjs',
);
const { buildExtensionZips } = await import(pathToFileURL(outfile).href);
await buildExtensionZips(ROOT.replace(/\/$/, ''), (line) => console.log(line));
