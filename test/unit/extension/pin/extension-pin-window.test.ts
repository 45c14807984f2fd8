import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { PinSubmission, WindowsApi } from '../../../../extension/background/pin-prompts.js';
import { createPinPrompts } from '../../../../extension/background/pin-prompts.js';
import { askerOf } from '../../../../extension/pin/asker.js';
import type { PinEvent, PinViewState } from '../../../../extension/pin/pin-state.js';
import {
  canEnterPin,
  INITIAL_PIN_STATE,
  initialPinState,
  pinFormatOk,
  purposeFromSearch,
  reducePin,
  STRONG_WARNING_AT,
  unlockAuthority,
} from '../../../../extension/pin/pin-state.js';
import { PURPOSE_TEXTS } from '../../../../extension/pin/pin-view.js';
import { translatorFor } from '../../../../extension/shared/catalogs.js';
import { EXPIRY_WARNING_DAYS, expiryStatus } from '../../../../extension/shared/expiry.js';
import type { PinWindowModel, PinWindowView } from '../../../../extension/shared/runtime-messages.js';
import { CLIENT_ERROR_CODES, HpkiError } from '../../../../protocol/errors.js';

// The PIN window's rules (tries left, warning, blocked card, format) as pure state, and the
// background's side of the window (cancel on close, timeout, one PIN at a time).

const MODEL: PinWindowModel = {
  siteName: '晴れやかネット',
  origin: 'https://portal.example.jp',
  holder: { name: 'Nichii Taro', nameJa: '日医　太郎', role: 'Medical Doctor' },
  issuerName: 'HPKI-01-MockAuthCA-forAuthentication-forIndividual',
  notAfter: '2031-11-20T12:22:33.000Z',
  retriesLeft: 15,
  maxRetries: 15,
  roles: ['Medical Doctor'],
};

const ja = translatorFor('ja');
const en = translatorFor('en');

function loaded(model: Partial<PinWindowModel> = {}): PinViewState {
  return reducePin(INITIAL_PIN_STATE, { type: 'loaded', model: { ...MODEL, ...model } });
}

function texts(state: PinViewState, t = ja): string[] {
  return state.notices.map((n) => t(n.key, n.substitutions));
}

describe('PIN window: who asks', () => {
  it("puts the origin's host first and marks the descriptor's name as the site's own words", () => {
    expect(askerOf('https://portal.example.jp', '晴れやかネット')).toEqual({
      scheme: 'https://',
      host: 'portal.example.jp',
      claimedName: '晴れやかネット',
    });
    expect(askerOf('http://localhost:8787', 'x').host).toBe('localhost:8787');
    // An IDN host is shown in the ASCII form the browser reports, so look-alike letters cannot hide.
    expect(askerOf('https://xn--eckwd4c7c.example', 'x').host).toBe('xn--eckwd4c7c.example');
    const claim = ja('pin_site_claim', ['晴れやかネット']);
    expect(claim).toContain('「晴れやかネット」');
    expect(claim).toMatch(/名乗り/);
    expect(en('pin_site_claim', ['Hareyaka Net'])).toMatch(/calls itself.*Hareyaka Net/);
  });

  it('says nothing more when the name is only the host again', () => {
    expect(askerOf('https://clinic.example:8443', 'clinic.example:8443').claimedName).toBeNull();
    expect(askerOf('https://clinic.example', '  ').claimedName).toBeNull();
  });
});

describe('PIN window: the stages of a window-first login', () => {
  const asker = { siteName: MODEL.siteName, origin: MODEL.origin, roles: [] };
  const view = (version: number, stage: PinWindowView['stage']): PinWindowView => ({ ...asker, version, stage });

  it('starts in reading with who asks, waits in insert-card, offers a choice, then asks for the PIN', () => {
    let state = reducePin(INITIAL_PIN_STATE, { type: 'view', view: view(1, { phase: 'reading' }) });
    expect(state.phase).toBe('reading');
    expect(state.asker).toEqual(asker);
    state = reducePin(state, { type: 'view', view: view(2, { phase: 'insert-card' }) });
    expect(state.phase).toBe('insert-card');
    expect(texts(state)[0]).toContain('カードリーダーに置いてください');
    expect(canEnterPin(state)).toBe(false);
    const cards = [{ reader: 'R1', holder: MODEL.holder, issuerName: 'CA', notAfter: MODEL.notAfter }];
    state = reducePin(state, { type: 'view', view: view(3, { phase: 'choose-card', cards }) });
    expect(state.phase).toBe('choose-card');
    expect(state.choices).toEqual(cards);
    state = reducePin(state, { type: 'view', view: view(4, { phase: 'pin', model: MODEL }) });
    expect(state.phase).toBe('pin');
    expect(canEnterPin(state)).toBe(true);
    expect(state.choices).toEqual([]);
  });

  it("a changed tries count of the same card does not undo the answer's phase", () => {
    const submitting = reducePin(loaded(), { type: 'submitted' });
    const after = reducePin(submitting, {
      type: 'view',
      view: view(5, { phase: 'pin', model: { ...MODEL, retriesLeft: 14 } }),
    });
    expect(after).toMatchObject({ phase: 'reading', checking: true });
  });

  it('a missing host: error, with what to do', () => {
    const state = reducePin(INITIAL_PIN_STATE, {
      type: 'view',
      view: view(2, { phase: 'error', error: { code: 'ERR_HPKI_NATIVE_UNAVAILABLE', message: 'not found' } }),
    });
    expect(state.phase).toBe('error');
    expect(texts(state).join('\n')).toMatch(/hpki-login install-host[\s\S]*hpki-login doctor/);
    expect(texts(state, en).join('\n')).toContain('hpki-login doctor');
  });
});

describe('PIN window state', () => {
  it('starts reading, then pin with the tries left and no warning on a fresh card', () => {
    expect(INITIAL_PIN_STATE.phase).toBe('reading');
    expect(canEnterPin(INITIAL_PIN_STATE)).toBe(false);
    const state = loaded();
    expect(state).toMatchObject({ phase: 'pin', retriesLeft: 15, notices: [] });
    expect(canEnterPin(state)).toBe(true);
  });

  it('a wrong PIN keeps the window in pin and says how many tries remain', () => {
    let state = reducePin(loaded(), { type: 'submitted' });
    expect(state).toMatchObject({ phase: 'reading', checking: true });
    expect(canEnterPin(state)).toBe(false);
    state = reducePin(state, { type: 'answered', outcome: { outcome: 'retry', retriesLeft: 14 } });
    expect(state).toMatchObject({ phase: 'pin', checking: false, retriesLeft: 14 });
    expect(texts(state)).toEqual(['暗証番号が違います。残り 14 回入力できます。']);
    expect(texts(state, en)).toEqual(['Wrong PIN. 14 tries left.']);
  });

  it(`warns strongly at ${STRONG_WARNING_AT} tries left or fewer, after a wrong PIN and on opening`, () => {
    for (const left of [4, 3, 2, 1]) {
      const state = reducePin(reducePin(loaded(), { type: 'submitted' }), {
        type: 'answered',
        outcome: { outcome: 'retry', retriesLeft: left },
      });
      const tones = state.notices.map((n) => n.tone);
      expect(tones).toEqual(left <= STRONG_WARNING_AT ? ['warning'] : ['error']);
    }
    const opened = loaded({ retriesLeft: 2 });
    expect(opened.notices.map((n) => n.key)).toEqual(['pin_warning_strong']);
    expect(texts(opened)[0]).toContain('残り 2 回');
    expect(texts(opened)[0]).toContain('ロック');
  });

  it('a blocked card explains the issuer’s unlock procedure and takes no PIN', () => {
    const jma = reducePin(
      reducePin(loaded({ issuerName: 'HPKI-01-HPKI_JV2-forAuthentication' }), { type: 'submitted' }),
      {
        type: 'answered',
        outcome: { outcome: 'blocked' },
      },
    );
    expect(jma.phase).toBe('blocked');
    expect(canEnterPin(jma)).toBe(false);
    expect(texts(jma).join('\n')).toContain('日本医師会電子認証センター');
    expect(texts(jma).join('\n')).toContain('郵送');

    const medis = loaded({ retriesLeft: 0, issuerName: 'HPKI-01-MedisAuthCA2-forAuthentication-forIndividual' });
    expect(medis.phase).toBe('blocked');
    expect(texts(medis).join('\n')).toContain('MEDIS');
    expect(texts(medis).join('\n')).toContain('郵送');

    const other = loaded({ retriesLeft: 0 });
    expect(texts(other, en).join('\n')).toContain('HPKI-01-MockAuthCA-forAuthentication-forIndividual');
  });

  it('recognizes the issuers', () => {
    expect(unlockAuthority('HPKI-01-HPKI_JV2-forNonRepudiation')).toBe('jma');
    expect(unlockAuthority('Japan Medical Association CA')).toBe('jma');
    expect(unlockAuthority('HPKI-01-MedisAuthCA2-forAuthentication-forIndividual')).toBe('medis');
    expect(unlockAuthority('HPKI-01-MockAuthCA-forAuthentication-forIndividual')).toBe('other');
    expect(unlockAuthority(null)).toBe('other');
  });

  it('checks the PIN format before sending anything', () => {
    expect(['1234', 'abcd1234', '!#$%', 'x'.repeat(16)].every(pinFormatOk)).toBe(true);
    expect(['', '123', 'x'.repeat(17), '12 34', '１２３４', '1234\n'].some(pinFormatOk)).toBe(false);
    const state = reducePin(loaded({ retriesLeft: 3 }), { type: 'invalid-format' });
    expect(state.phase).toBe('pin');
    expect(state.notices.map((n) => n.key)).toEqual(['pin_format_invalid', 'pin_warning_strong']);
  });

  it('ignores a submit while one is being checked', () => {
    const submitting = reducePin(loaded(), { type: 'submitted' });
    expect(reducePin(submitting, { type: 'submitted' })).toBe(submitting);
    expect(reducePin(submitting, { type: 'invalid-format' })).toBe(submitting);
  });

  it('shows a card error in words and stops', () => {
    const state = reducePin(reducePin(loaded(), { type: 'submitted' }), {
      type: 'answered',
      outcome: { outcome: 'failed', error: { code: 'ERR_HPKI_CARD_REMOVED', message: 'reader says no card' } },
    });
    expect(state).toMatchObject({ phase: 'error', over: 'failed' });
    expect(texts(state)).toEqual([
      '途中でカードが取り外されました。カードを置いたまま、もう一度ログインしてください。',
    ]);
  });

  it('a session that is gone says so', () => {
    expect(reducePin(INITIAL_PIN_STATE, { type: 'load-failed' })).toMatchObject({
      phase: 'error',
      over: 'gone',
      notices: [{ key: 'pin_session_gone' }],
    });
  });
});

describe('certificate expiry', () => {
  const now = new Date('2031-01-01T00:00:00Z');
  it(`warns under ${EXPIRY_WARNING_DAYS} days`, () => {
    expect(expiryStatus('2031-11-20T12:22:33Z', now)).toEqual({ state: 'ok', daysLeft: 323 });
    expect(expiryStatus('2031-03-01T00:00:00Z', now)).toEqual({ state: 'soon', daysLeft: 59 });
    expect(expiryStatus('2031-03-02T00:00:00Z', now)).toEqual({ state: 'ok', daysLeft: 60 });
    expect(expiryStatus('2030-12-31T23:59:59Z', now)).toEqual({ state: 'expired' });
    expect(expiryStatus(null, now)).toEqual({ state: 'unknown' });
    expect(expiryStatus('not a date', now)).toEqual({ state: 'unknown' });
  });
});

describe('PIN window broker', () => {
  afterEach(() => vi.useRealTimers());

  function windows() {
    const listeners: Array<(id: number) => void> = [];
    const removed: number[] = [];
    const api: WindowsApi & { removed: number[]; close(id: number): void; urls: string[] } = {
      removed,
      urls: [],
      async create(data) {
        api.urls.push(data.url);
        return { id: 7 };
      },
      async remove(id) {
        removed.push(id);
        listeners.forEach((l) => l(id));
      },
      onRemoved: { addListener: (l) => void listeners.push(l) },
      close: (id) => listeners.forEach((l) => l(id)),
    };
    return api;
  }

  const SESSION = '11111111-1111-4111-8111-111111111111';

  function broker() {
    const w = windows();
    const prompts = createPinPrompts({
      windows: w,
      pageUrl: (s) => `chrome-extension://x/pin.html?session=${s}`,
      newSessionId: () => SESSION,
    });
    return { w, prompts };
  }

  it('cancels when the user closes the window', async () => {
    const { w, prompts } = broker();
    const prompt = await prompts.open(MODEL, 120_000);
    prompt.show({ phase: 'pin', model: MODEL });
    const next = prompt.nextPin();
    w.close(7);
    await expect(next).rejects.toMatchObject({ code: 'ERR_HPKI_USER_CANCELLED' });
    await expect(prompt.nextPin()).rejects.toMatchObject({ code: 'ERR_HPKI_USER_CANCELLED' });
    expect(() => prompts.model(SESSION)).toThrow(HpkiError);
  });

  it('times out and closes the window', async () => {
    vi.useFakeTimers();
    const { w, prompts } = broker();
    const prompt = await prompts.open(MODEL, 30_000);
    prompt.show({ phase: 'pin', model: MODEL });
    const next = prompt.nextPin();
    const caught = next.catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(await caught).toMatchObject({ code: 'ERR_HPKI_USER_TIMEOUT' });
    expect(w.removed).toEqual([7]);
  });

  it('does not time out while the card is checking a PIN, and gives the user a fresh period after', async () => {
    vi.useFakeTimers();
    const { prompts } = broker();
    const prompt = await prompts.open(MODEL, 30_000);
    prompt.show({ phase: 'pin', model: MODEL });
    const next = prompt.nextPin();
    await vi.advanceTimersByTimeAsync(29_000);
    const outcome = prompts.submit(SESSION, '9999');
    const submission = await next;
    await vi.advanceTimersByTimeAsync(60_000);
    submission.reply({ outcome: 'retry', retriesLeft: 14 });
    expect(await outcome).toEqual({ outcome: 'retry', retriesLeft: 14 });
    const again = prompt.nextPin();
    const settled = again.then(
      (s) => s.takePin(),
      (e: unknown) => e,
    );
    await vi.advanceTimersByTimeAsync(29_000);
    void prompts.submit(SESSION, '1234');
    expect(await settled).toBe('1234');
  });

  it('hands the PIN over once', async () => {
    const { prompts } = broker();
    const prompt = await prompts.open(MODEL, 120_000);
    prompt.show({ phase: 'pin', model: MODEL });
    const next = prompt.nextPin();
    void prompts.submit(SESSION, '1234');
    const submission: PinSubmission = await next;
    expect(submission.takePin()).toBe('1234');
    expect(() => submission.takePin()).toThrow();
  });

  it('keeps a PIN submitted before the login asked for it', async () => {
    const { prompts } = broker();
    const prompt = await prompts.open(MODEL, 120_000);
    prompt.show({ phase: 'pin', model: MODEL });
    const outcome = prompts.submit(SESSION, '1234');
    const submission = await prompt.nextPin();
    expect(submission.takePin()).toBe('1234');
    submission.reply({ outcome: 'done' });
    expect(await outcome).toEqual({ outcome: 'done' });
  });

  it('refuses a second PIN while one is being checked', async () => {
    const { prompts } = broker();
    const prompt = await prompts.open(MODEL, 120_000);
    prompt.show({ phase: 'pin', model: MODEL });
    const next = prompt.nextPin();
    void prompts.submit(SESSION, '1111');
    await next;
    expect(await prompts.submit(SESSION, '2222')).toMatchObject({
      outcome: 'failed',
      error: { code: 'ERR_HPKI_BUSY' },
    });
  });

  it('a finished prompt closes its window, unless asked to keep it for the blocked message', async () => {
    const { w, prompts } = broker();
    const prompt = await prompts.open(MODEL, 120_000);
    prompt.show({ phase: 'blocked', model: { ...MODEL, retriesLeft: 0 } });
    prompt.finish(true);
    expect(w.removed).toEqual([]);
    expect(prompts.model(SESSION)).toMatchObject({ stage: { phase: 'blocked', model: { retriesLeft: 0 } } });
    expect(await prompts.submit(SESSION, '1234')).toMatchObject({ outcome: 'failed' });
    w.close(7);
    expect(() => prompts.model(SESSION)).toThrow(HpkiError);

    const second = broker();
    const p2 = await second.prompts.open(MODEL, 120_000);
    p2.finish();
    expect(second.w.removed).toEqual([7]);
  });

  it('opens in reading, then tells the window each new stage; a choice goes back to the login', async () => {
    const { prompts } = broker();
    const prompt = await prompts.open({ siteName: MODEL.siteName, origin: MODEL.origin, roles: [] }, 120_000);
    const first = prompts.model(SESSION);
    expect(first).toMatchObject({ origin: MODEL.origin, stage: { phase: 'reading' } });
    const next = prompts.watch(SESSION, first.version);
    prompt.show({ phase: 'insert-card' });
    expect(await next).toMatchObject({ stage: { phase: 'insert-card' } });
    // A PIN is not taken while the window does not ask for one.
    expect(await prompts.submit(SESSION, '1234')).toMatchObject({ outcome: 'failed' });
    const cards = [
      { reader: 'R0', holder: MODEL.holder, issuerName: 'CA', notAfter: MODEL.notAfter },
      { reader: 'R1', holder: { name: 'Other', role: 'Medical Doctor' }, issuerName: 'CA', notAfter: MODEL.notAfter },
    ];
    prompt.show({ phase: 'choose-card', cards });
    const chosen = prompt.nextChoice();
    expect(() => prompts.choose(SESSION, 'elsewhere')).toThrow(HpkiError);
    prompts.choose(SESSION, 'R1');
    expect(await chosen).toBe('R1');
  });

  it('leaving pin drops the PIN wait and withdraws a PIN the card never saw; a choice never replaces it', async () => {
    const { prompts } = broker();
    const prompt = await prompts.open(MODEL, 120_000);
    prompt.show({ phase: 'pin', model: MODEL });
    const waiting = prompt.nextPin();
    // One wait at a time, in its own phase: a choice cannot take the PIN wait's place.
    await expect(prompt.nextChoice()).rejects.toThrow(/outside phase choose-card/);
    await expect(prompt.nextPin()).rejects.toThrow(/already pending/);
    prompt.show({ phase: 'insert-card' });
    await expect(waiting).rejects.toMatchObject({ code: 'ERR_HPKI_INTERNAL' });

    prompt.show({ phase: 'pin', model: MODEL });
    const early = prompts.submit(SESSION, '1234');
    prompt.show({ phase: 'insert-card' });
    expect(await early).toEqual({ outcome: 'withdrawn' });
    prompt.show({ phase: 'pin', model: MODEL });
    const next = prompt.nextPin();
    const typed = prompts.submit(SESSION, '5678');
    expect((await next).takePin()).toBe('5678');
    prompt.finish();
    expect(await typed).toMatchObject({ outcome: 'failed', error: { code: 'ERR_HPKI_INTERNAL' } });
  });

  it('reports a window that cannot be opened', async () => {
    const prompts = createPinPrompts({
      windows: { ...windows(), create: async () => Promise.reject(new Error('no display')) },
      pageUrl: () => 'x',
      newSessionId: () => SESSION,
    });
    await expect(prompts.open(MODEL, 1000)).rejects.toMatchObject({ code: 'ERR_HPKI_INTERNAL' });
  });
});

/** What the background shows a signature's window (the model and origin of MODEL). */
function signView(version: number, stage: PinWindowView['stage']): PinWindowView {
  return { siteName: MODEL.siteName, origin: MODEL.origin, roles: [], purpose: 'sign', version, stage };
}

describe('PIN window: 電子署名 (PROTOCOL.md §11)', () => {
  const signModel: PinWindowModel = {
    ...MODEL,
    purpose: 'sign',
    document: { label: '紹介状', hashStart: 'a0a1a2a3a4a5a6a7', hashAlgorithm: 'SHA-256' },
  };

  it('confirm shows the card and what the site will receive, then waits for the site after the consent', () => {
    let state = reducePin(INITIAL_PIN_STATE, {
      type: 'view',
      view: signView(1, { phase: 'confirm', model: signModel }),
    });
    expect(state.phase).toBe('confirm');
    expect(state.purpose).toBe('sign');
    expect(canEnterPin(state)).toBe(false);
    expect(texts(state).join()).toMatch(/氏名.*識別番号/);
    state = reducePin(state, { type: 'view', view: signView(2, { phase: 'reading' }) });
    expect(texts(state)).toEqual([ja('sign_waiting')]);
    state = reducePin(state, { type: 'view', view: signView(3, { phase: 'pin', model: signModel }) });
    expect(state.phase).toBe('pin');
    expect(state.model?.document?.label).toBe('紹介状');
    expect(canEnterPin(state)).toBe(true);
  });

  it('the signing texts say 電子署名 and never ログイン; the label is quoted as the site’s words', () => {
    const keys = [
      'sign_title',
      'sign_heading',
      'sign_request',
      'sign_consent',
      'sign_submit',
      'sign_input_label',
    ] as const;
    for (const key of keys) expect(ja(key)).not.toMatch(/ログイン/);
    expect(ja('sign_heading')).toContain('電子署名');
    expect(en('sign_heading')).toMatch(/Sign/);
    expect(ja('sign_label_claim', ['紹介状'])).toBe('「紹介状」');
  });
});

describe('PIN window: a signature’s words in every state (PROTOCOL.md §11: 電子署名, never ログイン)', () => {
  const signModel: PinWindowModel = {
    ...MODEL,
    purpose: 'sign',
    issuerName: 'HPKI-01-HPKI_JV2-forNonRepudiation',
    document: { hashStart: 'a0a1a2a3a4a5a6a7', hashAlgorithm: 'SHA-256' },
  };
  const cards = [{ reader: 'R1', holder: MODEL.holder, issuerName: 'CA', notAfter: MODEL.notAfter }];
  const on = (state: PinViewState, ...events: PinEvent[]): PinViewState => events.reduce(reducePin, state);
  const viewOf = (stage: PinWindowView['stage']): PinEvent => ({ type: 'view', view: signView(2, stage) });
  const asked = (retriesLeft: number): PinEvent => viewOf({ phase: 'pin', model: { ...signModel, retriesLeft } });

  /** Every state a signing window reaches: opening, each stage, each answer, each error code. */
  function signingStates(): PinViewState[] {
    const start = initialPinState('sign');
    const states = [
      start,
      on(start, viewOf({ phase: 'reading' })),
      on(start, viewOf({ phase: 'insert-card' })),
      on(start, viewOf({ phase: 'choose-card', cards })),
      on(start, viewOf({ phase: 'confirm', model: signModel })),
      on(start, viewOf({ phase: 'confirm', model: signModel }), viewOf({ phase: 'reading' })),
      on(start, asked(15)),
      on(start, asked(2)),
      on(start, asked(2), { type: 'invalid-format' }),
      on(start, asked(15), { type: 'submitted' }),
      on(start, viewOf({ phase: 'blocked', model: { ...signModel, retriesLeft: 0 } })),
      on(start, viewOf({ phase: 'blocked', model: { ...signModel, retriesLeft: 0, issuerName: 'MEDIS CA' } })),
      on(start, viewOf({ phase: 'blocked', model: { ...signModel, retriesLeft: 0, issuerName: 'Other CA' } })),
      on(start, { type: 'load-failed' }),
    ];
    for (const left of [14, 3, 1])
      states.push(
        on(
          start,
          asked(15),
          { type: 'submitted' },
          { type: 'answered', outcome: { outcome: 'retry', retriesLeft: left } },
        ),
      );
    for (const outcome of [{ outcome: 'blocked' }, { outcome: 'withdrawn' }, { outcome: 'done' }] as const)
      states.push(on(start, asked(15), { type: 'submitted' }, { type: 'answered', outcome }));
    for (const code of CLIENT_ERROR_CODES) {
      const error = code === 'ERR_HPKI_PIN_INCORRECT' ? { code, message: 'x', retriesLeft: 3 } : { code, message: 'x' };
      states.push(on(start, viewOf({ phase: 'error', error })));
      states.push(
        on(start, asked(15), { type: 'submitted' }, { type: 'answered', outcome: { outcome: 'failed', error } }),
      );
    }
    return states;
  }

  /** ログイン, or an English "log in" / "login" (the command `hpki-login` aside: it is a program's name). */
  const speaksOfLogin = (text: string): boolean =>
    /ログイン/.test(text) || /\blog(?:s|ged|ging)?[ -]?in\b/i.test(text.replaceAll('hpki-login', ''));

  it('every notice a signing window shows, in Japanese and in English', () => {
    const states = signingStates();
    expect(states.every((s) => s.purpose === 'sign')).toBe(true);
    for (const state of states) {
      for (const t of [ja, en]) {
        const said = texts(state, t).filter(speaksOfLogin);
        expect(said, `${state.phase}: ${state.notices.map((n) => n.key).join()}`).toEqual([]);
      }
    }
  });

  it('the window’s own texts (title, heading, request, consent, PIN label, submit, tries)', () => {
    for (const key of Object.values(PURPOSE_TEXTS.sign)) {
      expect(speaksOfLogin(ja(key)), key).toBe(false);
      expect(speaksOfLogin(en(key)), key).toBe(false);
    }
    expect(ja(PURPOSE_TEXTS.sign.heading)).toContain('電子署名');
  });

  it('the same states of a login window keep a login’s words', () => {
    const start = initialPinState('login');
    const loginView = (stage: PinWindowView['stage']): PinEvent => ({
      type: 'view',
      view: { siteName: MODEL.siteName, origin: MODEL.origin, roles: [], version: 2, stage },
    });
    expect(texts(on(start, loginView({ phase: 'choose-card', cards })))[0]).toContain('ログイン');
    expect(texts(on(start, { type: 'load-failed' }))[0]).toContain('ログイン');
    const cancelled = on(
      start,
      loginView({ phase: 'error', error: { code: 'ERR_HPKI_USER_CANCELLED', message: 'x' } }),
    );
    expect(texts(cancelled)).toEqual(['ログインを取り消しました。']);
  });

  it('a blocked signing PIN locks signing only; each warning names the one PIN it is about', () => {
    const blocked = on(
      initialPinState('sign'),
      asked(15),
      { type: 'submitted' },
      { type: 'answered', outcome: { outcome: 'blocked' } },
    );
    expect(blocked.notices[0]?.key).toBe('sign_blocked');
    expect(texts(blocked)[0]).toMatch(/署名用の暗証番号がロック/);
    expect(texts(blocked, en)[0]).toMatch(/signing PIN is locked[\s\S]*not affected/);
    // Each application has its own PIN and counter: running out of one locks that one alone.
    expect(texts(on(initialPinState('sign'), asked(2)))[0]).toMatch(
      /署名用の暗証番号がロック[\s\S]*電子署名ができなく/,
    );
    const loginWarning = texts(loaded({ retriesLeft: 2 }));
    expect(loginWarning[0]).toContain('ログインできなく');
    expect(loginWarning[0]).not.toContain('電子署名');
    expect(texts(loaded({ retriesLeft: 2 }), en)[0]).not.toMatch(/sign/i);
  });
});

describe('PIN window: the first paint knows the purpose', () => {
  it('the background opens the window with its purpose in the URL', async () => {
    const seen: string[] = [];
    const api = {
      async create(data: { url: string }) {
        seen.push(data.url);
        return { id: 1 };
      },
      remove: async () => undefined,
      onRemoved: { addListener: () => undefined },
    };
    const prompts = createPinPrompts({
      windows: api,
      pageUrl: (s, purpose) => `pin.html?session=${s}&purpose=${purpose}`,
      newSessionId: () => `s${seen.length}`,
    });
    await prompts.open({ siteName: 'x', origin: MODEL.origin, roles: [], purpose: 'sign' }, 1000);
    await prompts.open({ siteName: 'x', origin: MODEL.origin, roles: [] }, 1000);
    expect(seen).toEqual(['pin.html?session=s0&purpose=sign', 'pin.html?session=s1&purpose=login']);
  });

  it('the window starts with the URL’s purpose; a missing or unknown one is no purpose at all', () => {
    expect(initialPinState(purposeFromSearch('?session=a&purpose=sign'))).toMatchObject({
      purpose: 'sign',
      phase: 'reading',
    });
    expect(purposeFromSearch('?session=a&purpose=login')).toBe('login');
    expect(purposeFromSearch('?session=a')).toBeNull();
    expect(purposeFromSearch('?session=a&purpose=Sign')).toBeNull();
    expect(INITIAL_PIN_STATE.purpose).toBeNull();
    // What the background says wins over the URL; its view without a purpose is a login's.
    const view = { siteName: 'x', origin: MODEL.origin, roles: [], version: 1, stage: { phase: 'reading' as const } };
    expect(reducePin(initialPinState('sign'), { type: 'view', view }).purpose).toBe('login');
    expect(reducePin(initialPinState(null), { type: 'view', view: { ...view, purpose: 'sign' } }).purpose).toBe('sign');
  });

  it('pin.html itself carries no purpose and no purpose’s words before its script runs', () => {
    const html = readFileSync(new URL('../../../../extension/pin/pin.html', import.meta.url), 'utf8');
    expect(html).toMatch(/data-hpki-login="purpose"/);
    expect(html).not.toMatch(/data-purpose=/);
    for (const key of [...Object.values(PURPOSE_TEXTS.login), ...Object.values(PURPOSE_TEXTS.sign)])
      expect(html, key).not.toContain(`"${key}"`);
  });
});
