import { z } from 'zod';
import { REPO_URL } from './repo-root.js';

/** scripts/build/extension.mjs is plain JavaScript: its export is checked before it is called. */
const buildModule = z.object({
  composeManifest: z.custom<(args: { browser: string; flavour: string; version: string }) => unknown>(
    (v) => typeof v === 'function',
  ),
});

/** The extension manifest exactly as the build composes it from manifests/extension/, version 1.2.3. */
export async function composeManifest(
  browser: 'chrome' | 'firefox',
  flavour: 'development' | 'store',
): Promise<unknown> {
  const mod = buildModule.parse(await import(new URL('scripts/build/extension.mjs', REPO_URL).href));
  return mod.composeManifest({ browser, flavour, version: '1.2.3' });
}
