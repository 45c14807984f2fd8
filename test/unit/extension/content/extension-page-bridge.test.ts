import { describe, expect, it, vi } from 'vitest';
import { createLoginLock } from '../../../../extension/content/login-lock.js';
import type {
  BridgeBackend,
  Localize,
  PageMessageEvent,
  PageWindow,
} from '../../../../extension/content/page-bridge.js';
import { installPageBridge } from '../../../../extension/content/page-bridge.js';
import type { Lang } from '../../../../extension/shared/i18n.js';
import { displayError, LocalizedError } from '../../../../extension/shared/localized-error.js';
import { HpkiError } from '../../../../protocol/errors.js';
import type { PageResponse } from '../../../../protocol/page-messages.js';
import { pageResponseSchema } from '../../../../protocol/page-messages.js';
import { PAGE_REACK_INTERVAL_MS } from '../../../../protocol/timeouts.js';
import type { Token } from '../../../../protocol/token.js';

// The content script's side of the page API (PROTOCOL.md §1.2), against a fake window that records
// what the bridge posts. Every response it posts must satisfy the protocol's own schema.

const ORIGIN = 'https://portal.example.jp';
const CHALLENGE = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ';
const TOKEN: Token = {
  format: 'hpki-login:1',
  algorithm: 'RS256',
  certificate: 'AAAA',
  intermediates: [],
  signature: 'AAAA',
};

function fakeWindow(ownOrigin = ORIGIN) {
  const listeners: Array<(event: PageMessageEvent) => void> = [];
  const posted: Array<{ message: PageResponse; targetOrigin: string }> = [];
  const win: PageWindow & {
    posted: typeof posted;
    deliver(data: unknown, opts?: { source?: unknown; origin?: string }): void;
  } = {
    origin: ownOrigin,
    posted,
    addEventListener: (_type, l) => void listeners.push(l),
    removeEventListener: (_type, l) => void listeners.splice(listeners.indexOf(l), 1),
    postMessage(message, targetOrigin) {
      // What the bridge posts must be a valid §1.2 response, sent to the page's own origin.
      posted.push({ message: pageResponseSchema.parse(message), targetOrigin });
    },
    deliver(data, opts = {}) {
      const event: PageMessageEvent = {
        source: 'source' in opts ? opts.source : win,
        origin: opts.origin ?? ORIGIN,
        data,
      };
      listeners.forEach((l) => l(event));
    },
  };
  return win;
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(err: unknown): void;
}
function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

// As the content script wires it (content/main.ts).
const localize: Localize = (err, lang, purpose) => displayError(err, lang ?? 'ja', 'page', purpose);

function setup(backend: Partial<BridgeBackend> = {}, ownOrigin = ORIGIN, uiLang: Lang = 'ja') {
  const win = fakeWindow(ownOrigin);
  const calls: Array<{ challenge: string; options: unknown }> = [];
  const full: BridgeBackend = {
    status: backend.status ?? (async () => ({ extension: '0.1.0', host: '0.1.0', readers: [], cardPresent: false })),
    authenticate:
      backend.authenticate ??
      (async (challenge, options) => {
        calls.push({ challenge, options });
        return { token: TOKEN };
      }),
    getSigningCertificate:
      backend.getSigningCertificate ??
      (async () => {
        throw new Error('not scripted');
      }),
    sign:
      backend.sign ??
      (async () => {
        throw new Error('not scripted');
      }),
    hasUserActivation: backend.hasUserActivation ?? (() => true),
  };
  const lock = createLoginLock();
  const uninstall = installPageBridge(win, full, lock, localize, uiLang);
  return { win, calls, lock, uninstall };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

describe('page bridge: who may talk to it', () => {
  it('ignores messages from another window or another origin', async () => {
    const { win } = setup();
    const request = { hpkiLogin: 1, id: 'r1', action: 'status' };
    win.deliver(request, { source: {} });
    win.deliver(request, { source: null });
    win.deliver(request, { origin: 'https://evil.example' });
    win.deliver(request, { origin: 'http://portal.example.jp' });
    await flush();
    expect(win.posted).toEqual([]);
    win.deliver(request);
    await flush();
    expect(win.posted.map((p) => p.message.type)).toEqual(['ack', 'result']);
  });

  it('answers nothing in a document with an opaque origin (CSP sandbox), whatever its URL', async () => {
    const { win } = setup({}, 'null');
    win.deliver({ hpkiLogin: 1, id: 'r1', action: 'status' }, { origin: 'null' });
    win.deliver({ hpkiLogin: 1, id: 'r2', action: 'authenticate', challenge: CHALLENGE }, { origin: 'null' });
    win.deliver({ hpkiLogin: 1, id: 'r3', action: 'status' });
    await flush();
    expect(win.posted).toEqual([]);
  });

  it('answers only to the page origin', async () => {
    const { win } = setup();
    win.deliver({ hpkiLogin: 1, id: 'r1', action: 'status' });
    await flush();
    expect(win.posted.every((p) => p.targetOrigin === ORIGIN)).toBe(true);
  });

  it('ignores its own responses and unrelated traffic on the channel', async () => {
    const { win } = setup();
    for (const data of [
      { hpkiLogin: 1, id: 'r1', type: 'ack' },
      { hpkiLogin: 1, id: 'r1', type: 'result', result: {} },
      { type: 'webpackOk' },
      'hello',
      null,
      { hpkiLogin: 2, id: 'x', action: 'status' },
    ]) {
      win.deliver(data);
    }
    await flush();
    expect(win.posted).toEqual([]);
  });
});

describe('page bridge: validation', () => {
  it.each([
    ['a short challenge', { hpkiLogin: 1, id: 'bad1', action: 'authenticate', challenge: 'abc' }],
    ['a challenge with padding', { hpkiLogin: 1, id: 'bad2', action: 'authenticate', challenge: `${CHALLENGE}=` }],
    ['an unknown action', { hpkiLogin: 1, id: 'bad3', action: 'sign' }],
    [
      'an origin field',
      { hpkiLogin: 1, id: 'bad4', action: 'authenticate', challenge: CHALLENGE, origin: 'https://x.example' },
    ],
    [
      'an out-of-range timeout',
      { hpkiLogin: 1, id: 'bad5', action: 'authenticate', challenge: CHALLENGE, options: { timeoutMs: 5 } },
    ],
    ['no action at all', { hpkiLogin: 1, id: 'bad6' }],
    ['an action that is not a string', { hpkiLogin: 1, id: 'bad7', action: 42 }],
  ])(
    'acknowledges %s at once, then refuses it with ERR_HPKI_INVALID_ARGUMENT (§1.2: every request within 1 s)',
    async (_name, data) => {
      const { win, calls } = setup();
      win.deliver(data);
      // The ack comes first and at once, like a valid request's: the page library's 1 s wait ends on it.
      expect(win.posted[0]?.message).toEqual({ hpkiLogin: 1, id: data.id, type: 'ack' });
      await flush();
      expect(win.posted.map((p) => p.message.type)).toEqual(['ack', 'error']);
      expect(win.posted[1]!.message).toMatchObject({
        id: data.id,
        type: 'error',
        error: { code: 'ERR_HPKI_INVALID_ARGUMENT' },
      });
      expect(calls).toEqual([]);
    },
  );

  it('stays silent when there is no usable id to answer to', async () => {
    const { win } = setup();
    win.deliver({ hpkiLogin: 1, action: 'status' });
    win.deliver({ hpkiLogin: 1 });
    win.deliver({ hpkiLogin: 1, id: '', action: 'status' });
    win.deliver({ hpkiLogin: 1, id: 'x'.repeat(129), action: 'status' });
    win.deliver({ hpkiLogin: 1, id: 42, action: 'status' });
    await flush();
    expect(win.posted).toEqual([]);
  });
});

describe('page bridge: ack, result, error', () => {
  it('acknowledges synchronously, before the backend answers', () => {
    const pending = deferred<{ token: typeof TOKEN }>();
    const { win } = setup({ authenticate: () => pending.promise });
    win.deliver({ hpkiLogin: 1, id: 'a1', action: 'authenticate', challenge: CHALLENGE });
    expect(win.posted.map((p) => p.message)).toEqual([{ hpkiLogin: 1, id: 'a1', type: 'ack' }]);
  });

  it('passes the challenge and options through and returns the token', async () => {
    const { win, calls } = setup();
    win.deliver({
      hpkiLogin: 1,
      id: 'a1',
      action: 'authenticate',
      challenge: CHALLENGE,
      options: { timeoutMs: 60_000, lang: 'en' },
    });
    await flush();
    expect(calls).toEqual([{ challenge: CHALLENGE, options: { timeoutMs: 60_000, lang: 'en' } }]);
    expect(win.posted[1]!.message).toEqual({ hpkiLogin: 1, id: 'a1', type: 'result', result: { token: TOKEN } });
  });

  it("forwards the background's localized error with retriesLeft as it is", async () => {
    const { win } = setup({
      authenticate: async () => {
        throw new LocalizedError('ERR_HPKI_PIN_INCORRECT', 'Wrong PIN. 3 tries left.', { retriesLeft: 3 });
      },
    });
    win.deliver({ hpkiLogin: 1, id: 'a1', action: 'authenticate', challenge: CHALLENGE });
    await flush();
    expect(win.posted[1]!.message).toEqual({
      hpkiLogin: 1,
      id: 'a1',
      type: 'error',
      error: { code: 'ERR_HPKI_PIN_INCORRECT', message: 'Wrong PIN. 3 tries left.', retriesLeft: 3 },
    });
  });

  it('puts an error raised in the content script into words, in the language the page asked for', async () => {
    const { win } = setup({
      authenticate: async () => {
        throw new HpkiError('ERR_HPKI_EXTENSION_UNAVAILABLE', 'background unreachable: Extension context invalidated.');
      },
    });
    win.deliver({ hpkiLogin: 1, id: 'a1', action: 'authenticate', challenge: CHALLENGE, options: { lang: 'en' } });
    await flush();
    expect(win.posted[1]!.message).toMatchObject({
      error: {
        code: 'ERR_HPKI_EXTENSION_UNAVAILABLE',
        message: 'The HPKI Login extension did not respond. Check that it is installed and enabled.',
      },
    });
  });

  it('turns an unexpected failure into ERR_HPKI_INTERNAL rather than staying silent', async () => {
    const { win } = setup({
      status: async () => {
        throw new TypeError('Extension context invalidated.');
      },
    });
    win.deliver({ hpkiLogin: 1, id: 's1', action: 'status' });
    await flush();
    expect(win.posted[1]!.message).toMatchObject({
      type: 'error',
      error: {
        code: 'ERR_HPKI_INTERNAL',
        message:
          '予期しないエラーが発生しました。もう一度お試しください。詳しい内容は、ツールバーの HPKIログイン ボタンから確認できます。',
      },
    });
  });
});

describe('page bridge: a signature’s request is refused in a signature’s words (§11)', () => {
  it('without a user action, while another flow holds the page, and when the extension fails', async () => {
    let active = false;
    const { win, lock } = setup(
      {
        hasUserActivation: () => active,
        getSigningCertificate: async () => {
          throw new HpkiError('ERR_HPKI_USER_CANCELLED', 'closed');
        },
      },
      ORIGIN,
      'ja',
    );
    win.deliver({ hpkiLogin: 1, id: 's1', action: 'getSigningCertificate' });
    active = true;
    lock.tryAcquire();
    win.deliver({ hpkiLogin: 1, id: 's2', action: 'getSigningCertificate', options: { lang: 'en' } });
    lock.release();
    win.deliver({ hpkiLogin: 1, id: 's3', action: 'getSigningCertificate' });
    await flush();
    const errors = win.posted.flatMap((p) => (p.message.type === 'error' ? [p.message.error.message] : []));
    expect(errors).toEqual([
      '電子署名は、ページ上のボタンを押すなど、利用者の操作をきっかけにしてのみ始められます。',
      'Something else is using the card. Finish it, then try again.',
      '電子署名を取り消しました。',
    ]);
  });
});

describe('page bridge: a login needs a user action', () => {
  it('refuses authenticate without a transient user activation, before anything reaches the background', async () => {
    let active = false;
    const { win, calls, lock } = setup({ hasUserActivation: () => active }, ORIGIN, 'en');
    win.deliver({ hpkiLogin: 1, id: 'a1', action: 'authenticate', challenge: CHALLENGE });
    win.deliver({ hpkiLogin: 1, id: 'a2', action: 'authenticate', challenge: CHALLENGE, options: { lang: 'ja' } });
    await flush();
    expect(win.posted.filter((p) => p.message.type === 'error').map((p) => p.message)).toEqual([
      {
        hpkiLogin: 1,
        id: 'a1',
        type: 'error',
        error: {
          code: 'ERR_HPKI_INVALID_ARGUMENT',
          message: 'A login can only start from something the user does on the page, such as pressing a button.',
        },
      },
      {
        hpkiLogin: 1,
        id: 'a2',
        type: 'error',
        error: {
          code: 'ERR_HPKI_INVALID_ARGUMENT',
          message: 'ログインは、ページ上のボタンを押すなど、利用者の操作をきっかけにしてのみ始められます。',
        },
      },
    ]);
    expect(calls).toEqual([]);
    expect(lock.held).toBe(false);

    active = true;
    win.deliver({ hpkiLogin: 1, id: 'a3', action: 'authenticate', challenge: CHALLENGE });
    await flush();
    expect(calls).toHaveLength(1);
  });

  it('does not ask for one for status', async () => {
    const { win } = setup({ hasUserActivation: () => false });
    win.deliver({ hpkiLogin: 1, id: 's1', action: 'status' });
    await flush();
    expect(win.posted.map((p) => p.message.type)).toEqual(['ack', 'result']);
  });
});

describe('page bridge: busy', () => {
  it('answers a second authenticate with ERR_HPKI_BUSY while the first is pending, and accepts one after', async () => {
    const first = deferred<{ token: typeof TOKEN }>();
    const authenticate = vi.fn(() => first.promise);
    const { win } = setup({ authenticate });
    win.deliver({ hpkiLogin: 1, id: 'a1', action: 'authenticate', challenge: CHALLENGE });
    win.deliver({ hpkiLogin: 1, id: 'a2', action: 'authenticate', challenge: CHALLENGE, options: { lang: 'en' } });
    await flush();
    const busy = win.posted.find((p) => p.message.id === 'a2' && p.message.type === 'error');
    expect(busy?.message).toEqual({
      hpkiLogin: 1,
      id: 'a2',
      type: 'error',
      error: { code: 'ERR_HPKI_BUSY', message: 'Another login is in progress. Finish it, then try again.' },
    });
    expect(authenticate).toHaveBeenCalledTimes(1);

    // status is not a login and is answered meanwhile
    win.deliver({ hpkiLogin: 1, id: 's1', action: 'status' });
    await flush();
    expect(win.posted.some((p) => p.message.id === 's1' && p.message.type === 'result')).toBe(true);

    first.resolve({ token: TOKEN });
    await flush();
    win.deliver({ hpkiLogin: 1, id: 'a3', action: 'authenticate', challenge: CHALLENGE });
    await flush();
    expect(authenticate).toHaveBeenCalledTimes(2);
  });

  it('a second request while one is pending is ERR_HPKI_BUSY even without a user activation, and keeps the first', async () => {
    const first = deferred<{ token: typeof TOKEN }>();
    let active = true;
    const { win, lock } = setup({ authenticate: () => first.promise, hasUserActivation: () => active });
    win.deliver({ hpkiLogin: 1, id: 'a1', action: 'authenticate', challenge: CHALLENGE });
    active = false;
    win.deliver({ hpkiLogin: 1, id: 'a2', action: 'authenticate', challenge: CHALLENGE });
    await flush();
    expect(win.posted.find((p) => p.message.id === 'a2' && p.message.type === 'error')?.message).toMatchObject({
      error: { code: 'ERR_HPKI_BUSY' },
    });
    expect(lock.held).toBe(true);
    // Without a pending flow, the missing activation is what the page is told, and the lock is free.
    first.resolve({ token: TOKEN });
    await flush();
    win.deliver({ hpkiLogin: 1, id: 'a3', action: 'authenticate', challenge: CHALLENGE });
    await flush();
    expect(win.posted.find((p) => p.message.id === 'a3' && p.message.type === 'error')?.message).toMatchObject({
      error: { code: 'ERR_HPKI_INVALID_ARGUMENT' },
    });
    expect(lock.held).toBe(false);
  });

  it('repeats the ack while a card flow is pending, and stops once it is answered', async () => {
    vi.useFakeTimers();
    try {
      const first = deferred<{ token: typeof TOKEN }>();
      const { win } = setup({ authenticate: () => first.promise });
      win.deliver({ hpkiLogin: 1, id: 'a1', action: 'authenticate', challenge: CHALLENGE });
      const acks = () => win.posted.filter((p) => p.message.id === 'a1' && p.message.type === 'ack').length;
      expect(acks()).toBe(1);
      await vi.advanceTimersByTimeAsync(3 * PAGE_REACK_INTERVAL_MS);
      expect(acks()).toBe(4);
      first.resolve({ token: TOKEN });
      await vi.advanceTimersByTimeAsync(0);
      await vi.advanceTimersByTimeAsync(3 * PAGE_REACK_INTERVAL_MS);
      expect(acks()).toBe(4);
      expect(win.posted.at(-1)?.message).toMatchObject({ id: 'a1', type: 'result' });
    } finally {
      vi.useRealTimers();
    }
  });

  it('shares the lock with the injected button', async () => {
    const { win, lock } = setup();
    expect(lock.tryAcquire()).toBe(true);
    win.deliver({ hpkiLogin: 1, id: 'a1', action: 'authenticate', challenge: CHALLENGE });
    await flush();
    expect(win.posted.map((p) => p.message.type)).toEqual(['ack', 'error']);
    expect(win.posted[1]!.message).toMatchObject({ error: { code: 'ERR_HPKI_BUSY' } });
  });

  it('releases the lock after a failure', async () => {
    const { win, lock } = setup({
      authenticate: async () => {
        throw new HpkiError('ERR_HPKI_USER_CANCELLED', 'cancelled');
      },
    });
    win.deliver({ hpkiLogin: 1, id: 'a1', action: 'authenticate', challenge: CHALLENGE });
    await flush();
    expect(lock.held).toBe(false);
  });
});

it('uninstalling stops the bridge', async () => {
  const { win, uninstall } = setup();
  uninstall();
  win.deliver({ hpkiLogin: 1, id: 'r1', action: 'status' });
  await flush();
  expect(win.posted).toEqual([]);
});
