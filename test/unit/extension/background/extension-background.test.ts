import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CATALOGS } from '../../../../extension/shared/catalogs.js';
import { bytesToHex } from '../../../../protocol/base64.js';
import type { Descriptor } from '../../../../protocol/page-messages.js';
import { pageStatusResultSchema } from '../../../../protocol/page-messages.js';
import { sha256Bytes } from '../../../../protocol/signed-data.js';
import {
  authenticate,
  BASE,
  CHALLENGE,
  cardScript,
  certificateAnswer,
  EE_DER,
  EXT_ID,
  expectError,
  type HostScript,
  harness,
  SITE,
  TOKEN,
} from '../../../helpers/extension-harness.js';

describe('background: a login from end to end', () => {
  it('asks for the certificate, opens the PIN window, keeps it on a wrong PIN, and returns the token', async () => {
    const h = harness();
    const pending = h.router(authenticate, h.fromPage(`${SITE}/login?next=%2F`));
    const win = await h.pinWindow();

    expect(await win.pinModel()).toEqual({
      ok: true,
      value: {
        siteName: 'Stored name',
        origin: SITE,
        holder: { name: 'Nichii Taro', nameJa: '日医　太郎', role: 'Medical Doctor' },
        // The issuing organisation the host reports, not the CA's technical name.
        issuerName: 'Mock Medical Association',
        notAfter: expect.stringMatching(/^2031-11-20T/),
        retriesLeft: 15,
        maxRetries: 15,
        roles: [],
      },
    });

    expect(await win.submit('9999')).toEqual({ ok: true, value: { outcome: 'retry', retriesLeft: 14 } });
    expect(h.windows.removed).toEqual([]);
    expect(await win.pinModel()).toMatchObject({ ok: true, value: { retriesLeft: 14 } });

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
      reader: 'Virtual PCD 00 00',
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
    expect(await win.stage('blocked')).toMatchObject({ stage: { model: { retriesLeft: 0 } } });
  });

  it('opens the window for an already locked card without asking the host to verify anything', async () => {
    const h = harness({ host: { script: cardScript(0) } });
    const reply = await h.router(authenticate, h.fromPage(`${SITE}/`));
    expectError(reply, 'ERR_HPKI_PIN_BLOCKED');
    expect(h.windows.opened).toHaveLength(1);
    expect(h.windows.removed).toEqual([]);
    expect(h.record.requests.map((r) => r.command)).toEqual(['find-cards']);
  });

  it('closing the PIN window cancels the login', async () => {
    const h = harness();
    const pending = h.router(authenticate, h.fromPage(`${SITE}/`));
    const win = await h.pinWindow();
    h.windows.userCloses(win.id);
    expectError(await pending, 'ERR_HPKI_USER_CANCELLED');
    expect(h.record.requests.map((r) => r.command)).toEqual(['find-cards', 'watch-card']);
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
    expect(await win.submit('1234')).toMatchObject({
      ok: true,
      value: { outcome: 'failed', error: { code: 'ERR_HPKI_CARD_CHANGED' } },
    });
    expectError(await pending, 'ERR_HPKI_CARD_CHANGED');
  });

  it('a card that is not an HPKI card: the window says so and stays open, nothing is signed', async () => {
    const answer = certificateAnswer() as { result: Record<string, unknown> };
    const h = harness({
      host: { script: { 'get-certificate': () => ({ result: { ...answer.result, cardType: 'jpki' } }) } },
    });
    expectError(await h.router(authenticate, h.fromPage(`${SITE}/`)), 'ERR_HPKI_UNSUPPORTED_CARD');
    const win = await h.pinWindow();
    expect(await win.stage('error')).toMatchObject({ stage: { error: { code: 'ERR_HPKI_UNSUPPORTED_CARD' } } });
    expect(h.windows.removed).toEqual([]);
    expect(h.record.requests.map((r) => r.command)).toEqual(['find-cards']);
  });
});

describe('background: where a request comes from', () => {
  it('takes the origin from the sender, not from anything the page could write', async () => {
    const h = harness();
    const withOrigin = await h.router(
      { ...authenticate, origin: 'https://portal.example.jp' },
      h.fromPage('https://evil.example/'),
    );
    expectError(withOrigin, 'ERR_HPKI_INVALID_ARGUMENT');
    expectError(await h.router(authenticate, h.fromPage('https://evil.example/')), 'ERR_HPKI_SITE_NOT_ALLOWED');
    expect(h.record.connects).toBe(0);
  });

  it("prefers Chrome's sender.origin and falls back to the URL (Firefox)", async () => {
    const h = harness({ enabled: ['https://portal.example.jp:8443'] });
    const pending = h.router(
      authenticate,
      h.fromPage('https://portal.example.jp:8443/a/b', 1, { origin: 'https://portal.example.jp:8443' }),
    );
    const win = await h.pinWindow();
    expect(await win.pinModel()).toMatchObject({ ok: true, value: { origin: 'https://portal.example.jp:8443' } });
    await win.submit('1234');
    await pending;
    expect(h.record.requests.find((r) => r.command === 'authenticate')?.params?.origin).toBe(
      'https://portal.example.jp:8443',
    );

    const other = harness();
    const viaSenderOrigin = await other.router(
      authenticate,
      other.fromPage(`${SITE}/x`, 1, { origin: 'https://evil.example' }),
    );
    expectError(viaSenderOrigin, 'ERR_HPKI_SITE_NOT_ALLOWED');
  });

  it('refuses a sender whose origin is opaque ("null"), never falling back to its URL', async () => {
    const h = harness();
    // Chrome reports a document served with CSP `sandbox` this way: the URL is the site's, the origin is not.
    const sandboxed = h.fromPage(`${SITE}/login`, 1, { origin: 'null' });
    expectError(await h.router(authenticate, sandboxed), 'ERR_HPKI_INSECURE_ORIGIN');
    expectError(await h.router({ kind: 'page-status' }, sandboxed), 'ERR_HPKI_INSECURE_ORIGIN');
    expect(h.record.connects).toBe(0);
    expect(h.windows.opened).toEqual([]);
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
    const descriptor: Descriptor = {
      hpkiLogin: 1,
      name: '晴れやかネット',
      challengeUrl: '/c',
      loginUrl: '/l',
      roles: ['Medical Doctor'],
    };
    const dev = harness({ descriptors: { 'http://localhost:8080': descriptor } });
    const pending = dev.router(authenticate, dev.fromPage('http://localhost:8080/login'));
    const win = await dev.pinWindow();
    expect(await win.pinModel()).toMatchObject({
      ok: true,
      value: { siteName: '晴れやかネット', origin: 'http://localhost:8080', roles: ['Medical Doctor'] },
    });
    await win.cancel();
    expectError(await pending, 'ERR_HPKI_USER_CANCELLED');

    expectError(await dev.router(authenticate, dev.fromPage('http://127.0.0.1:9000/')), 'ERR_HPKI_SITE_NOT_ALLOWED');

    const store = harness({ loopbackDevelopment: false, descriptors: { 'http://localhost:8080': descriptor } });
    expectError(
      await store.router(authenticate, store.fromPage('http://localhost:8080/login')),
      'ERR_HPKI_SITE_NOT_ALLOWED',
    );
    expect(store.descriptorCalls).toEqual([]);
  });

  it('accepts page actions only from a top-level content script, PIN actions only from the PIN window', async () => {
    const h = harness();
    expectError(await h.router(authenticate, h.fromPage(`${SITE}/`, 1, { frameId: 3 })), 'ERR_HPKI_INVALID_ARGUMENT');
    expectError(
      await h.router(authenticate, { ...h.fromPage(`${SITE}/`), id: 'another-extension' }),
      'ERR_HPKI_INVALID_ARGUMENT',
    );
    expectError(await h.router(authenticate, { id: EXT_ID, url: `${BASE}popup.html` }), 'ERR_HPKI_INVALID_ARGUMENT');

    const pending = h.router(authenticate, h.fromPage(`${SITE}/`));
    const win = await h.pinWindow();
    const session = new URL(h.windows.opened[0]!.url).searchParams.get('session');
    const fromContent = await h.router({ kind: 'pin-submit', session, pin: '1234' }, h.fromPage(`${SITE}/`));
    expectError(fromContent, 'ERR_HPKI_INVALID_ARGUMENT');
    const fromOptions = await h.router(
      { kind: 'pin-submit', session, pin: '1234' },
      { id: EXT_ID, url: `${BASE}options.html` },
    );
    expectError(fromOptions, 'ERR_HPKI_INVALID_ARGUMENT');
    expect(h.record.requests.filter((r) => r.command === 'authenticate')).toEqual([]);
    await win.cancel();
    await pending;

    expectError(
      await h.router({ kind: 'site-enable', origin: 'https://x.example' }, h.fromPage(`${SITE}/`)),
      'ERR_HPKI_INVALID_ARGUMENT',
    );
  });

  it('refuses malformed requests', async () => {
    const h = harness();
    for (const bad of [
      null,
      'status',
      { kind: 'page-authenticate', challenge: 'short' },
      { kind: 'nope' },
      { kind: 'page-status', extra: 1 },
    ]) {
      expectError(await h.router(bad, h.fromPage(`${SITE}/`)), 'ERR_HPKI_INVALID_ARGUMENT');
    }
  });
});

describe('background: one login per tab', () => {
  it('one login in the whole browser: the same tab and any other tab get ERR_HPKI_BUSY, one window', async () => {
    const h = harness();
    const first = h.router(authenticate, h.fromPage(`${SITE}/`, 1));
    const win = await h.pinWindow(0);
    expectError(await h.router(authenticate, h.fromPage(`${SITE}/`, 1)), 'ERR_HPKI_BUSY');
    for (const tab of [2, 3, 4, 5])
      expectError(await h.router(authenticate, h.fromPage(`${SITE}/`, tab)), 'ERR_HPKI_BUSY');
    expect(h.windows.opened).toHaveLength(1);
    expect(h.record.connects).toBe(1);
    await win.submit('1234');
    expect(await first).toMatchObject({ ok: true });
    // Once done, any tab may log in again.
    const next = h.router(authenticate, h.fromPage(`${SITE}/`, 2));
    const win2 = await h.pinWindow(1);
    await win2.submit('1234');
    expect(await next).toMatchObject({ ok: true });
  });

  it('accepts a login only over its own port, never as a plain runtime message', async () => {
    const h = harness();
    expectError(await h.background(authenticate, h.fromPage(`${SITE}/`)), 'ERR_HPKI_INVALID_ARGUMENT');
    expect(h.record.connects).toBe(0);
  });
});

describe('background: the page goes away', () => {
  it('navigating, reloading or closing the page (its port gone) closes the PIN window and stops the host', async () => {
    const h = harness();
    const pending = h.router(authenticate, h.fromPage(`${SITE}/`, 3));
    const win = await h.pinWindow();
    h.loginPorts[0]!.abort();
    expectError(await pending, 'ERR_HPKI_USER_CANCELLED');
    expect(h.windows.removed).toEqual([win.id]);
    expect(h.record.disconnects).toBe(1);
    // Nobody cancelled on purpose: the tab's next login needs no cool-down.
    const again = h.router(authenticate, h.fromPage(`${SITE}/`, 3));
    await (await h.pinWindow(1)).submit('1234');
    expect(await again).toMatchObject({ ok: true });
  });

  it('a page gone while the card is being read: the window that opened on the click closes', async () => {
    const h = harness({ host: { script: { ...cardScript(), 'find-cards': () => 'silent' } } });
    const pending = h.router(authenticate, h.fromPage(`${SITE}/`, 3));
    const win = await h.pinWindow();
    expect(await win.stage('reading')).toMatchObject({ origin: SITE });
    await vi.waitFor(() => expect(h.record.requests.map((r) => r.command)).toEqual(['find-cards']));
    h.loginPorts[0]!.abort();
    expectError(await pending, 'ERR_HPKI_USER_CANCELLED');
    expect(h.windows.removed).toEqual([win.id]);
    expect(h.record.disconnects).toBe(1);
  });
});

describe('background: a page that re-asks after every cancel', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('waits a growing cool-down before the same tab gets a new window', async () => {
    const h = harness();
    const cancelOnce = async (n: number): Promise<void> => {
      const pending = h.router(authenticate, h.fromPage(`${SITE}/`, 4));
      const win = await h.pinWindow(n);
      await win.cancel();
      expectError(await pending, 'ERR_HPKI_USER_CANCELLED');
    };
    await cancelOnce(0);
    // 1 s after the first cancel, 2 s after the second, 4 s after the third.
    for (const [n, wait] of [
      [1, 1_000],
      [2, 2_000],
      [3, 4_000],
    ] as const) {
      const pending = h.router(authenticate, h.fromPage(`${SITE}/`, 4));
      await vi.advanceTimersByTimeAsync(wait - 50);
      expect(h.windows.opened).toHaveLength(n);
      await vi.advanceTimersByTimeAsync(100);
      await vi.waitFor(() => expect(h.windows.opened).toHaveLength(n + 1));
      const win = await h.pinWindow(n);
      await win.cancel();
      expectError(await pending, 'ERR_HPKI_USER_CANCELLED');
    }
    // Another tab is not held back by this one's cool-down.
    vi.useRealTimers();
    const other = h.router(authenticate, h.fromPage(`${SITE}/`, 5));
    await vi.waitFor(() => expect(h.windows.opened).toHaveLength(5));
    await (await h.pinWindow(4)).submit('1234');
    expect(await other).toMatchObject({ ok: true });
  });
});

describe('background: status without a user action', () => {
  it('forty status calls share one host session, and every call is answered', async () => {
    const h = harness();
    const replies = await Promise.all(
      Array.from({ length: 40 }, (_, i) => h.router({ kind: 'page-status' }, h.fromPage(`${SITE}/`, 10 + i))),
    );
    expect(replies.every((r) => r.ok && (r.value as { cardPresent: boolean }).cardPresent)).toBe(true);
    expect(h.record.connects).toBe(1);
    expect(h.record.requests.map((r) => r.command)).toEqual(['status']);
  });

  it("the popup's look and the pages' status never run two status hosts at once", async () => {
    let most = 0;
    const h = harness({
      host: {
        script: {
          ...cardScript(),
          status: () => {
            most = Math.max(most, h.record.connects - h.record.disconnects);
            return { result: { readers: [{ name: 'R', cardPresent: true, cardType: 'hpki' }] } };
          },
        },
      },
    });
    const popup = { id: EXT_ID, url: `${BASE}popup.html` };
    await Promise.all([
      h.router({ kind: 'overview' }, popup),
      h.router({ kind: 'page-status' }, h.fromPage(`${SITE}/`)),
      h.router({ kind: 'overview' }, popup),
    ]);
    expect(h.record.connects).toBe(3);
    expect(h.record.disconnects).toBe(3);
    expect(most).toBe(1);
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
  it('tells an enabled page its readers (§1.2) as whether each holds a card: no reader names, no card types', async () => {
    const h = harness();
    const reply = await h.router({ kind: 'page-status' }, h.fromPage(`${SITE}/`));
    expect(reply).toEqual({
      ok: true,
      value: { extension: '0.1.0', host: '0.1.0', readers: [{ cardPresent: true }], cardPresent: true },
    });
    expect(pageStatusResultSchema.safeParse(reply.ok ? reply.value : undefined).success).toBe(true);
    expect(JSON.stringify(reply)).not.toMatch(/Virtual PCD|hpki/);
    expect(h.record.disconnects).toBe(1);
  });

  it('one entry per reader, in the host’s order, a reader without a card too', async () => {
    const readers = [
      { name: 'Empty Reader 0', cardPresent: false, cardType: null },
      { name: 'My Number Reader 1', cardPresent: true, cardType: 'unknown' },
      { name: 'HPKI Reader 2', cardPresent: true, cardType: 'hpki' },
    ];
    const h = harness({ host: { script: { ...cardScript(), status: () => ({ result: { readers } }) } } });
    const reply = await h.router({ kind: 'page-status' }, h.fromPage(`${SITE}/`));
    expect(reply).toEqual({
      ok: true,
      value: {
        extension: '0.1.0',
        host: '0.1.0',
        readers: [{ cardPresent: false }, { cardPresent: true }, { cardPresent: true }],
        cardPresent: true,
      },
    });
    expect(JSON.stringify(reply)).not.toMatch(/Reader|unknown|hpki|name|cardType/);
  });

  it('reports host null when the host is missing, and nothing at all to a site that is not enabled', async () => {
    const h = harness({ host: { missing: true } });
    expect(await h.router({ kind: 'page-status' }, h.fromPage(`${SITE}/`))).toEqual({
      ok: true,
      value: { extension: '0.1.0', host: null, readers: [], cardPresent: false },
    });
    expectError(
      await h.router({ kind: 'page-status' }, h.fromPage('https://elsewhere.example/')),
      'ERR_HPKI_SITE_NOT_ALLOWED',
    );
  });

  it('gives the popup host, readers, card, holder and expiry', async () => {
    const h = harness();
    const reply = await h.router({ kind: 'overview' }, { id: EXT_ID, url: `${BASE}popup.html` });
    expect(reply).toMatchObject({
      ok: true,
      value: {
        host: { version: '0.1.0', backend: 'mock' },
        readers: [{ name: 'Virtual PCD 00 00' }],
        card: {
          cardType: 'hpki',
          holder: { nameJa: '日医　太郎' },
          notAfter: expect.stringMatching(/^2031-11-20/),
          pinRetriesLeft: 15,
        },
        sites: [{ origin: SITE }],
        loopbackDevelopment: true,
      },
    });
  });
});

describe('background: error messages a doctor understands', () => {
  it('replaces the host message with the localized sentence, in the UI language or the one the page asked for', async () => {
    const script: HostScript = {
      'get-certificate': () => ({ error: { code: 'ERR_HPKI_NO_CARD', message: 'no card in any reader' } }),
    };
    const ja = harness({ host: { script } });
    const jaError = expectError(await ja.router(authenticate, ja.fromPage(`${SITE}/`)), 'ERR_HPKI_NO_CARD');
    expect(jaError.message).toBe(CATALOGS.ja.error_ERR_HPKI_NO_CARD!.message);

    const en = harness({ host: { script } });
    const enError = expectError(
      await en.router({ ...authenticate, options: { lang: 'en' } }, en.fromPage(`${SITE}/`)),
      'ERR_HPKI_NO_CARD',
    );
    expect(enError.message).toBe('No card found. Please put your HPKI card on the reader.');
  });

  it("gives a page no internal error detail; the extension's own pages keep it", async () => {
    const script: HostScript = {
      status: () => ({
        error: { code: 'ERR_HPKI_INTERNAL', message: 'SCardTransmit 0x80100016 on Virtual PCD 00 00' },
      }),
      'get-certificate': () => ({ error: { code: 'ERR_HPKI_INTERNAL', message: 'SW 6F00' } }),
    };
    const h = harness({ host: { script }, uiLang: 'en' });
    const generic =
      'An unexpected error occurred. Please try again. The details are shown by the HPKI Login button in the toolbar.';
    const fromLogin = expectError(await h.router(authenticate, h.fromPage(`${SITE}/`)), 'ERR_HPKI_INTERNAL');
    expect(fromLogin.message).toBe(generic);
    const fromStatus = expectError(
      await h.router({ kind: 'page-status' }, h.fromPage(`${SITE}/`)),
      'ERR_HPKI_INTERNAL',
    );
    expect(fromStatus.message).toBe(generic);
    const popup = await h.router({ kind: 'overview' }, { id: EXT_ID, url: `${BASE}popup.html` });
    expect(popup).toMatchObject({ ok: true, value: { hostError: { code: 'ERR_HPKI_INTERNAL' } } });
    expect(JSON.stringify(popup)).toContain('0x80100016');
  });
});

describe('background: enabled sites', () => {
  it('registers a content script for an enabled site only, and removes it with the site', async () => {
    const h = harness({ enabled: [], granted: ['https://clinic.example/*'] });
    const page = { id: EXT_ID, url: `${BASE}options.html` };
    expectError(
      await h.router({ kind: 'site-enable', origin: 'https://other.example' }, page),
      'ERR_HPKI_SITE_NOT_ALLOWED',
    );
    expectError(
      await h.router({ kind: 'site-enable', origin: 'http://clinic.example' }, page),
      'ERR_HPKI_INSECURE_ORIGIN',
    );
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
    expect(await h.router({ kind: 'site-disable', origin: 'https://clinic.example:8443' }, page)).toEqual({
      ok: true,
      value: [],
    });
    expect(h.registered).toEqual([]);
    expectError(
      await h.router({ kind: 'site-enable', origin: 'https://clinic.example:8443' }, page),
      'ERR_HPKI_SITE_NOT_ALLOWED',
    );
  });
});
