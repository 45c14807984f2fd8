import type { Runtime } from 'webextension-polyfill';
import browser from 'webextension-polyfill';
import { LOGIN_PORT_NAME, langFromTag } from '../shared/index.js';
import { createBackground } from './create-background.js';
import { createDescriptorFetcher } from './descriptor-fetch.js';
import { serveLoginPort } from './login-port.js';
import { PIN_PAGE } from './sender.js';

/** The service worker (Chrome, Edge) or event page (Firefox): wires the browser's APIs to the parts. */

declare const HPKI_EXTENSION_FLAVOUR: 'development' | 'store';
const loopbackDevelopment = HPKI_EXTENSION_FLAVOUR === 'development';

const { router, login, sign, registry, intents } = createBackground({
  self: { id: browser.runtime.id, baseUrl: browser.runtime.getURL('') },
  extensionVersion: browser.runtime.getManifest().version,
  loopbackDevelopment,
  uiLang: () => langFromTag(browser.i18n.getUILanguage()),
  storage: browser.storage.local,
  scripting: browser.scripting,
  permissions: browser.permissions,
  windows: browser.windows,
  connector: browser.runtime,
  fetchDescriptor: createDescriptorFetcher((input, init) => fetch(input, init)),
  pinPageUrl: (session, purpose) =>
    browser.runtime.getURL(`${PIN_PAGE}?session=${encodeURIComponent(session)}&purpose=${purpose}`),
  newSessionId: () => crypto.randomUUID(),
});

// Listeners are added synchronously at start, as a service worker that wakes for an event requires.
browser.runtime.onMessage.addListener((message: unknown, sender: Runtime.MessageSender) => router(message, sender));
browser.runtime.onConnect.addListener((port: Runtime.Port) => {
  if (port.name === LOGIN_PORT_NAME) serveLoginPort(port, router);
  else port.disconnect();
});
browser.tabs.onRemoved.addListener((tabId) => {
  login.cancelTab(tabId);
  sign.cancelTab(tabId);
});
browser.permissions.onAdded.addListener((granted) => void intents.granted(granted.origins ?? []));
browser.permissions.onRemoved.addListener(() => void registry.sync().catch(() => undefined));
browser.runtime.onInstalled.addListener(() => void registry.sync().catch(() => undefined));
browser.runtime.onStartup.addListener(() => void registry.sync().catch(() => undefined));
