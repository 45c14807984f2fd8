import type { CardBackend } from '../../native-host/card/card-token.js';
import type { Backend } from '../../protocol/messages.js';
import { UsageError } from './usage-error.js';

/**
 * How a command opens the card: `host` and `sign` load one backend by name, lazily, so that the
 * others' native libraries stay closed. The CA certificates of the card are cached under the
 * user's cache directory (`--cache-dir`, else `HPKI_LOGIN_CACHE_DIR`, else the platform's).
 */

export const BACKENDS: readonly Backend[] = ['pcsc', 'pkcs11', 'mock'];

export interface BackendValues {
  card?: string | undefined;
  module?: string | undefined;
  'cache-dir'?: string | undefined;
}

async function caCache(values: BackendValues) {
  const { createCaCertificateCache } = await import('../../native-host/cache/ca-certificate-cache.js');
  const { defaultCacheDir } = await import('../../native-host/cache/cache-dir.js');
  return createCaCertificateCache({ dir: values['cache-dir'] ?? defaultCacheDir() });
}

export async function loadBackend(name: Backend, values: BackendValues): Promise<CardBackend> {
  switch (name) {
    case 'pcsc':
      return (await import('../../native-host/backends/pcsc/backend.js')).createPcscBackend({
        caCache: await caCache(values),
      });
    case 'mock':
      return (await import('../../native-host/backends/memory-backend.js')).createMemoryBackend({
        cardPath: values.card ?? '',
        caCache: await caCache(values),
      });
    case 'pkcs11':
      return (await import('../../native-host/pkcs11/index.js')).createPkcs11Backend({ module: values.module ?? '' });
  }
}

/** The backend a command line names (default pcsc), with what it needs; a UsageError otherwise. */
export function backendOf(values: BackendValues & { backend?: string | undefined }): Backend {
  const backend = (values.backend ?? 'pcsc') as Backend;
  if (!BACKENDS.includes(backend)) {
    const list = BACKENDS.join(', ');
    throw new UsageError(`--backend must be one of ${list}`, `--backend は ${list} のいずれかです`);
  }
  if (backend === 'mock' && values.card === undefined)
    throw new UsageError('--backend mock needs --card FILE', '--backend mock には --card FILE が必要です');
  if (backend === 'pkcs11' && values.module === undefined)
    throw new UsageError('--backend pkcs11 needs --module LIB', '--backend pkcs11 には --module LIB が必要です');
  return backend;
}
