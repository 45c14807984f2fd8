import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ClientMessageEvent, ClientWindow } from '../../../../extension/client/hpki-login-client.js';
import {
  ACK_TIMEOUT_MS,
  authenticate,
  createHpkiLoginClient,
  HpkiError,
  status,
} from '../../../../extension/client/hpki-login-client.js';
import { createLoginLock } from '../../../../extension/content/login-lock.js';
import type { BridgeBackend, PageWindow } from '../../../../extension/content/page-bridge.js';
import { installPageBridge } from '../../../../extension/content/page-bridge.js';
import type { Lang } from '../../../../extension/shared/i18n.js';
import { displayError, LocalizedError } from '../../../../extension/shared/localized-error.js';
import { pageRequestSchema } from '../../../../protocol/page-messages.js';
import type { Token } from '../../../../protocol/token.js';

// The page client library: a fake window that delivers posted messages back to every listener, as
// window.postMessage to the page's own origin does. With the real content-script bridge installed
// on the same fake window, client and bridge are checked against each other.

const ORIGIN = 'https://portal.example.jp';
const CHALLENGE = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ';
const TOKEN: Token = {
  format: 'hpki-login:1',
  algorithm: 'RS256',
  certificate: 'AAAA',
  intermediates: ['BBBB'],
  signature: 'CCCC',
};

type Listener = (event: ClientMessageEvent) => void;

function loopbackWindow() {
  const listeners = new Set<Listener>();
  const sent: unknown[] = [];
  const win: ClientWindow &
    PageWindow & {
      sent: unknown[];
      listenerCount(): number;
      inject(data: unknown, origin?: string, source?: unknown): void;
    } = {
    location: { origin: ORIGIN },
    origin: ORIGIN,
    sent,
    addEventListener: (_t, l) => void listeners.add(l),
    removeEventListener: (_t, l) => void listeners.delete(l),
    postMessage(message, targetOrigin) {
      expect(targetOrigin).toBe(ORIGIN);
      sent.push(message);
      const data = structuredClone(message);
      setTimeout(() => [...listeners].forEach((l) => l({ source: win, origin: ORIGIN, data })), 0);
    },
    listenerCount: () => listeners.size,
    inject(data, origin = ORIGIN, source: unknown = win) {
      [...listeners].forEach((l) => l({ source, origin, data }));
    },
  };
  return win;
}

const localize = (err: unknown, lang: Lang | undefined) => displayError(err, lang ?? 'ja');

function withBridge(backend: Partial<BridgeBackend>) {
  const win = loopbackWindow();
  installPageBridge(
    win,
    {
      status:
        backend.status ??
        (async () => ({
          extension: '0.1.0',
          host: '0.2.0',
          cardPresent: true,
        })),
      authenticate: backend.authenticate ?? (async () => ({ token: TOKEN })),
      hasUserActivation: () => true,
    },
    createLoginLock(),
    localize,
  );
  return win;
}

afterEach(() => vi.useRealTimers());

describe('client library: no extension', () => {
  it(`rejects with ERR_HPKI_EXTENSION_UNAVAILABLE when nothing acknowledges within ${ACK_TIMEOUT_MS} ms`, async () => {
    vi.useFakeTimers();
    const win = loopbackWindow();
    const pending = authenticate(CHALLENGE, { window: win }).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(ACK_TIMEOUT_MS - 1);
    expect(win.listenerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    const error = await pending;
    expect(error).toBeInstanceOf(HpkiError);
    expect(error).toMatchObject({ code: 'ERR_HPKI_EXTENSION_UNAVAILABLE' });
    expect(win.listenerCount()).toBe(0);
  });

  it('status() too', async () => {
    vi.useFakeTimers();
    const pending = status({ window: loopbackWindow() }).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(ACK_TIMEOUT_MS);
    expect(await pending).toMatchObject({ code: 'ERR_HPKI_EXTENSION_UNAVAILABLE' });
  });

  it('an ack keeps it waiting for the user beyond 1 s', async () => {
    vi.useFakeTimers();
    const win = loopbackWindow();
    const client = createHpkiLoginClient({ window: win });
    const pending = client.authenticate(CHALLENGE, { timeoutMs: 60_000 });
    const request = pageRequestSchema.parse(win.sent[0]);
    win.inject({ hpkiLogin: 1, id: request.id, type: 'ack' });
    await vi.advanceTimersByTimeAsync(50_000);
    win.inject({ hpkiLogin: 1, id: request.id, type: 'result', result: { token: TOKEN } });
    await expect(pending).resolves.toEqual({ token: TOKEN });
  });
});

describe('client library: with the content-script bridge', () => {
  it('status() returns what the extension reports', async () => {
    const win = withBridge({});
    await expect(status({ window: win })).resolves.toEqual({
      extension: '0.1.0',
      host: '0.2.0',
      cardPresent: true,
    });
  });

  it('authenticate() sends a §1.2 request and resolves with the token', async () => {
    const seen: Array<{ challenge: string; options: unknown }> = [];
    const win = withBridge({
      authenticate: async (challenge, options) => {
        seen.push({ challenge, options });
        return { token: TOKEN };
      },
    });
    await expect(authenticate(CHALLENGE, { window: win, timeoutMs: 30_000, lang: 'en' })).resolves.toEqual({
      token: TOKEN,
    });
    expect(seen).toEqual([{ challenge: CHALLENGE, options: { timeoutMs: 30_000, lang: 'en' } }]);
    const request = pageRequestSchema.parse(win.sent[0]);
    expect(request).toMatchObject({ hpkiLogin: 1, action: 'authenticate', challenge: CHALLENGE });
    expect(request.id.length).toBeGreaterThan(8);
  });

  it('rejects with a typed error carrying code and retriesLeft', async () => {
    const win = withBridge({
      authenticate: async () => {
        throw new LocalizedError('ERR_HPKI_PIN_INCORRECT', 'Wrong PIN. 2 tries left.', { retriesLeft: 2 });
      },
    });
    const error = await authenticate(CHALLENGE, { window: win }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HpkiError);
    expect(error).toMatchObject({
      code: 'ERR_HPKI_PIN_INCORRECT',
      retriesLeft: 2,
      message: 'Wrong PIN. 2 tries left.',
    });
  });

  it('two concurrent logins from one page: the second gets ERR_HPKI_BUSY', async () => {
    let release!: () => void;
    const win = withBridge({
      authenticate: () =>
        new Promise((resolve) => {
          release = () => resolve({ token: TOKEN });
        }),
    });
    const client = createHpkiLoginClient({ window: win });
    const first = client.authenticate(CHALLENGE);
    const second = client.authenticate(CHALLENGE);
    await expect(second).rejects.toMatchObject({ code: 'ERR_HPKI_BUSY' });
    release();
    await expect(first).resolves.toEqual({ token: TOKEN });
  });
});

describe('client library: what it accepts', () => {
  it('refuses a bad challenge or options up front', async () => {
    const win = loopbackWindow();
    await expect(authenticate('too-short', { window: win })).rejects.toMatchObject({
      code: 'ERR_HPKI_INVALID_ARGUMENT',
    });
    await expect(authenticate(CHALLENGE, { window: win, timeoutMs: 1 })).rejects.toMatchObject({
      code: 'ERR_HPKI_INVALID_ARGUMENT',
    });
    expect(win.sent).toEqual([]);
  });

  it('ignores answers from other origins, other windows and other requests', async () => {
    vi.useFakeTimers();
    const win = loopbackWindow();
    const pending = createHpkiLoginClient({ window: win }).status();
    const { id } = pageRequestSchema.parse(win.sent[0]);
    const result = { hpkiLogin: 1, id, type: 'result', result: { extension: '9', host: null, cardPresent: false } };
    win.inject({ hpkiLogin: 1, id, type: 'ack' }, 'https://evil.example');
    win.inject(result, ORIGIN, {});
    win.inject({ ...result, id: 'someone-else' });
    const caught = pending.catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(ACK_TIMEOUT_MS);
    expect(await caught).toMatchObject({ code: 'ERR_HPKI_EXTENSION_UNAVAILABLE' });
  });

  it('refuses a malformed result', async () => {
    const win = loopbackWindow();
    const pending = createHpkiLoginClient({ window: win }).authenticate(CHALLENGE);
    const { id } = pageRequestSchema.parse(win.sent[0]);
    win.inject({ hpkiLogin: 1, id, type: 'result', result: { token: { format: 'jwt' } } });
    await expect(pending).rejects.toMatchObject({ code: 'ERR_HPKI_INTERNAL' });
  });

  it('maps an unknown error code to ERR_HPKI_INTERNAL', async () => {
    const win = loopbackWindow();
    const pending = createHpkiLoginClient({ window: win }).status();
    const { id } = pageRequestSchema.parse(win.sent[0]);
    win.inject({ hpkiLogin: 1, id, type: 'error', error: { code: 'ERR_SOMETHING_NEW', message: 'x' } });
    await expect(pending).rejects.toMatchObject({ code: 'ERR_HPKI_INTERNAL' });
  });
});
