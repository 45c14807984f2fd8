import * as z from 'zod/mini';
import { HpkiError } from '../../protocol/errors.js';
import { isLoopbackOrigin, isSecureOrigin, MAX_ORIGIN_LENGTH } from '../../protocol/origin.js';
import type { EnabledSite } from '../shared/index.js';
import { matchPatternForOrigin } from '../shared/index.js';
import type { FetchDescriptor } from './descriptor-fetch.js';

/**
 * The sites the user enabled: kept in `storage.local`, each backed by an optional host permission
 * the user granted and a content script registered for that site only.
 */

export interface StorageArea {
  get(keys: string): Promise<Record<string, unknown>>;
  set(items: Record<string, unknown>): Promise<void>;
}

export interface ContentScriptRegistration {
  id: string;
  matches: string[];
  js: string[];
  runAt: 'document_idle';
  allFrames: false;
  persistAcrossSessions: true;
}

export interface ScriptingApi {
  registerContentScripts(scripts: ContentScriptRegistration[]): Promise<void>;
  unregisterContentScripts(filter?: { ids?: string[] }): Promise<void>;
  getRegisteredContentScripts(filter?: { ids?: string[] }): Promise<Array<{ id: string }>>;
}

export interface PermissionsApi {
  contains(permissions: { origins?: string[] }): Promise<boolean>;
  remove(permissions: { origins?: string[] }): Promise<boolean>;
}

export interface SiteRegistry {
  list(): Promise<EnabledSite[]>;
  find(origin: string): Promise<EnabledSite | undefined>;
  /** Enables a site whose host permission the user has just granted. */
  enable(origin: string): Promise<EnabledSite[]>;
  disable(origin: string): Promise<EnabledSite[]>;
  /** Makes the registered content scripts match the stored sites and granted permissions. */
  sync(): Promise<void>;
}

export const SITES_KEY = 'enabledSites';
export const CONTENT_SCRIPT_FILE = 'content.js';
const SCRIPT_ID_PREFIX = 'site:';
const MAX_SITES = 200;

const storedSitesSchema = z
  .array(
    z.strictObject({
      origin: z.string().check(z.maxLength(MAX_ORIGIN_LENGTH)),
      name: z.string().check(z.maxLength(128)),
    }),
  )
  .check(z.maxLength(MAX_SITES));

export function scriptIdForOrigin(origin: string): string {
  return `${SCRIPT_ID_PREFIX}${origin}`;
}

function registrationFor(origin: string): ContentScriptRegistration {
  return {
    id: scriptIdForOrigin(origin),
    matches: [matchPatternForOrigin(origin)],
    js: [CONTENT_SCRIPT_FILE],
    runAt: 'document_idle',
    allFrames: false,
    persistAcrossSessions: true,
  };
}

export interface SiteRegistryDeps {
  storage: StorageArea;
  scripting: ScriptingApi;
  permissions: PermissionsApi;
  fetchDescriptor: FetchDescriptor;
  loopbackDevelopment: boolean;
}

export function createSiteRegistry(deps: SiteRegistryDeps): SiteRegistry {
  const { storage, scripting, permissions } = deps;

  async function read(): Promise<EnabledSite[]> {
    const parsed = storedSitesSchema.safeParse((await storage.get(SITES_KEY))[SITES_KEY] ?? []);
    // A damaged list is dropped rather than trusted; the user re-enables sites.
    return parsed.success ? parsed.data.filter((s) => isSecureOrigin(s.origin)) : [];
  }

  async function write(sites: EnabledSite[]): Promise<void> {
    await storage.set({ [SITES_KEY]: sites });
  }

  /** Loopback sites in the development build are served by the manifest's static content script. */
  function needsRegistration(origin: string): boolean {
    return !(deps.loopbackDevelopment && isLoopbackOrigin(origin));
  }

  async function granted(origin: string): Promise<boolean> {
    return permissions.contains({ origins: [matchPatternForOrigin(origin)] });
  }

  async function register(origin: string): Promise<void> {
    const id = scriptIdForOrigin(origin);
    const existing = await scripting.getRegisteredContentScripts({ ids: [id] });
    if (existing.length === 0) await scripting.registerContentScripts([registrationFor(origin)]);
  }

  return {
    list: read,

    async find(origin) {
      return (await read()).find((s) => s.origin === origin);
    },

    async enable(origin) {
      if (!isSecureOrigin(origin))
        throw new HpkiError('ERR_HPKI_INSECURE_ORIGIN', 'only https:// sites can be enabled');
      if (isLoopbackOrigin(origin) && !deps.loopbackDevelopment) {
        throw new HpkiError('ERR_HPKI_SITE_NOT_ALLOWED', 'loopback development is off in this build');
      }
      if (!(await granted(origin)))
        throw new HpkiError('ERR_HPKI_SITE_NOT_ALLOWED', 'the browser has not granted access to this site');
      const sites = await read();
      if (!sites.some((s) => s.origin === origin)) {
        if (sites.length >= MAX_SITES) throw new HpkiError('ERR_HPKI_INVALID_ARGUMENT', `at most ${MAX_SITES} sites`);
        const descriptor = await deps.fetchDescriptor(origin);
        sites.push({ origin, name: descriptor?.name ?? new URL(origin).host });
        await write(sites);
      }
      if (needsRegistration(origin)) await register(origin);
      return sites;
    },

    async disable(origin) {
      const sites = (await read()).filter((s) => s.origin !== origin);
      await write(sites);
      const id = scriptIdForOrigin(origin);
      if ((await scripting.getRegisteredContentScripts({ ids: [id] })).length > 0) {
        await scripting.unregisterContentScripts({ ids: [id] });
      }
      const pattern = matchPatternForOrigin(origin);
      // Another enabled port of the same host keeps the shared host permission.
      if (needsRegistration(origin) && !sites.some((s) => matchPatternForOrigin(s.origin) === pattern)) {
        await permissions.remove({ origins: [pattern] });
      }
      return sites;
    },

    async sync() {
      const sites = await read();
      const wanted = new Set<string>();
      for (const site of sites) {
        if (needsRegistration(site.origin) && (await granted(site.origin))) wanted.add(scriptIdForOrigin(site.origin));
      }
      const registered = await scripting.getRegisteredContentScripts();
      const stale = registered.map((s) => s.id).filter((id) => id.startsWith(SCRIPT_ID_PREFIX) && !wanted.has(id));
      if (stale.length > 0) await scripting.unregisterContentScripts({ ids: stale });
      const present = new Set(registered.map((s) => s.id));
      const missing = sites.filter(
        (s) => wanted.has(scriptIdForOrigin(s.origin)) && !present.has(scriptIdForOrigin(s.origin)),
      );
      if (missing.length > 0) await scripting.registerContentScripts(missing.map((s) => registrationFor(s.origin)));
    },
  };
}
