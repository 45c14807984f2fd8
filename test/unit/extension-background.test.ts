import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { bytesToHex, encodeBase64 } from '../../protocol/base64.js';
import type { WireError } from '../../protocol/errors.js';
import type { Descriptor } from '../../protocol/page-messages.js';
import { sha256Bytes } from '../../protocol/signed-data.js';
import { createLoginService } from '../../extension/background/login-flow.js';
import type { NativeConnector, NativePort } from '../../extension/background/native-host.js';
import { createPinPrompts } from '../../extension/background/pin-prompts.js';
import type { WindowsApi } from '../../extension/background/pin-prompts.js';
import { createRouter } from '../../extension/background/router.js';
import type { MessageSenderInfo } from '../../extension/background/sender.js';
import { createSiteAccess } from '../../extension/background/site-access.js';
import { createSiteIntents } from '../../extension/background/site-intents.js';
import type { ContentScriptRegistration, ScriptingApi } from '../../extension/background/site-registry.js';
import { SITES_KEY, createSiteRegistry } from '../../extension/background/site-registry.js';
import { CATALOGS } from '../../extension/shared/catalogs.js';
import type { RuntimeReply } from '../../extension/shared/runtime-messages.js';
import { readSharedPemDer } from '../helpers/shared.js';

// The background as main.ts wires it, with in-process fakes of the browser APIs and of the native
// host at the native-messaging boundary (real host and browser are exercised by the e2e suite).

const EXT_ID = 'fcmabpbdamoojefpfgeogfoggebghnfh';
const BASE = `chrome-extension://${EXT_ID}/`;
const SITE = 'https://portal.example.jp';
const CHALLENGE = 'A'.repeat(43);
const EE_DER = readSharedPemDer('test-vectors', 'ee.pem');
const CA_DER = readSharedPemDer('test-vectors', 'authca.pem');
const TOKEN = {
  format: 'hpki-login:1',
  algorithm: 'RS256',
  certificate: encodeBase64(EE_DER),
  intermediates: [encodeBase64(CA_DER)],
  signature: encodeBase64(new Uint8Array(256).fill(7)),
};

type HostAnswer = { result: unknown } | { error: WireError } | 'silent';
type HostScript = Partial<Record<'status' | 'get-certificate' | 'authenticate', (params: Record<string, unknown> | undefined) => HostAnswer>>;

interface FakeHostOptions {
  hello?: unknown;
  /** Never says hello (a hung host). */
  mute?: boolean;
  /** The browser cannot start it (Chrome: port closes at once with lastError). */
  missing?: boolean;
  script?: HostScript;
}

interface HostRecord {
  connects: number;
  requests: Array<{ id: unknown; command: string; params?: Record<string, unknown> }>;
  disconnects: number;
}

function fakeConnector(options: FakeHostOptions): { connector: NativeConnector; record: HostRecord } {
  const record: HostRecord = { connects: 0, requests: [], disconnects: 0 };
  let lastError: { message: string } | null = null;
  const connector: NativeConnector = {
    get lastError() {
      return lastError;
    },
    connectNative(application) {
      expect(application).toBe('jp.hpkilogin.host');
      record.connects++;
      const messageListeners: Array<(m: unknown) => void> = [];
      const disconnectListeners: Array<(p: { error?: { message?: string } | null }) => void> = [];
      let open = true;
      const emit = (m: unknown): void => {
        setTimeout(() => open && messageListeners.forEach((l) => l(JSON.parse(JSON.stringify(m)))), 0);
      };
      const port: NativePort = {
        postMessage(message) {
          if (!open) throw new Error('port closed');
          const request = message as { id: unknown; command: 'status' | 'get-certificate' | 'authenticate'; params?: Record<string, unknown> };
          record.requests.push(request);
          const answer = options.script?.[request.command]?.(request.params) ?? { error: { code: 'ERR_HPKI_INTERNAL', message: 'unscripted' } };
          if (answer !== 'silent') emit({ id: request.id, ...answer });
        },
        disconnect() {
          open = false;
          record.disconnects++;
        },
        onMessage: { addListener: (l) => void messageListeners.push(l) },
        onDisconnect: { addListener: (l) => void disconnectListeners.push(l) },
      };
      if (options.missing) {
        setTimeout(() => {
          lastError = { message: 'Specified native messaging host not found.' };
          open = false;
          disconnectListeners.forEach((l) => l({}));
        }, 0);
      } else if (!options.mute) {
        emit(options.hello ?? { hello: { protocol: 1, version: '0.1.0', backend: 'mock' } });
      }
      return port;
    },
  };
  return { connector, record };
}

function certificateAnswer(retries = 15): HostAnswer {
  return {
    result: {
      reader: 'Virtual PCD 00 00',
      cardType: 'hpki',
      certificate: encodeBase64(EE_DER),
      intermediates: [encodeBase64(CA_DER)],
      holder: { name: 'Nichii Taro', nameJa: '日医　太郎', role: 'Medical Doctor' },
      pinRetriesLeft: retries,
      pinMaxRetries: 15,
    },
  };
}

/** A card whose PIN is 1234 and whose counter goes down on each wrong PIN, like the real one. */
function cardScript(startRetries = 15): HostScript {
  let retries = startRetries;
  return {
    status: () => ({ result: { readers: [{ name: 'Virtual PCD 00 00', cardPresent: true, cardType: 'hpki' }] } }),
    'get-certificate': () => certificateAnswer(retries),
    authenticate: (params) => {
      if (retries === 0) return { error: { code: 'ERR_HPKI_PIN_BLOCKED', message: 'card blocked' } };
      if (params?.['pin'] === '1234') {
        retries = 15;
        return { result: { token: TOKEN } };
      }
      retries--;
      return retries === 0
        ? { error: { code: 'ERR_HPKI_PIN_BLOCKED', message: 'card blocked' } }
        : { error: { code: 'ERR_HPKI_PIN_INCORRECT', message: 'wrong PIN', retriesLeft: retries } };
    },
  };
}

interface FakeWindows extends WindowsApi {
  opened: Array<{ id: number; url: string }>;
  removed: number[];
  /** The user closes the window with its close box. */
  userCloses(id: number): void;
}

function fakeWindows(): FakeWindows {
  const listeners: Array<(id: number) => void> = [];
  let nextId = 100;
  const w: FakeWindows = {
    opened: [],
    removed: [],
    async create(data) {
      expect(data.type).toBe('popup');
      const id = nextId++;
      w.opened.push({ id, url: data.url });
      return { id };
    },
    async remove(id) {
      w.removed.push(id);
      listeners.forEach((l) => l(id));
    },
    onRemoved: { addListener: (l) => void listeners.push(l) },
    userCloses(id) {
      listeners.forEach((l) => l(id));
    },
  };
  return w;
}

interface HarnessOptions {
  host?: FakeHostOptions;
  loopbackDevelopment?: boolean;
  enabled?: string[];
  granted?: string[];
  descriptors?: Record<string, Descriptor>;
  uiLang?: 'ja' | 'en';
}

function harness(options: HarnessOptions = {}) {
  const { connector, record } = fakeConnector(options.host ?? { script: cardScript() });
  const store: Record<string, unknown> = {
    [SITES_KEY]: (options.enabled ?? [SITE]).map((origin) => ({ origin, name: 'Stored name' })),
  };
  const granted = new Set(options.granted ?? ['https://portal.example.jp/*']);
  const registered: ContentScriptRegistration[] = [];
  const scripting: ScriptingApi = {
    async registerContentScripts(scripts) {
      registered.push(...scripts);
    },
    async unregisterContentScripts(filter) {
      for (const id of filter?.ids ?? registered.map((s) => s.id)) registered.splice(registered.findIndex((s) => s.id === id), 1);
    },
    async getRegisteredContentScripts(filter) {
      return registered.filter((s) => filter?.ids === undefined || filter.ids.includes(s.id));
    },
  };
  const permissions = {
    async contains(p: { origins?: string[] }) {
      return (p.origins ?? []).every((o) => granted.has(o));
    },
    async remove(p: { origins?: string[] }) {
      (p.origins ?? []).forEach((o) => granted.delete(o));
      return true;
    },
  };
  const descriptorCalls: string[] = [];
  const fetchDescriptor = async (origin: string) => {
    descriptorCalls.push(origin);
    return options.descriptors?.[origin];
  };
  const loopbackDevelopment = options.loopbackDevelopment ?? true;
  const registry = createSiteRegistry({
    storage: {
      async get(key) {
        return { [key]: store[key] };
      },
      async set(items) {
        Object.assign(store, items);
      },
    },
    scripting,
    permissions,
    fetchDescriptor,
    loopbackDevelopment,
  });
  const siteAccess = createSiteAccess({ registry, permissions, fetchDescriptor, loopbackDevelopment });
  const windows = fakeWindows();
  let session = 0;
  const prompts = createPinPrompts({
    windows,
    pageUrl: (s) => `${BASE}pin.html?session=${s}`,
    newSessionId: () => `00000000-0000-4000-8000-${String(++session).padStart(12, '0')}`,
  });
  const login = createLoginService({ connector, siteAccess, prompts });
  const router = createRouter({
    self: { id: EXT_ID, baseUrl: BASE },
    extensionVersion: '0.1.0',
    loopbackDevelopment,
    uiLang: () => options.uiLang ?? 'ja',
    connector,
    login,
    prompts,
    registry,
    siteAccess,
    intents: createSiteIntents(registry),
  });

  const fromPage = (url: string, tabId = 1, extra: Partial<MessageSenderInfo> = {}): MessageSenderInfo => ({
    id: EXT_ID,
    url,
    tab: { id: tabId },
    frameId: 0,
    ...extra,
  });
  const pinSender = (url: string): MessageSenderInfo => ({ id: EXT_ID, url, tab: { id: 99 }, frameId: 0 });
  const sessionOf = (url: string): string => new URL(url).searchParams.get('session') ?? '';

  return {
    router,
    record,
    windows,
    login,
    registered,
    descriptorCalls,
    fromPage,
    /** Waits for the n-th PIN window and returns a driver for it. */
    async pinWindow(n = 0) {
      await vi.waitFor(() => expect(windows.opened.length).toBeGreaterThan(n));
      const opened = windows.opened[n]!;
      const sender = pinSender(opened.url);
      const session = sessionOf(opened.url);
      return {
        id: opened.id,
        open: () => router({ kind: 'pin-open', session }, sender),
        submit: (pin: string) => router({ kind: 'pin-submit', session, pin }, sender),
        cancel: () => router({ kind: 'pin-cancel', session }, sender),
      };
    },
  };
}

function expectError(reply: RuntimeReply<unknown>, code: string): WireError {
  expect(reply).toMatchObject({ ok: false, error: { code } });
  if (reply.ok) throw new Error('unreachable');
  return reply.error;
}

const authenticate = { kind: 'page-authenticate', challenge: CHALLENGE } as const;

describe('background: a login from end to end', () => {
  it('asks for the certificate, opens the PIN window, keeps it on a wrong PIN, and returns the token', async () => {
    const h = harness();
    const pending = h.router(authenticate, h.fromPage(`${SITE}/login?next=%2F`));
    const win = await h.pinWindow();

    expect(await win.open()).toEqual({
      ok: true,
      value: {
        siteName: 'Stored name',
        origin: SITE,
        holder: { name: 'Nichii Taro', nameJa: '日医　太郎', role: 'Medical Doctor' },
        issuerName: 'HPKI-01-MockAuthCA-forAuthentication-forIndividual',
        notAfter: expect.stringMatching(/^2031-11-20T/),
        retriesLeft: 15,
        maxRetries: 15,
        roles: [],
      },
    });

    expect(await win.submit('9999')).toEqual({ ok: true, value: { outcome: 'retry', retriesLeft: 14 } });
    expect(h.windows.removed).toEqual([]);
    expect(await win.open()).toMatchObject({ ok: true, value: { retriesLeft: 14 } });

    expect(await win.submit('1234')).toEqual({ ok: true, value: { outcome: 'done' } });
    expect(await pending).toEqual({ ok: true, value: { token: TOKEN } });
    expect(h.windows.removed).toEqual([win.id]);

    const auths = h.record.requests.filter((r) => r.command === 'authenticate');
    expect(auths).toHaveLength(2);
    expect(auths[1]!.params).toEqual({
      origin: SITE,
      challenge: CHALLENGE,
      pin: '1234',
      certificateSha256: bytesToHex(sha256Bytes(EE_DER)),
    });
    // One native port for the whole login, closed at the end.
    expect(h.record.connects).toBe(1);
    expect(h.record.disconnects).toBe(1);
  });

  it('shows the blocked card in the window, leaves it open, and fails with ERR_HPKI_PIN_BLOCKED', async () => {
    const h = harness({ host: { script: cardScript(1) } });
    const pending = h.router(authenticate, h.fromPage(`${SITE}/`));
    const win = await h.pinWindow();
    expect(await win.submit('0000')).toEqual({ ok: true, value: { outcome: 'blocked' } });
    expectError(await pending, 'ERR_HPKI_PIN_BLOCKED');
    expect(h.windows.removed).toEqual([]);
    expect(await win.open()).toMatchObject({ ok: true, value: { retriesLeft: 0 } });
  });

  it('opens the window for an already locked card without asking the host to verify anything', async () => {
    const h = harness({ host: { script: cardScript(0) } });
    const reply = await h.router(authenticate, h.fromPage(`${SITE}/`));
    expectError(reply, 'ERR_HPKI_PIN_BLOCKED');
    expect(h.windows.opened).toHaveLength(1);
    expect(h.record.requests.map((r) => r.command)).toEqual(['get-certificate']);
  });

  it('closing the PIN window cancels the login', async () => {
    const h = harness();
    const pending = h.router(authenticate, h.fromPage(`${SITE}/`));
    const win = await h.pinWindow();
    h.windows.userCloses(win.id);
    expectError(await pending, 'ERR_HPKI_USER_CANCELLED');
    expect(h.record.requests.map((r) => r.command)).toEqual(['get-certificate']);
  });

  it('the cancel button cancels the login and closes the window', async () => {
    const h = harness();
    const pending = h.router(authenticate, h.fromPage(`${SITE}/`));
    const win = await h.pinWindow();
    expect(await win.cancel()).toEqual({ ok: true, value: null });
    expectError(await pending, 'ERR_HPKI_USER_CANCELLED');
    expect(h.windows.removed).toEqual([win.id]);
  });

  it('closing the requesting tab cancels its login', async () => {
    const h = harness();
    const pending = h.router(authenticate, h.fromPage(`${SITE}/`, 7));
    await h.pinWindow();
    h.login.cancelTab(7);
    expectError(await pending, 'ERR_HPKI_USER_CANCELLED');
  });

  it('a card error after the PIN ends the login with that code', async () => {
    const h = harness({
      host: {
        script: {
          'get-certificate': () => certificateAnswer(),
          authenticate: () => ({ error: { code: 'ERR_HPKI_CARD_CHANGED', message: 'certificate hash differs' } }),
        },
      },
    });
    const pending = h.router(authenticate, h.fromPage(`${SITE}/`));
    const win = await h.pinWindow();
    expect(await win.submit('1234')).toMatchObject({ ok: true, value: { outcome: 'failed', error: { code: 'ERR_HPKI_CARD_CHANGED' } } });
    expectError(await pending, 'ERR_HPKI_CARD_CHANGED');
  });

  it('refuses a card that is not an HPKI card before opening any window', async () => {
    const answer = certificateAnswer() as { result: Record<string, unknown> };
    const h = harness({ host: { script: { 'get-certificate': () => ({ result: { ...answer.result, cardType: 'jpki' } }) } } });
    expectError(await h.router(authenticate, h.fromPage(`${SITE}/`)), 'ERR_HPKI_UNSUPPORTED_CARD');
    expect(h.windows.opened).toEqual([]);
  });
});

describe('background: where a request comes from', () => {
  it('takes the origin from the sender, not from anything the page could write', async () => {
    const h = harness();
    const withOrigin = await h.router({ ...authenticate, origin: 'https://portal.example.jp' }, h.fromPage('https://evil.example/'));
    expectError(withOrigin, 'ERR_HPKI_INVALID_ARGUMENT');
    expectError(await h.router(authenticate, h.fromPage('https://evil.example/')), 'ERR_HPKI_SITE_NOT_ALLOWED');
    expect(h.record.connects).toBe(0);
  });

  it("prefers Chrome's sender.origin and falls back to the URL (Firefox)", async () => {
    const h = harness({ enabled: ['https://portal.example.jp:8443'] });
    const pending = h.router(authenticate, h.fromPage('https://portal.example.jp:8443/a/b', 1, { origin: 'https://portal.example.jp:8443' }));
    const win = await h.pinWindow();
    expect(await win.open()).toMatchObject({ ok: true, value: { origin: 'https://portal.example.jp:8443' } });
    await win.submit('1234');
    await pending;
    expect(h.record.requests.find((r) => r.command === 'authenticate')?.params?.['origin']).toBe('https://portal.example.jp:8443');

    const other = harness();
    const viaSenderOrigin = await other.router(authenticate, other.fromPage(`${SITE}/x`, 1, { origin: 'https://evil.example' }));
    expectError(viaSenderOrigin, 'ERR_HPKI_SITE_NOT_ALLOWED');
  });

  it.each([
    ['http://portal.example.jp/', 'ERR_HPKI_INSECURE_ORIGIN'],
    ['http://192.168.0.10:8080/', 'ERR_HPKI_INSECURE_ORIGIN'],
    ['file:///home/doctor/page.html', 'ERR_HPKI_INSECURE_ORIGIN'],
    ['data:text/html,hi', 'ERR_HPKI_INSECURE_ORIGIN'],
    ['https://not-enabled.example/', 'ERR_HPKI_SITE_NOT_ALLOWED'],
  ])('§6 and the enabled-site check: %s → %s', async (url, code) => {
    const h = harness();
    expectError(await h.router(authenticate, h.fromPage(url)), code);
    expect(h.record.connects).toBe(0);
  });

  it('refuses an enabled site whose host permission the user has since revoked', async () => {
    const h = harness({ granted: [] });
    expectError(await h.router(authenticate, h.fromPage(`${SITE}/`)), 'ERR_HPKI_SITE_NOT_ALLOWED');
  });

  it('counts a loopback origin as enabled in the development build only when it serves a descriptor', async () => {
    const descriptor: Descriptor = { hpkiLogin: 1, name: '晴れやかネット', challengeUrl: '/c', loginUrl: '/l', roles: ['Medical Doctor'] };
    const dev = harness({ descriptors: { 'http://localhost:8080': descriptor } });
    const pending = dev.router(authenticate, dev.fromPage('http://localhost:8080/login'));
    const win = await dev.pinWindow();
    expect(await win.open()).toMatchObject({ ok: true, value: { siteName: '晴れやかネット', origin: 'http://localhost:8080', roles: ['Medical Doctor'] } });
    await win.cancel();
    expectError(await pending, 'ERR_HPKI_USER_CANCELLED');

    expectError(await dev.router(authenticate, dev.fromPage('http://127.0.0.1:9000/')), 'ERR_HPKI_SITE_NOT_ALLOWED');

    const store = harness({ loopbackDevelopment: false, descriptors: { 'http://localhost:8080': descriptor } });
    expectError(await store.router(authenticate, store.fromPage('http://localhost:8080/login')), 'ERR_HPKI_SITE_NOT_ALLOWED');
    expect(store.descriptorCalls).toEqual([]);
  });

  it('accepts page actions only from a top-level content script, PIN actions only from the PIN window', async () => {
    const h = harness();
    expectError(await h.router(authenticate, h.fromPage(`${SITE}/`, 1, { frameId: 3 })), 'ERR_HPKI_INVALID_ARGUMENT');
    expectError(await h.router(authenticate, { ...h.fromPage(`${SITE}/`), id: 'another-extension' }), 'ERR_HPKI_INVALID_ARGUMENT');
    expectError(await h.router(authenticate, { id: EXT_ID, url: `${BASE}popup.html` }), 'ERR_HPKI_INVALID_ARGUMENT');

    const pending = h.router(authenticate, h.fromPage(`${SITE}/`));
    const win = await h.pinWindow();
    const session = new URL(h.windows.opened[0]!.url).searchParams.get('session');
    const fromContent = await h.router({ kind: 'pin-submit', session, pin: '1234' }, h.fromPage(`${SITE}/`));
    expectError(fromContent, 'ERR_HPKI_INVALID_ARGUMENT');
    const fromOptions = await h.router({ kind: 'pin-submit', session, pin: '1234' }, { id: EXT_ID, url: `${BASE}options.html` });
    expectError(fromOptions, 'ERR_HPKI_INVALID_ARGUMENT');
    expect(h.record.requests.filter((r) => r.command === 'authenticate')).toEqual([]);
    await win.cancel();
    await pending;

    expectError(await h.router({ kind: 'site-enable', origin: 'https://x.example' }, h.fromPage(`${SITE}/`)), 'ERR_HPKI_INVALID_ARGUMENT');
  });

  it('refuses malformed requests', async () => {
    const h = harness();
    for (const bad of [null, 'status', { kind: 'page-authenticate', challenge: 'short' }, { kind: 'nope' }, { kind: 'page-status', extra: 1 }]) {
      expectError(await h.router(bad, h.fromPage(`${SITE}/`)), 'ERR_HPKI_INVALID_ARGUMENT');
    }
  });
});

describe('background: one login per tab', () => {
  it('a second login from the same tab gets ERR_HPKI_BUSY; another tab may proceed', async () => {
    const h = harness();
    const first = h.router(authenticate, h.fromPage(`${SITE}/`, 1));
    const win = await h.pinWindow(0);
    expectError(await h.router(authenticate, h.fromPage(`${SITE}/`, 1)), 'ERR_HPKI_BUSY');
    const second = h.router(authenticate, h.fromPage(`${SITE}/`, 2));
    const win2 = await h.pinWindow(1);
    await win2.cancel();
    expectError(await second, 'ERR_HPKI_USER_CANCELLED');
    await win.submit('1234');
    expect(await first).toMatchObject({ ok: true });
    // Once done, the tab may log in again.
    const third = h.router(authenticate, h.fromPage(`${SITE}/`, 1));
    const win3 = await h.pinWindow(2);
    await win3.submit('1234');
    expect(await third).toMatchObject({ ok: true });
  });
});

describe('background: the native host', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('gives up on a host that says no hello within 5 s', async () => {
    const h = harness({ host: { mute: true } });
    const pending = h.router(authenticate, h.fromPage(`${SITE}/`));
    await vi.advanceTimersByTimeAsync(4_900);
    let settled = false;
    void pending.then(() => (settled = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(200);
    expectError(await pending, 'ERR_HPKI_NATIVE_UNAVAILABLE');
    expect(h.record.disconnects).toBe(1);
  });

  it('reports a host that is not installed', async () => {
    const h = harness({ host: { missing: true } });
    const pending = h.router(authenticate, h.fromPage(`${SITE}/`));
    await vi.advanceTimersByTimeAsync(1);
    expectError(await pending, 'ERR_HPKI_NATIVE_UNAVAILABLE');
  });

  it('refuses a host that speaks another protocol version', async () => {
    const h = harness({ host: { hello: { hello: { protocol: 2, version: '9.0.0', backend: 'pcsc' } } } });
    const pending = h.router(authenticate, h.fromPage(`${SITE}/`));
    await vi.advanceTimersByTimeAsync(1);
    expectError(await pending, 'ERR_HPKI_VERSION_MISMATCH');
    expect(h.record.requests).toEqual([]);
  });

  it('refuses a malformed hello', async () => {
    const h = harness({ host: { hello: { hello: { protocol: 1, version: '1', backend: 'floppy' } } } });
    const pending = h.router(authenticate, h.fromPage(`${SITE}/`));
    await vi.advanceTimersByTimeAsync(1);
    expectError(await pending, 'ERR_HPKI_NATIVE_UNAVAILABLE');
  });

  it('times the user out after 2 minutes without a PIN', async () => {
    const h = harness();
    const pending = h.router(authenticate, h.fromPage(`${SITE}/`));
    await vi.advanceTimersByTimeAsync(10);
    expect(h.windows.opened).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(119_000);
    let settled = false;
    void pending.then(() => (settled = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1_000);
    expectError(await pending, 'ERR_HPKI_USER_TIMEOUT');
    expect(h.windows.removed).toEqual([h.windows.opened[0]!.id]);
  });

  it("honours the page's shorter timeout", async () => {
    const h = harness();
    const pending = h.router({ ...authenticate, options: { timeoutMs: 10_000 } }, h.fromPage(`${SITE}/`));
    await vi.advanceTimersByTimeAsync(10_010);
    expectError(await pending, 'ERR_HPKI_USER_TIMEOUT');
  });
});

describe('background: status', () => {
  it('reports extension, host version and readers to an enabled page', async () => {
    const h = harness();
    expect(await h.router({ kind: 'page-status' }, h.fromPage(`${SITE}/`))).toEqual({
      ok: true,
      value: { extension: '0.1.0', host: '0.1.0', readers: [{ name: 'Virtual PCD 00 00', cardPresent: true, cardType: 'hpki' }] },
    });
    expect(h.record.disconnects).toBe(1);
  });

  it('reports host null when the host is missing, and nothing at all to a site that is not enabled', async () => {
    const h = harness({ host: { missing: true } });
    expect(await h.router({ kind: 'page-status' }, h.fromPage(`${SITE}/`))).toEqual({ ok: true, value: { extension: '0.1.0', host: null, readers: [] } });
    expectError(await h.router({ kind: 'page-status' }, h.fromPage('https://elsewhere.example/')), 'ERR_HPKI_SITE_NOT_ALLOWED');
  });

  it('gives the popup host, readers, card, holder and expiry', async () => {
    const h = harness();
    const reply = await h.router({ kind: 'overview' }, { id: EXT_ID, url: `${BASE}popup.html` });
    expect(reply).toMatchObject({
      ok: true,
      value: {
        host: { version: '0.1.0', backend: 'mock' },
        readers: [{ name: 'Virtual PCD 00 00' }],
        card: { cardType: 'hpki', holder: { nameJa: '日医　太郎' }, notAfter: expect.stringMatching(/^2031-11-20/), pinRetriesLeft: 15 },
        sites: [{ origin: SITE }],
        loopbackDevelopment: true,
      },
    });
  });
});

describe('background: error messages a doctor understands', () => {
  it('replaces the host message with the localized sentence, in the UI language or the one the page asked for', async () => {
    const script: HostScript = { 'get-certificate': () => ({ error: { code: 'ERR_HPKI_NO_CARD', message: 'no card in any reader' } }) };
    const ja = harness({ host: { script } });
    const jaError = expectError(await ja.router(authenticate, ja.fromPage(`${SITE}/`)), 'ERR_HPKI_NO_CARD');
    expect(jaError.message).toBe(CATALOGS.ja['error_ERR_HPKI_NO_CARD']!.message);

    const en = harness({ host: { script } });
    const enError = expectError(await en.router({ ...authenticate, options: { lang: 'en' } }, en.fromPage(`${SITE}/`)), 'ERR_HPKI_NO_CARD');
    expect(enError.message).toBe('No card found. Please put your HPKI card on the reader.');
  });

  it('keeps the technical detail of an internal error inside the sentence', async () => {
    const h = harness({ host: { script: { 'get-certificate': () => ({ error: { code: 'ERR_HPKI_INTERNAL', message: 'SW 6F00' } }) } }, uiLang: 'en' });
    const error = expectError(await h.router(authenticate, h.fromPage(`${SITE}/`)), 'ERR_HPKI_INTERNAL');
    expect(error.message).toBe('An unexpected error occurred (SW 6F00). Please try again.');
  });
});

describe('background: enabled sites', () => {
  it('registers a content script for an enabled site only, and removes it with the site', async () => {
    const h = harness({ enabled: [], granted: ['https://clinic.example/*'] });
    const page = { id: EXT_ID, url: `${BASE}options.html` };
    expectError(await h.router({ kind: 'site-enable', origin: 'https://other.example' }, page), 'ERR_HPKI_SITE_NOT_ALLOWED');
    expectError(await h.router({ kind: 'site-enable', origin: 'http://clinic.example' }, page), 'ERR_HPKI_INSECURE_ORIGIN');
    expect(await h.router({ kind: 'site-enable', origin: 'https://clinic.example:8443' }, page)).toEqual({
      ok: true,
      value: [{ origin: 'https://clinic.example:8443', name: 'clinic.example:8443' }],
    });
    expect(h.registered).toEqual([
      {
        id: 'site:https://clinic.example:8443',
        matches: ['https://clinic.example/*'],
        js: ['content.js'],
        runAt: 'document_idle',
        allFrames: false,
        persistAcrossSessions: true,
      },
    ]);
    expect(await h.router({ kind: 'site-disable', origin: 'https://clinic.example:8443' }, page)).toEqual({ ok: true, value: [] });
    expect(h.registered).toEqual([]);
    expectError(await h.router({ kind: 'site-enable', origin: 'https://clinic.example:8443' }, page), 'ERR_HPKI_SITE_NOT_ALLOWED');
  });
});
