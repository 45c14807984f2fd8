import { expect, vi } from 'vitest';
import { createBackground } from '../../extension/background/create-background.js';
import type { NativeConnector, NativePort } from '../../extension/background/native-host.js';
import type { WindowsApi } from '../../extension/background/pin-prompts.js';
import type { MessageSenderInfo } from '../../extension/background/sender.js';
import type { ContentScriptRegistration, ScriptingApi } from '../../extension/background/site-registry.js';
import { SITES_KEY } from '../../extension/background/site-registry.js';
import type { PinWindowView, RuntimeReply } from '../../extension/shared/runtime-messages.js';
import { describeCardCertificate } from '../../native-host/commands/get-certificate.js';
import { encodeBase64 } from '../../protocol/base64.js';
import type { WireError } from '../../protocol/errors.js';
import type { Descriptor } from '../../protocol/page-messages.js';
import { readSharedPemDer } from './shared.js';

/** A fake browser, fake native host and the real background parts, for the background tests. */
// The background as main.ts wires it, with in-process fakes of the browser APIs and of the native
// host at the native-messaging boundary (real host and browser are exercised by the e2e suite).

export const EXT_ID = 'fcmabpbdamoojefpfgeogfoggebghnfh';
export const BASE = `chrome-extension://${EXT_ID}/`;
export const SITE = 'https://portal.example.jp';
export const CHALLENGE = 'A'.repeat(43);
export const EE_DER = readSharedPemDer('test-vectors', 'ee.pem');
export const CA_DER = readSharedPemDer('test-vectors', 'authca.pem');
export const TOKEN = {
  format: 'hpki-login:1',
  algorithm: 'RS256',
  certificate: encodeBase64(EE_DER),
  intermediates: [encodeBase64(CA_DER)],
  signature: encodeBase64(new Uint8Array(256).fill(7)),
};

export type HostAnswer = { result: unknown } | { error: WireError } | 'silent';
export type HostCommandName =
  | 'status'
  | 'get-certificate'
  | 'authenticate'
  | 'find-cards'
  | 'watch-card'
  | 'get-signing-certificate'
  | 'change-pin'
  | 'sign';
export type HostScript = Partial<Record<HostCommandName, (params: Record<string, unknown> | undefined) => HostAnswer>>;

/**
 * Unless a script says otherwise, `find-cards` finds the one card `get-certificate` describes (an
 * HPKI card offered, another kind named among the others), and `watch-card` is acknowledged.
 */
function defaultAnswer(script: HostScript | undefined, command: HostCommandName): HostAnswer | undefined {
  if (command === 'watch-card') return { result: {} };
  if (command !== 'find-cards') return undefined;
  const card = script?.['get-certificate']?.(undefined);
  if (card === undefined || card === 'silent' || 'error' in card) return card;
  const result = card.result as { reader: string; cardType: string };
  return {
    result:
      result.cardType === 'hpki'
        ? { cards: [result], others: [] }
        : { cards: [], others: [{ reader: result.reader, cardType: result.cardType }] },
  };
}

export interface FakeHostOptions {
  hello?: unknown;
  /** Never says hello (a hung host). */
  mute?: boolean;
  /** The browser cannot start it (Chrome: port closes at once with lastError). */
  missing?: boolean;
  script?: HostScript;
}

export interface HostRecord {
  connects: number;
  requests: Array<{ id: unknown; command: string; params?: Record<string, unknown> }>;
  disconnects: number;
}

export function fakeConnector(options: FakeHostOptions): { connector: NativeConnector; record: HostRecord } {
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
          const request = message as {
            id: unknown;
            command: HostCommandName;
            params?: Record<string, unknown>;
          };
          record.requests.push(request);
          const answer = options.script?.[request.command]?.(request.params) ??
            defaultAnswer(options.script, request.command) ?? {
              error: { code: 'ERR_HPKI_INTERNAL', message: 'unscripted' },
            };
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

export function certificateAnswer(retries = 15): HostAnswer {
  return {
    result: {
      reader: 'Virtual PCD 00 00',
      cardType: 'hpki',
      certificate: encodeBase64(EE_DER),
      // What the real host reports about this certificate (issuer, notAfter, SHA-256), beside the holder.
      ...describeCardCertificate(EE_DER),
      intermediates: [encodeBase64(CA_DER)],
      holder: { name: 'Nichii Taro', nameJa: '日医　太郎', role: 'Medical Doctor' },
      pinRetriesLeft: retries,
      pinMaxRetries: 15,
    },
  };
}

/** A card whose PIN is 1234 and whose counter goes down on each wrong PIN, like the real one. */
export function cardScript(startRetries = 15): HostScript {
  let retries = startRetries;
  return {
    status: () => ({ result: { readers: [{ name: 'Virtual PCD 00 00', cardPresent: true, cardType: 'hpki' }] } }),
    'get-certificate': () => certificateAnswer(retries),
    authenticate: (params) => {
      if (retries === 0) return { error: { code: 'ERR_HPKI_PIN_BLOCKED', message: 'card blocked' } };
      if (params?.pin === '1234') {
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

export interface FakeWindows extends WindowsApi {
  opened: Array<{ id: number; url: string }>;
  removed: number[];
  /** The user closes the window with its close box. */
  userCloses(id: number): void;
}

export function fakeWindows(): FakeWindows {
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

export interface HarnessOptions {
  host?: FakeHostOptions;
  loopbackDevelopment?: boolean;
  enabled?: string[];
  granted?: string[];
  descriptors?: Record<string, Descriptor>;
  uiLang?: 'ja' | 'en';
}

export function harness(options: HarnessOptions = {}) {
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
      for (const id of filter?.ids ?? registered.map((s) => s.id))
        registered.splice(
          registered.findIndex((s) => s.id === id),
          1,
        );
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
  const windows = fakeWindows();
  let session = 0;
  const { router: background, login } = createBackground({
    self: { id: EXT_ID, baseUrl: BASE },
    extensionVersion: '0.1.0',
    loopbackDevelopment,
    uiLang: () => options.uiLang ?? 'ja',
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
    windows,
    connector,
    fetchDescriptor,
    pinPageUrl: (s, purpose) => `${BASE}pin.html?session=${s}&purpose=${purpose}`,
    newSessionId: () => `00000000-0000-4000-8000-${String(++session).padStart(12, '0')}`,
  });

  // A login travels over its own port in the browser (login-port.ts); here each one gets an abort
  // controller standing for that port, which a test aborts to play the page going away.
  const loginPorts: AbortController[] = [];
  const router = (message: unknown, sender: MessageSenderInfo): Promise<RuntimeReply<unknown>> => {
    const isLogin =
      typeof message === 'object' &&
      message !== null &&
      'kind' in message &&
      typeof message.kind === 'string' &&
      ['page-authenticate', 'page-get-signing-certificate', 'page-sign'].includes(message.kind);
    if (!isLogin) return background(message, sender);
    const port = new AbortController();
    loginPorts.push(port);
    return background(message, sender, port.signal);
  };

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
    /** The background's router as `runtime.onMessage` calls it: no login port. */
    background,
    loginPorts,
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
        /** Waits for the window's phase `name` and gives the view. */
        stage: async (name: string) => {
          let reply: RuntimeReply<unknown> | undefined;
          await vi.waitFor(async () => {
            reply = await router({ kind: 'pin-open', session }, sender);
            expect(reply).toMatchObject({ ok: true, value: { stage: { phase: name } } });
          });
          if (reply === undefined || !reply.ok) throw new Error('no view');
          return reply.value as PinWindowView;
        },
        /** Waits for the pin stage and answers with its model, as pin-open once did. */
        pinModel: async (): Promise<RuntimeReply<unknown>> => {
          let reply: RuntimeReply<unknown> | undefined;
          await vi.waitFor(async () => {
            reply = await router({ kind: 'pin-open', session }, sender);
            expect(reply).toMatchObject({ ok: true, value: { stage: { phase: 'pin' } } });
          });
          if (reply === undefined || !reply.ok) throw new Error('no view');
          return { ok: true, value: (reply.value as { stage: { model: unknown } }).stage.model };
        },
        choose: (reader: string) => router({ kind: 'pin-choose', session, reader }, sender),
        confirm: () => router({ kind: 'pin-confirm', session }, sender),
        /**
         * Types the PIN as the window does: once it asks for one (the window shows no PIN field
         * before), so a test cannot race the card read on a slow machine.
         */
        submit: async (pin: string) => {
          await vi.waitFor(async () => {
            const view = await router({ kind: 'pin-open', session }, sender);
            expect(view).toMatchObject({ ok: true, value: { stage: { phase: 'pin' } } });
          }, 10_000);
          return router({ kind: 'pin-submit', session, pin }, sender);
        },
        cancel: () => router({ kind: 'pin-cancel', session }, sender),
      };
    },
  };
}

export function expectError(reply: RuntimeReply<unknown>, code: string): WireError {
  expect(reply).toMatchObject({ ok: false, error: { code } });
  if (reply.ok) throw new Error('unreachable');
  return reply.error;
}

export const authenticate = { kind: 'page-authenticate', challenge: CHALLENGE } as const;
