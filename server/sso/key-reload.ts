import { unwatchFile, watchFile } from 'node:fs';
import type Provider from 'oidc-provider';
import { type PrivateJwks, readKeysFile } from './keys.js';

/** The keys that sign now and the provider built with them; both are replaced when the keys file changes. */
export interface CurrentProvider {
  jwks: PrivateJwks;
  provider: Provider;
  callback: ReturnType<Provider['callback']>;
}

export function currentProvider(jwks: PrivateJwks, build: (keys: PrivateJwks) => Provider): CurrentProvider {
  const provider = build(jwks);
  return { jwks, provider, callback: provider.callback() };
}

const kidsOf = (jwks: PrivateJwks): string => jwks.keys.map((k) => k.kid).join();

/**
 * Rereads the keys file when it changes (after `rotate-keys`) and rebuilds the provider when its
 * kids differ. Returns what stops the watch; nothing is watched without a file.
 */
export function watchKeysFile(
  keysPath: string | undefined,
  current: CurrentProvider,
  build: (keys: PrivateJwks) => Provider,
  onNotice: (line: string) => void,
): () => void {
  if (keysPath === undefined) return () => {};
  const reload = (): void => {
    readKeysFile(keysPath).then(
      (next) => {
        if (kidsOf(next) === kidsOf(current.jwks)) return;
        current.jwks = next;
        current.provider = build(next);
        current.callback = current.provider.callback();
        onNotice(`keys reloaded from ${keysPath}: ${next.keys[0]!.kid} signs`);
      },
      (err: unknown) => onNotice(`keys not reloaded: ${err instanceof Error ? err.message : String(err)}`),
    );
  };
  watchFile(keysPath, { interval: 1_000 }, reload);
  return () => unwatchFile(keysPath, reload);
}
