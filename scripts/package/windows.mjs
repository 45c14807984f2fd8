// `npm run package:windows`: bundles the TypeScript packager and runs it.
import { pathToFileURL } from 'node:url';
import { bundleNodeScript, ROOT } from '../build/node-script.mjs';

const outfile = await bundleNodeScript('scripts/package/build-msi.ts', 'dist/package/build-msi.mjs');
const { buildMsi, signingKeyFromEnv } = await import(pathToFileURL(outfile).href);
await buildMsi(ROOT.replace(/\/$/, ''), (line) => console.log(line), { sign: signingKeyFromEnv(process.env) });
