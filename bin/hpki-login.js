#!/usr/bin/env node
// The CLI is built by `npm run build` into dist/cli/; this file only hands over to it.
import { main } from '../dist/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`hpki-login: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
  },
);
