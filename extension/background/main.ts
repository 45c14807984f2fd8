import type { Runtime } from 'webextension-polyfill';
import browser from 'webextension-polyfill';
import { langFromTag } from '../shared/i18n.js';
import { createDescriptorFetcher } from './descriptor-fetch.js';
import { createLoginService } from './login-flow.js';
import { createPinPrompts } from './pin-prompts.js';
import { createRouter } from './router.js';
import { PIN_PAGE } from './sender.js';
import { createSiteAccess } from './site-access.js';
import { createSiteIntents } from './site-intents.js';
import { createSiteRegistry } from './site-registry.js';

/** The service worker (Chrome, Edge) or event page (Firefox): wires the browser's APIs to the parts. */

declare const HPKI_EXTENSION_FLAVOUR: 'development' | 'store';
const loopbackDevelopment = HPKI_EXTENSION_FLAVOUR === 'development';

const fetchDescriptor = createDescriptorFetcher((input, init) => fetch(input, init));
const registry = createSiteRegistry({
  storage: browser.storage.local,
  scripting: browser.scripting,
  permissions: browser.permissions,
  fetchDescriptor,
  loopbackDevelopment,
});
const siteAccess = createSiteAccess({ registry, permissions: browser.permissions, fetchDescriptor, loopbackDevelopment });
const prompts = createPinPrompts({
  windows: browser.windows,
  pageUrl: (session) => browser.runtime.getURL(`${PIN_PAGE}?session=${encodeURIComponent(session)}`),
  newSessionId: () => crypto.randomUUID(),
});
const login = createLoginService({ connector: browser.runtime, siteAccess, prompts });
const intents = createSiteIntents(registry);
const router = createRouter({
  self: { id: browser.runtime.id, baseUrl: browser.runtime.getURL('') },
  extensionVersion: browser.runtime.getManifest().version,
  loopbackDevelopment,
  uiLang: () => langFromTag(browser.i18n.getUILanguage()),
  connector: browser.runtime,
  login,
  prompts,
  registry,
  siteAccess,
  intents,
});

// Listeners are added synchronously at start, as a service worker that wakes for an event requires.
browser.runtime.onMessage.addListener((message: unknown, sender: Runtime.MessageSender) => router(message, sender));
browser.tabs.onRemoved.addListener((tabId) => login.cancelTab(tabId));
browser.permissions.onAdded.addListener((granted) => void intents.granted(granted.origins ?? []));
browser.permissions.onRemoved.addListener(() => void registry.sync().catch(() => undefined));
browser.runtime.onInstalled.addListener(() => void registry.sync().catch(() => undefined));
browser.runtime.onStartup.addListener(() => void registry.sync().catch(() => undefined));
