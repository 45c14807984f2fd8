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
        /** The development build's fixed id (manifest `key`); empty until the key exists. */
        development: z.union([z.literal(''), chromeExtensionId]),
        /** Store listings (Chrome Web Store, Edge Add-ons), filled in as they are published. */
        store: z.array(chromeExtensionId).max(16),
      })
      .passthrough(),
    firefox: firefoxExtensionId,
  })
  .passthrough();
export type ExtensionIds = z.infer<typeof extensionIdsSchema>;

/** The ids this build was made with (`manifests/extension-ids.json`). */
export function bundledExtensionIds(): ExtensionIds {
  return extensionIdsSchema.parse(bundledIds);
}

/** `chrome-extension://<id>/` for every known Chrome-family id, development first, no duplicates. */
export function chromeAllowedOrigins(ids: ExtensionIds): string[] {
  const all = [ids.chrome.development, ...ids.chrome.store].filter((id) => id !== '');
  return [...new Set(all)].map((id) => `chrome-extension://${id}/`);
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

export function buildHostManifest(flavor: ManifestFlavor, launcherPath: string, ids: ExtensionIds): HostManifest {
  if (flavor === 'firefox') {
    return {
      ...firefoxTemplate,
      name: NATIVE_HOST_NAME,
      type: 'stdio',
      path: launcherPath,
      allowed_extensions: [ids.firefox],
    };
  }
  return {
    ...chromeTemplate,
    name: NATIVE_HOST_NAME,
    type: 'stdio',
    path: launcherPath,
    allowed_origins: chromeAllowedOrigins(ids),
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
