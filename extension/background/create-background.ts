import type { FlowPurpose, Lang } from '../shared/index.js';
import type { FetchDescriptor } from './descriptor-fetch.js';
import { createFlowRunner } from './flow-runner.js';
import { createLoginService } from './login-flow.js';
import type { NativeConnector } from './native-host.js';
import { createPinPrompts, type WindowsApi } from './pin-prompts.js';
import { createRouter } from './router.js';
import type { ExtensionIdentity } from './sender.js';
import { createSignService } from './sign-flow.js';
import { createSiteAccess } from './site-access.js';
import { createSiteIntents } from './site-intents.js';
import { createSiteRegistry, type PermissionsApi, type ScriptingApi, type StorageArea } from './site-registry.js';

/**
 * The background's parts, wired together: what `main.ts` runs over the browser's APIs and what the
 * tests run over fakes of them, so both exercise the same wiring.
 */

export interface BackgroundDeps {
  self: ExtensionIdentity;
  extensionVersion: string;
  loopbackDevelopment: boolean;
  uiLang: () => Lang;
  storage: StorageArea;
  scripting: ScriptingApi;
  permissions: PermissionsApi;
  windows: WindowsApi;
  connector: NativeConnector;
  fetchDescriptor: FetchDescriptor;
  /** The PIN window's URL for a session. */
  pinPageUrl(session: string, purpose: FlowPurpose): string;
  newSessionId(): string;
}

export function createBackground(deps: BackgroundDeps) {
  const { loopbackDevelopment, fetchDescriptor, permissions } = deps;
  const registry = createSiteRegistry({
    storage: deps.storage,
    scripting: deps.scripting,
    permissions,
    fetchDescriptor,
    loopbackDevelopment,
  });
  const siteAccess = createSiteAccess({ registry, permissions, fetchDescriptor, loopbackDevelopment });
  const prompts = createPinPrompts({
    windows: deps.windows,
    pageUrl: deps.pinPageUrl,
    newSessionId: deps.newSessionId,
  });
  // One runner for the login and the signature: one card flow at a time in the browser, one per tab.
  const runner = createFlowRunner({ connector: deps.connector, siteAccess, prompts });
  const login = createLoginService({ connector: deps.connector, siteAccess, prompts, runner });
  const sign = createSignService(runner);
  const intents = createSiteIntents(registry);
  const router = createRouter({
    self: deps.self,
    extensionVersion: deps.extensionVersion,
    loopbackDevelopment,
    uiLang: deps.uiLang,
    connector: deps.connector,
    login,
    sign,
    prompts,
    registry,
    siteAccess,
    intents,
  });
  return { router, login, sign, prompts, registry, siteAccess, intents };
}

export type Background = ReturnType<typeof createBackground>;
