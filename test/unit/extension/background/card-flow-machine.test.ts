import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { nextStepAfter } from '../../../../extension/background/flow-errors.js';
import { createLoginService } from '../../../../extension/background/login-flow.js';
import { createLoginGate } from '../../../../extension/background/login-gate.js';
import { createPinPrompts } from '../../../../extension/background/pin-prompts.js';
import type { PinSubmitOutcome } from '../../../../extension/shared/runtime-messages.js';
import { HpkiError } from '../../../../protocol/errors.js';
import { CHALLENGE, fakeWindows, SITE } from '../../../helpers/extension-harness.js';
import { modelHost, PIN, READERS } from '../../../helpers/model-host.js';

/**
 * The card flow as a state machine, model-checked cheaply: random sequences of what a doctor, the
 * cards, the page and the host can do, through the real login service, prompt sessions and gate
 * over a model of the host and two readers. Whatever happened, one closing event (the window
 * closed, the page navigated, or the login's time running out) ends the login, and then nothing is
 * held: no host port, no tab entry, no browser slot, no prompt session, no PIN.
 */

const EVENTS = [
  'insert-a',
  'insert-b',
  'pull-a',
  'pull-b',
  'choose-a',
  'choose-b',
  'submit',
  'wrong-pin',
  'cancel',
  'close',
  'navigate',
  'host-crash',
  'timeout',
] as const;
type FlowEvent = (typeof EVENTS)[number];
const ENDINGS = ['close', 'navigate', 'timeout'] as const;
const TIMEOUT_MS = 30_000;

interface Run {
  events: FlowEvent[];
  ending: (typeof ENDINGS)[number];
  cardA: boolean;
  cardB: boolean;
}

function world(run: Pick<Run, 'cardA' | 'cardB'>) {
  const host = modelHost();
  if (run.cardA) host.insert(0);
  if (run.cardB) host.insert(1);
  const windows = fakeWindows();
  let sessions = 0;
  const prompts = createPinPrompts({
    windows,
    pageUrl: (s) => `chrome-extension://x/pin.html?session=${s}`,
    newSessionId: () => `00000000-0000-4000-8000-${String(++sessions).padStart(12, '0')}`,
  });
  const gate = createLoginGate();
  const login = createLoginService({
    connector: host.connector,
    siteAccess: { check: async () => ({ name: 'Site', roles: [] }) },
    prompts,
    gate,
  });
  const page = new AbortController();
  let outcome: { token: unknown } | { error: string } | undefined;
  login.authenticate({ tabId: 1, origin: SITE, challenge: CHALLENGE, timeoutMs: TIMEOUT_MS, signal: page.signal }).then(
    (token) => (outcome = { token }),
    (err: unknown) => (outcome = { error: err instanceof HpkiError ? err.code : String(err) }),
  );
  const submitted: Array<{ settled: PinSubmitOutcome | undefined }> = [];
  const sessionOf = (url: string): string => new URL(url).searchParams.get('session') ?? '';
  const window = () => windows.opened[0];

  /** What the window's button or the user would do; the background refuses what makes no sense. */
  function inWindow(act: (session: string) => void): void {
    const opened = window();
    if (opened === undefined) return;
    try {
      act(sessionOf(opened.url));
    } catch (err) {
      if (!(err instanceof HpkiError)) throw err;
    }
  }

  function submit(pin: string): void {
    inWindow((session) => {
      const answer = prompts.submit(session, pin);
      const record: { settled: PinSubmitOutcome | undefined } = { settled: undefined };
      submitted.push(record);
      void answer.then((o) => (record.settled = o));
    });
  }

  const current = () => {
    const opened = window();
    if (opened === undefined) return undefined;
    try {
      return prompts.model(sessionOf(opened.url));
    } catch {
      return undefined;
    }
  };

  const actions: Record<FlowEvent, () => Promise<void> | 'expect-token' | undefined | void> = {
    'insert-a': () => host.insert(0),
    'insert-b': () => host.insert(1),
    'pull-a': () => host.pull(0),
    'pull-b': () => host.pull(1),
    'choose-a': () => inWindow((s) => prompts.choose(s, READERS[0])),
    'choose-b': () => inWindow((s) => prompts.choose(s, READERS[1])),
    submit: () => {
      const view = current();
      submit(PIN);
      return view?.stage.phase === 'pin' && host.holds(view.stage.model.holder.name) ? 'expect-token' : undefined;
    },
    'wrong-pin': () => submit('0000'),
    cancel: () => inWindow((s) => prompts.cancel(s)),
    close: () => {
      const opened = window();
      if (opened !== undefined) windows.userCloses(opened.id);
    },
    navigate: () => page.abort(),
    'host-crash': () => host.crash(),
    timeout: async () => {
      await vi.advanceTimersByTimeAsync(TIMEOUT_MS);
    },
  };

  return {
    host,
    windows,
    prompts,
    gate,
    submitted,
    outcome: () => outcome,
    async apply(event: FlowEvent): Promise<void> {
      const expectation = await actions[event]();
      // Lets every answer and reaction run (ports answer on later turns).
      await vi.advanceTimersByTimeAsync(1);
      // Liveness: the right PIN for a card that is there, typed when the window asks, logs in.
      if (expectation === 'expect-token') expect(outcome).toMatchObject({ token: expect.anything() });
      // No sequence drives the machine into a state it has no transition for (an internal error).
      expect(outcome).not.toEqual({ error: 'ERR_HPKI_INTERNAL' });
    },
    session: () => {
      const opened = window();
      return opened === undefined ? undefined : sessionOf(opened.url);
    },
  };
}

type World = ReturnType<typeof world>;

/** Nothing of the login is held any more: host, tab entry, browser slot, prompt session, PIN. */
function expectAllReleased(w: World): void {
  expect(w.outcome()).toBeDefined();
  expect(w.host.openPorts()).toBe(0);
  expect(() => w.gate.enterTab(1)).not.toThrow();
  w.gate.leaveTab(1);
  expect(() => w.gate.takeSlot(2)).not.toThrow();
  w.gate.releaseSlot(2);
  expect(w.submitted.every((s) => s.settled !== undefined)).toBe(true);
  const session = w.session();
  if (session === undefined) return;
  // A window kept open shows how the login ended, and waits for nothing but its close button.
  const kept = (() => {
    try {
      return w.prompts.model(session);
    } catch {
      return undefined;
    }
  })();
  if (kept !== undefined) {
    expect(['error', 'blocked']).toContain(kept.stage.phase);
    const opened = w.windows.opened[0];
    if (opened !== undefined) w.windows.userCloses(opened.id);
  }
  expect(() => w.prompts.model(session)).toThrow(HpkiError);
}

const pairsSeen = new Set<string>();

async function play(run: Run): Promise<void> {
  const w = world(run);
  for (const [i, event] of run.events.entries()) {
    if (i > 0) pairsSeen.add(`${run.events[i - 1]}→${event}`);
    await w.apply(event);
  }
  await w.apply(run.ending);
  expectAllReleased(w);
}

describe('the card flow as a state machine', () => {
  afterEach(() => vi.useRealTimers());

  it('ends every login on close, navigation or timeout, and releases everything, whatever came before', async () => {
    vi.useFakeTimers();
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          events: fc.array(fc.constantFrom(...EVENTS), { minLength: 1, maxLength: 14 }),
          ending: fc.constantFrom(...ENDINGS),
          cardA: fc.boolean(),
          cardB: fc.boolean(),
        }),
        play,
      ),
      { numRuns: 400 },
    );
    // Every ordered pair of events was played, one right after the other, in some run.
    expect(pairsSeen.size).toBe(EVENTS.length ** 2);
  }, 120_000);

  it('the regression of issue 19: A at pin, pulled, A and B in, B chosen, PIN → logged in, nothing held', async () => {
    vi.useFakeTimers();
    const w = world({ cardA: true, cardB: false });
    await w.apply('pull-a');
    const session = w.session() ?? '';
    expect(w.prompts.model(session).stage.phase).toBe('insert-card');
    // Both cards go in before the host looks again, so it offers both.
    w.host.insert(0);
    await w.apply('insert-b');
    expect(w.prompts.model(session).stage.phase).toBe('choose-card');
    await w.apply('choose-b');
    expect(w.prompts.model(session).stage).toMatchObject({ phase: 'pin', model: { holder: { name: 'Iryo Hanako' } } });
    await w.apply('submit');
    expect(w.outcome()).toMatchObject({ token: expect.anything() });
    expectAllReleased(w);
  });

  it('one table says what follows an answer to a PIN', () => {
    const error = (code: ConstructorParameters<typeof HpkiError>[0], retriesLeft?: number) =>
      new HpkiError(code, 'x', retriesLeft === undefined ? {} : { retriesLeft });
    expect(nextStepAfter(error('ERR_HPKI_PIN_INCORRECT', 14), 15)).toEqual({ step: 'retry', retriesLeft: 14 });
    expect(nextStepAfter(error('ERR_HPKI_PIN_INCORRECT'), 3)).toEqual({ step: 'retry', retriesLeft: 2 });
    expect(nextStepAfter(error('ERR_HPKI_PIN_INCORRECT', 0), 1)).toMatchObject({
      step: 'blocked',
      error: { code: 'ERR_HPKI_PIN_BLOCKED' },
    });
    expect(nextStepAfter(error('ERR_HPKI_PIN_BLOCKED'), 1)).toMatchObject({ step: 'blocked' });
    expect(nextStepAfter(error('ERR_HPKI_CARD_REMOVED'), 5)).toEqual({ step: 'insert-card' });
    expect(nextStepAfter(error('ERR_HPKI_NO_CARD'), 5)).toEqual({ step: 'insert-card' });
    for (const code of ['ERR_HPKI_CARD_CHANGED', 'ERR_HPKI_NATIVE_UNAVAILABLE', 'ERR_HPKI_INTERNAL'] as const)
      expect(nextStepAfter(error(code), 5)).toMatchObject({ step: 'failed', error: { code } });
  });
});
