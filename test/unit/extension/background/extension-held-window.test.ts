import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createHeldWindow, HELD_WINDOW_MS } from '../../../../extension/background/held-window.js';
import { createLoginGate } from '../../../../extension/background/login-gate.js';
import type { PinPrompt } from '../../../../extension/background/pin-prompts.js';
import { bytesToHex, encodeBase64 } from '../../../../protocol/base64.js';
import { HpkiError } from '../../../../protocol/errors.js';
import { sha256Bytes } from '../../../../protocol/signed-data.js';
import {
  authenticate,
  BASE,
  cardScript,
  certificateAnswer,
  EE_DER,
  EXT_ID,
  expectError,
  type HostScript,
  harness,
  SITE,
} from '../../../helpers/extension-harness.js';

// One flow at a time per browser also between `getSigningCertificate` and the `sign` that follows
// (PROTOCOL.md §11): the window held for the tab's `sign` keeps the browser's slot, and every way
// the hold ends frees it. First the hold on its own over the real gate, then through the real
// background parts over fakes of the browser and of the native host.

const OTHER = 'https://other.example.jp';

/** A prompt as the flow sees one: `finish` and the window's own end are what the hold uses. */
function fakePrompt(): PinPrompt & { finished: number; closeWindow(): void } {
  const end = new AbortController();
  const prompt = {
    finished: 0,
    ended: end.signal,
    phase: 'reading' as const,
    show: () => undefined,
    nextPin: () => Promise.reject(new Error('unused')),
    nextChoice: () => Promise.reject(new Error('unused')),
    nextConfirm: () => Promise.reject(new Error('unused')),
    finish() {
      prompt.finished++;
      if (!end.signal.aborted) end.abort(new HpkiError('ERR_HPKI_INTERNAL', 'ended'));
    },
    cancel: () => end.abort(new HpkiError('ERR_HPKI_USER_CANCELLED', 'cancelled')),
    closeWindow: () => end.abort(new HpkiError('ERR_HPKI_USER_CANCELLED', 'closed')),
  };
  return prompt;
}

/** The gate as a flow of `tabId` leaves it when the window is held: the slot is this tab's. */
function heldFor(tabId: number, origin = SITE, pageGone?: AbortSignal) {
  const gate = createLoginGate();
  const held = createHeldWindow({ gate });
  const prompt = fakePrompt();
  gate.takeSlot(tabId);
  held.hold(tabId, origin, prompt, pageGone);
  const slotFree = (): boolean => {
    try {
      gate.takeSlot(99);
      gate.releaseSlot(99);
      return true;
    } catch {
      return false;
    }
  };
  return { gate, held, prompt, slotFree };
}

describe('held window: the hold on its own', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('keeps the slot for its tab until the bound, then closes the window and frees the slot', () => {
    const { held, prompt, slotFree } = heldFor(1);
    expect(held.holds(1)).toBe(true);
    expect(slotFree()).toBe(false);
    vi.advanceTimersByTime(HELD_WINDOW_MS - 1);
    expect(slotFree()).toBe(false);
    expect(prompt.finished).toBe(0);
    vi.advanceTimersByTime(1);
    expect(prompt.finished).toBe(1);
    expect(held.holds(1)).toBe(false);
    expect(slotFree()).toBe(true);
  });

  it('the window closed by the doctor frees the slot at once', () => {
    const { held, prompt, slotFree } = heldFor(1);
    prompt.closeWindow();
    expect(held.holds(1)).toBe(false);
    expect(slotFree()).toBe(true);
  });

  it('the page gone (its port disconnected) closes the window and frees the slot', () => {
    const page = new AbortController();
    const { held, prompt, slotFree } = heldFor(1, SITE, page.signal);
    page.abort();
    expect(prompt.finished).toBe(1);
    expect(held.holds(1)).toBe(false);
    expect(slotFree()).toBe(true);
  });

  it('a page already gone when the window would be held: nothing is held', () => {
    const page = new AbortController();
    page.abort();
    const { held, prompt, slotFree } = heldFor(1, SITE, page.signal);
    expect(prompt.finished).toBe(1);
    expect(held.holds(1)).toBe(false);
    expect(slotFree()).toBe(true);
  });

  it('the tab closed: dropped, the slot free; dropping another tab changes nothing', () => {
    const { held, prompt, slotFree } = heldFor(1);
    held.drop(2);
    expect(held.holds(1)).toBe(true);
    held.drop(1);
    expect(prompt.finished).toBe(1);
    expect(slotFree()).toBe(true);
  });

  it('claimed by the same tab and origin: handed over, the slot stays with the tab, the bound no longer runs', () => {
    const { held, prompt, slotFree } = heldFor(1);
    expect(held.claim(2, SITE, true)).toBeUndefined();
    expect(held.claim(1, SITE, true)).toBe(prompt);
    expect(held.holds(1)).toBe(false);
    expect(slotFree()).toBe(false);
    vi.advanceTimersByTime(HELD_WINDOW_MS * 2);
    expect(prompt.finished).toBe(0);
    // The claiming flow's own end frees it (flow-runner.ts), not the hold.
    expect(slotFree()).toBe(false);
  });

  it('claimed by a flow that does not want it, or from another origin: closed, the slot stays with the tab', () => {
    for (const [wants, origin] of [
      [false, SITE],
      [true, OTHER],
    ] as const) {
      const { held, prompt, slotFree } = heldFor(1);
      expect(held.claim(1, origin, wants)).toBeUndefined();
      expect(prompt.finished).toBe(1);
      expect(slotFree()).toBe(false);
    }
  });

  it('a window that closed itself is not handed over', () => {
    const { held, prompt } = heldFor(1);
    // The hold saw the close and ended; a claim finds nothing.
    prompt.closeWindow();
    expect(held.claim(1, SITE, true)).toBeUndefined();
  });
});

// The background, end to end over fakes.

const SIGN_SHA256 = bytesToHex(sha256Bytes(EE_DER));
const SIGNATURE = { signature: encodeBase64(new Uint8Array(256).fill(9)), signatureAlgorithm: 'RS256' };

function signingCard(): HostScript {
  return {
    ...cardScript(),
    'get-signing-certificate': () => certificateAnswer(),
    sign: (params) =>
      params?.pin === '5678'
        ? { result: SIGNATURE }
        : { error: { code: 'ERR_HPKI_PIN_INCORRECT', message: 'wrong PIN', retriesLeft: 14 } },
  };
}

const getCertificate = { kind: 'page-get-signing-certificate' };
const signRequest = {
  kind: 'page-sign',
  params: { hash: encodeBase64(new Uint8Array(32).fill(1)), hashAlgorithm: 'SHA-256', certificateSha256: SIGN_SHA256 },
};

/** Tab 1 has its certificate; its window is held for its sign. */
async function certificateGiven() {
  const h = harness({ host: { script: signingCard() } });
  const page = h.fromPage(`${SITE}/doc`, 1);
  let reply: unknown;
  void h.router(getCertificate, page).then((r) => {
    reply = r;
  });
  const win = await h.pinWindow();
  await win.stage('confirm');
  await win.confirm();
  // vi.waitFor also moves fake timers on, where a test uses them.
  await vi.waitFor(() => expect(reply).toBeDefined());
  expect(reply).toMatchObject({ ok: true, value: { certificateSha256: SIGN_SHA256 } });
  expect(h.windows.removed).toEqual([]);
  return { h, page, win };
}

/** Another tab's login gets a window now (the slot is free): it is cancelled at once. */
async function otherTabGetsAWindow(h: ReturnType<typeof harness>, n: number): Promise<void> {
  const pending = h.router(authenticate, h.fromPage(`${SITE}/`, 2));
  const win = await h.pinWindow(n);
  await win.cancel();
  expectError(await pending, 'ERR_HPKI_USER_CANCELLED');
}

describe('background: the window held between getSigningCertificate and sign', () => {
  it('another tab gets ERR_HPKI_BUSY for a login, a certificate or a signature; the same tab then signs in the window', async () => {
    const { h, page, win } = await certificateGiven();
    for (const request of [authenticate, getCertificate, signRequest])
      expectError(await h.router(request, h.fromPage(`${SITE}/`, 2)), 'ERR_HPKI_BUSY');
    expect(h.windows.opened).toHaveLength(1);
    expect(h.windows.removed).toEqual([]);

    const pending = h.router(signRequest, page);
    await win.stage('pin');
    expect(await win.submit('5678')).toEqual({ ok: true, value: { outcome: 'done' } });
    expect(await pending).toEqual({ ok: true, value: SIGNATURE });
    expect(h.windows.opened).toHaveLength(1);
    // The signature done, the slot is free.
    await otherTabGetsAWindow(h, 1);
  });

  it('the held window closed by the doctor frees the slot', async () => {
    const { h, win } = await certificateGiven();
    h.windows.userCloses(win.id);
    await otherTabGetsAWindow(h, 1);
  });

  it('the page gone (navigated or reloaded: its port disconnected) closes the held window and frees the slot', async () => {
    const { h, win } = await certificateGiven();
    expectError(await h.router(authenticate, h.fromPage(`${SITE}/`, 2)), 'ERR_HPKI_BUSY');
    h.loginPorts[0]!.abort();
    expect(h.windows.removed).toEqual([win.id]);
    await otherTabGetsAWindow(h, 1);
  });

  it('the tab closed closes the held window and frees the slot', async () => {
    const { h, win } = await certificateGiven();
    h.login.cancelTab(1);
    expect(h.windows.removed).toEqual([win.id]);
    await otherTabGetsAWindow(h, 1);
  });

  it('a login from the same tab closes the held window and opens its own', async () => {
    const { h, page, win } = await certificateGiven();
    const pending = h.router(authenticate, page);
    const login = await h.pinWindow(1);
    expect(h.windows.removed).toEqual([win.id]);
    await login.submit('1234');
    expect(await pending).toMatchObject({ ok: true });
    await otherTabGetsAWindow(h, 2);
  });

  it('a sign from another origin in the tab does not get the held window: it closes, the slot is free', async () => {
    const { h, win } = await certificateGiven();
    // Another origin in the same tab is another page; the hold is for SITE only (OTHER is not enabled).
    expectError(await h.router(signRequest, h.fromPage(`${OTHER}/`, 1)), 'ERR_HPKI_SITE_NOT_ALLOWED');
    expect(h.windows.removed).toEqual([win.id]);
    expect(h.windows.opened).toHaveLength(1);
    await otherTabGetsAWindow(h, 1);
  });
});

describe('background: the held window and the site check', () => {
  it('a site disabled before the sign comes: the sign is refused, the held window closes, the slot is free', async () => {
    const { h, page, win } = await certificateGiven();
    const options = { id: EXT_ID, url: `${BASE}options.html` };
    expect(await h.router({ kind: 'site-disable', origin: SITE }, options)).toMatchObject({ ok: true });
    expectError(await h.router(signRequest, page), 'ERR_HPKI_SITE_NOT_ALLOWED');
    expect(h.windows.removed).toEqual([win.id]);
    expect(h.record.requests.map((r) => r.command)).not.toContain('sign');
    const other = h.router(getCertificate, h.fromPage(`${SITE}/`, 2));
    expectError(await other, 'ERR_HPKI_SITE_NOT_ALLOWED');
    // Refused by the site check, which comes after the slot: a slot still taken would answer ERR_HPKI_BUSY.
    expect(h.windows.opened).toHaveLength(1);
  });
});

describe('background: the held window waits for the sign a bounded time', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it(`after ${HELD_WINDOW_MS / 1000} s without a sign the window closes and the slot is free`, async () => {
    const { h, page, win } = await certificateGiven();
    await vi.advanceTimersByTimeAsync(HELD_WINDOW_MS - 1_000);
    expectError(await h.router(authenticate, h.fromPage(`${SITE}/`, 2)), 'ERR_HPKI_BUSY');
    expect(h.windows.removed).toEqual([]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(h.windows.removed).toEqual([win.id]);
    // The tab's late sign opens a window of its own (the fake host answers on real timers).
    vi.useRealTimers();
    const late = h.router(signRequest, page);
    const own = await h.pinWindow(1);
    await own.stage('pin');
    await own.submit('5678');
    expect(await late).toEqual({ ok: true, value: SIGNATURE });
  });
});
