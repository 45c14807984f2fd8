import { parseArgs } from 'node:util';
import { writeHello } from '../../native-host/host/hello.js';
import type { CardPresence } from '../../native-host/presence/card-presence.js';
import type { Backend } from '../../protocol/messages.js';
import { type BackendValues, backendOf, loadBackend } from './card-backends.js';
import { parseArgsUsageError, UsageError, usageErrorLineOf } from './usage-error.js';
import { cliVersion } from './version.js';

/**
 * `hpki-login host [--backend pcsc|pkcs11|mock] [--card FILE] [--module LIB] [--cache-dir DIR]`: the
 * native messaging host on stdio. Browsers append their own arguments (the caller's origin or manifest
 * path, and on Windows --parent-window), which are accepted and ignored. The CA certificates of the
 * card are cached under the user's cache directory (`--cache-dir`, else `HPKI_LOGIN_CACHE_DIR`, else the
 * platform's; see native-host/cache/cache-dir.ts).
 */

async function loadPresence(name: Backend, card: string | undefined): Promise<CardPresence | undefined> {
  switch (name) {
    case 'pcsc':
      return (await import('../../native-host/backends/pcsc/presence.js')).createPcscPresence();
    case 'mock':
      return (await import('../../native-host/presence/file-presence.js')).createFilePresence(card ?? '');
    case 'pkcs11':
      // A PKCS#11 module has its own slot events, not used yet: find-cards does not wait there.
      return undefined;
  }
}

export async function run(args: string[]): Promise<number> {
  let values: BackendValues & { backend?: string | undefined };
  try {
    ({ values } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        backend: { type: 'string' },
        card: { type: 'string' },
        module: { type: 'string' },
        'cache-dir': { type: 'string' },
        'parent-window': { type: 'string' },
      },
    }));
  } catch (err) {
    process.stderr.write(usageErrorLineOf('host', parseArgsUsageError(err)));
    return 2;
  }
  let backend: Backend;
  try {
    backend = backendOf(values);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(usageErrorLineOf('host', err));
    return 2;
  }
  writeHello(process.stdout, backend, cliVersion());
  const { runHost } = await import('../../native-host/host/run-host.js');
  const code = await runHost({
    helloSent: true,
    input: process.stdin,
    output: process.stdout,
    backendName: backend,
    createBackend: () => loadBackend(backend, values),
    createPresence: () => loadPresence(backend, values.card),
    version: cliVersion(),
    log: (line) => process.stderr.write(`hpki-login host: ${line}\n`),
  });
  // A native library may keep threads of its own alive; the host's life ends with its port.
  process.exit(code);
}
