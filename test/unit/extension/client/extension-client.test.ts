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
import { PAGE_REACK_INTERVAL_MS } from '../../../../protocol/timeouts.js';
import type { Token } from '../../../../protocol/token.js';

// The page client library: a fake window that delivers posted messages back to every listener, as
// window.postMessage to the page's own origin does. With the real content-script bridge installed
// on the same fake window, client and bridge are checked against each other.

const ORIGIN = 'https://portal.example.jp';
const CHALLENGE = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ';
const SIGNING_CERTIFICATE = {
  certificate: 'AAAA',
  certificateSha256: 'ab'.repeat(32),
  intermediates: ['BBBB'],
  issuer: 'HPKI-01-MedicalDoctor-forNonRepudiation',
  notAfter: '2031-11-20T00:00:00.000Z',
  holder: { name: 'Nichii Taro', nameJa: '日医　太郎', role: 'Medical Doctor' },
};
const HASH_256 = Buffer.alloc(32, 1).toString('base64');
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
          readers: [{ cardPresent: false }, { cardPresent: true }],
          cardPresent: true,
        })),
      authenticate: backend.authenticate ?? (async () => ({ token: TOKEN })),
      getSigningCertificate: backend.getSigningCertificate ?? (async () => SIGNING_CERTIFICATE),
      sign: backend.sign ?? (async () => ({ signature: 'DDDD', signatureAlgorithm: 'RS256' })),
      hasUserActivation: backend.hasUserActivation ?? (() => true),
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

describe('client library: a flow that lasts', () => {
  it('waits as long as the extension repeats its ack: a login of 10 minutes with timeoutMs 60 s', async () => {
    vi.useFakeTimers();
    // The PIN window gives the doctor the whole timeout again after the card goes in and after each
    // wrong PIN: a flow still alive can outlast timeoutMs + 60 s from its start.
    const win = withBridge({
      authenticate: () => new Promise((resolve) => setTimeout(() => resolve({ token: TOKEN }), 600_000)),
    });
    const pending = createHpkiLoginClient({ window: win }).authenticate(CHALLENGE, { timeoutMs: 60_000 });
    await vi.advanceTimersByTimeAsync(601_000);
    await expect(pending).resolves.toEqual({ token: TOKEN });
    const acks = win.sent.filter((m) => (m as { type?: unknown }).type === 'ack');
    expect(acks.length).toBeGreaterThanOrEqual(600_000 / PAGE_REACK_INTERVAL_MS);
  });

  it('gives up timeoutMs + 60 s after the last ack, when the extension stopped answering', async () => {
    vi.useFakeTimers();
    const win = loopbackWindow();
    const pending = createHpkiLoginClient({ window: win })
      .authenticate(CHALLENGE, { timeoutMs: 60_000 })
      .catch((e: unknown) => e);
    const request = pageRequestSchema.parse(win.sent[0]);
    win.inject({ hpkiLogin: 1, id: request.id, type: 'ack' });
    await vi.advanceTimersByTimeAsync(100_000);
    win.inject({ hpkiLogin: 1, id: request.id, type: 'ack' });
    await vi.advanceTimersByTimeAsync(119_999);
    expect(win.listenerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(await pending).toMatchObject({ code: 'ERR_HPKI_EXTENSION_UNAVAILABLE' });
  });
});

describe('client library: with the content-script bridge', () => {
  it('status() returns what the extension reports, readers as §1.2 has them', async () => {
    const win = withBridge({});
    await expect(status({ window: win })).resolves.toEqual({
      extension: '0.1.0',
      host: '0.2.0',
      readers: [{ cardPresent: false }, { cardPresent: true }],
      cardPresent: true,
    });
  });

  it.each([
    ['without readers', { extension: '1', host: null, cardPresent: false }],
    [
      'with a reader name',
      { extension: '1', host: '1', readers: [{ name: 'R', cardPresent: true }], cardPresent: true },
    ],
    [
      'with a card type',
      { extension: '1', host: '1', readers: [{ cardPresent: true, cardType: 'hpki' }], cardPresent: true },
    ],
  ])('status() refuses a result %s as malformed', async (_name, result) => {
    const win = loopbackWindow();
    const pending = createHpkiLoginClient({ window: win }).status();
    const { id } = pageRequestSchema.parse(win.sent[0]);
    win.inject({ hpkiLogin: 1, id, type: 'ack' });
    win.inject({ hpkiLogin: 1, id, type: 'result', result });
    await expect(pending).rejects.toMatchObject({ code: 'ERR_HPKI_INTERNAL' });
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
    const result = {
      hpkiLogin: 1,
      id,
      type: 'result',
      result: { extension: '9', host: null, readers: [], cardPresent: false },
    };
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

describe('client library: 電子署名 (PROTOCOL.md §11) through the bridge', () => {
  it('getSigningCertificate() then sign() reach the background with what the page gave, and return its answers', async () => {
    const signed: unknown[] = [];
    const win = withBridge({
      sign: async (params, options) => {
        signed.push({ params, options });
        return { signature: 'DDDD', signatureAlgorithm: 'RS384' };
      },
    });
    const client = createHpkiLoginClient({ window: win });
    const certificate = await client.getSigningCertificate();
    expect(certificate).toEqual(SIGNING_CERTIFICATE);
    const hash = Buffer.alloc(48, 2).toString('base64');
    const params = { hash, hashAlgorithm: 'SHA-384' as const, certificateSha256: certificate.certificateSha256 };
    await expect(client.sign({ ...params, label: '診断書 2026-12-06' }, { lang: 'en' })).resolves.toEqual({
      signature: 'DDDD',
      signatureAlgorithm: 'RS384',
    });
    expect(signed).toEqual([{ params: { ...params, label: '診断書 2026-12-06' }, options: { lang: 'en' } }]);
  });

  it('refuses a hash of the wrong length, a bad certificate hash or a long label before posting anything', async () => {
    const win = loopbackWindow();
    const client = createHpkiLoginClient({ window: win });
    const good = { hash: HASH_256, hashAlgorithm: 'SHA-256' as const, certificateSha256: 'ab'.repeat(32) };
    for (const bad of [
      { ...good, hashAlgorithm: 'SHA-512' as const },
      { ...good, hash: 'not base64!' },
      { ...good, certificateSha256: 'AB'.repeat(32) },
      { ...good, label: 'x'.repeat(201) },
    ])
      await expect(client.sign(bad)).rejects.toMatchObject({ code: 'ERR_HPKI_INVALID_ARGUMENT' });
    expect(win.sent).toEqual([]);
  });

  it('the bridge refuses a sign whose hash does not fit its algorithm (a page without the library)', () => {
    const bad = {
      hpkiLogin: 1,
      id: 'x',
      action: 'sign',
      hash: HASH_256,
      hashAlgorithm: 'SHA-512',
      certificateSha256: 'ab'.repeat(32),
    };
    expect(pageRequestSchema.safeParse(bad).success).toBe(false);
    expect(pageRequestSchema.safeParse({ ...bad, hashAlgorithm: 'SHA-256' }).success).toBe(true);
  });

  it('getSigningCertificate and sign without a user activation are refused, and nothing reaches the background', async () => {
    let reached = 0;
    const win = withBridge({
      hasUserActivation: () => false,
      getSigningCertificate: async () => {
        reached++;
        return SIGNING_CERTIFICATE;
      },
      sign: async () => {
        reached++;
        return { signature: 'DDDD', signatureAlgorithm: 'RS256' };
      },
    });
    const client = createHpkiLoginClient({ window: win });
    await expect(client.getSigningCertificate()).rejects.toMatchObject({ code: 'ERR_HPKI_INVALID_ARGUMENT' });
    const params = { hash: HASH_256, hashAlgorithm: 'SHA-256' as const, certificateSha256: 'ab'.repeat(32) };
    await expect(client.sign(params)).rejects.toMatchObject({ code: 'ERR_HPKI_INVALID_ARGUMENT' });
    expect(reached).toBe(0);
  });

  it('a sign while a getSigningCertificate is pending on the page gets ERR_HPKI_BUSY', async () => {
    let release: (() => void) | undefined;
    const win = withBridge({
      getSigningCertificate: () =>
        new Promise((resolve) => {
          release = () => resolve(SIGNING_CERTIFICATE);
        }),
    });
    const client = createHpkiLoginClient({ window: win });
    const first = client.getSigningCertificate();
    const params = { hash: HASH_256, hashAlgorithm: 'SHA-256' as const, certificateSha256: 'ab'.repeat(32) };
    await expect(client.sign(params)).rejects.toMatchObject({ code: 'ERR_HPKI_BUSY' });
    release?.();
    await expect(first).resolves.toEqual(SIGNING_CERTIFICATE);
  });
});
