import { z } from 'zod';
import bundledIds from '../../manifests/extension-ids.json' with { type: 'json' };
import chromeTemplate from '../../manifests/native-host/chrome.json' with { type: 'json' };
import firefoxTemplate from '../../manifests/native-host/firefox.json' with { type: 'json' };
import { NATIVE_HOST_NAME } from '../../protocol/messages.js';
import type { ManifestFlavor } from './locations.js';

/**
 * The native messaging host manifest (the JSON a browser reads to find and authorise the host),
 * built from the templates in `manifests/native-host/` and the extension ids of
 * `manifests/extension-ids.json`.
 */

/** A Chrome extension id: 32 letters a–p (the hex of a key hash, shifted). */
const chromeExtensionId = z.string().regex(/^[a-p]{32}$/);
/** A Firefox add-on id: email-like or a braced GUID. */
const firefoxExtensionId = z
  .string()
  .max(256)
  .regex(
    /^([A-Za-z0-9._+-]+@[A-Za-z0-9.-]+|\{[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\})$/,
  );

export const extensionIdsSchema = z
  .object({
    chrome: z
      .object({
        /** The development build's fixed id (manifest `key`, public): trusted only with `--development`. */
        development: z.union([z.literal(''), chromeExtensionId]),
        /** Store listings (Chrome Web Store, Edge Add-ons), filled in as they are published. */
        store: z.array(chromeExtensionId).max(16),
      })
      .passthrough(),
    firefox: z
      .object({
        /** The development build's gecko id: trusted only with `--development`. */
        development: firefoxExtensionId,
        /** The gecko id of the build signed by AMO (`manifests/extension/firefox.json`). */
        release: firefoxExtensionId,
      })
      .passthrough(),
  })
  .passthrough()
  .refine((ids) => ids.firefox.development !== ids.firefox.release, {
    message: 'the development and release Firefox ids must differ',
  })
  .refine((ids) => !ids.chrome.store.includes(ids.chrome.development), {
    message: 'the development Chrome id cannot be a store id',
  });
export type ExtensionIds = z.infer<typeof extensionIdsSchema>;

/**
 * Which builds a host manifest lets in: `release` (published builds only, what packages and default
 * installs write) or `development` (those and the development build, whose key is in the repository).
 */
export type Trust = 'release' | 'development';

/** The ids this build was made with (`manifests/extension-ids.json`). */
export function bundledExtensionIds(): ExtensionIds {
  return extensionIdsSchema.parse(bundledIds);
}

/** `chrome-extension://<id>/` for the store ids, then with `development` the development id; no duplicates. */
export function chromeAllowedOrigins(ids: ExtensionIds, trust: Trust): string[] {
  const all = [...ids.chrome.store, ...(trust === 'development' ? [ids.chrome.development] : [])];
  return [...new Set(all.filter((id) => id !== ''))].map(chromeOrigin);
}

/** The gecko ids a Firefox manifest allows: the release id, then with `development` the development id. */
export function firefoxAllowedExtensions(ids: ExtensionIds, trust: Trust): string[] {
  return trust === 'development' ? [ids.firefox.release, ids.firefox.development] : [ids.firefox.release];
}

export function chromeOrigin(id: string): string {
  return `chrome-extension://${id}/`;
}

export interface ChromeHostManifest {
  name: string;
  description: string;
  path: string;
  type: 'stdio';
  allowed_origins: string[];
}

export interface FirefoxHostManifest {
  name: string;
  description: string;
  path: string;
  type: 'stdio';
  allowed_extensions: string[];
}

export type HostManifest = ChromeHostManifest | FirefoxHostManifest;

export function buildHostManifest(
  flavor: ManifestFlavor,
  launcherPath: string,
  ids: ExtensionIds,
  trust: Trust,
): HostManifest {
  if (flavor === 'firefox') {
    return {
      ...firefoxTemplate,
      name: NATIVE_HOST_NAME,
      type: 'stdio',
      path: launcherPath,
      allowed_extensions: firefoxAllowedExtensions(ids, trust),
    };
  }
  return {
    ...chromeTemplate,
    name: NATIVE_HOST_NAME,
    type: 'stdio',
    path: launcherPath,
    allowed_origins: chromeAllowedOrigins(ids, trust),
  };
}

export function serializeHostManifest(manifest: HostManifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/** What a manifest file on disk says, for `doctor` and `uninstall-host`. Bounded: 64 KiB. */
export const hostManifestFileSchema = z
  .object({
    name: z.string().max(256),
    description: z.string().max(1024).optional(),
    path: z.string().min(1).max(4096),
    type: z.literal('stdio'),
    allowed_origins: z.array(z.string().max(256)).max(64).optional(),
    allowed_extensions: z.array(z.string().max(256)).max(64).optional(),
  })
  .passthrough();
export type HostManifestFile = z.infer<typeof hostManifestFileSchema>;

export const MAX_MANIFEST_BYTES = 64 * 1024;

/** Parses manifest text; undefined when it is not a host manifest at all. */
export function parseHostManifest(text: string): HostManifestFile | undefined {
  if (text.length > MAX_MANIFEST_BYTES) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = hostManifestFileSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}
