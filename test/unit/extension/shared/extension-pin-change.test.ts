import { describe, expect, it } from 'vitest';
import { pinChangeProblem } from '../../../../extension/shared/pin-change-form.js';
import {
  BASE,
  certificateAnswer,
  expectError,
  type HostScript,
  harness,
  SITE,
} from '../../../helpers/extension-harness.js';

/** The background's PIN change route for the extension's own pages (options, popup). */

const OPTIONS = `${BASE}options.html`;

/** A card with both applications, PIN 1234 each, whose counters go down on a wrong current PIN. */
function twoPinCard(): { script: HostScript; pins: Record<'auth' | 'sign', string>; retries: Record<string, number> } {
  const pins = { auth: '1234', sign: '1234' };
  const retries: Record<string, number> = { auth: 15, sign: 15 };
  const script: HostScript = {
    'get-certificate': () => certificateAnswer(retries.auth),
    'get-signing-certificate': () => certificateAnswer(retries.sign),
    'change-pin': (params) => {
      const application = params?.application as 'auth' | 'sign';
      if (retries[application] === 0) return { error: { code: 'ERR_HPKI_PIN_BLOCKED', message: 'blocked' } };
      if (params?.pin !== pins[application]) {
        retries[application]!--;
        return retries[application] === 0
          ? { error: { code: 'ERR_HPKI_PIN_BLOCKED', message: 'blocked' } }
          : { error: { code: 'ERR_HPKI_PIN_INCORRECT', message: 'wrong', retriesLeft: retries[application]! } };
      }
      pins[application] = String(params.newPin);
      retries[application] = 15;
      return { result: {} };
    },
  };
  return { script, pins, retries };
}

function setup() {
  const card = twoPinCard();
  const h = harness({ host: { script: card.script } });
  const fromOptions = { id: h.fromPage(OPTIONS).id, url: OPTIONS };
  return { ...card, h, fromOptions };
}

describe('background: PIN change from the extension pages', () => {
  it('gives each application its own tries left', async () => {
    const { h, fromOptions, retries } = setup();
    retries.sign = 9;
    expect(await h.background({ kind: 'pin-change-tries', application: 'auth' }, fromOptions)).toEqual({
      ok: true,
      value: { application: 'auth', retriesLeft: 15, maxRetries: 15 },
    });
    expect(await h.background({ kind: 'pin-change-tries', application: 'sign' }, fromOptions)).toEqual({
      ok: true,
      value: { application: 'sign', retriesLeft: 9, maxRetries: 15 },
    });
    expect(h.record.requests.map((r) => r.command)).toEqual(['get-certificate', 'get-signing-certificate']);
  });

  it('changes the chosen PIN once and sends the host exactly what was typed', async () => {
    const { h, fromOptions, pins } = setup();
    const reply = await h.background(
      { kind: 'pin-change', application: 'sign', pin: '1234', newPin: 'n3w-PIN!' },
      fromOptions,
    );
    expect(reply).toEqual({ ok: true, value: null });
    expect(pins).toEqual({ auth: '1234', sign: 'n3w-PIN!' });
    expect(h.record.requests).toEqual([
      {
        id: expect.anything(),
        command: 'change-pin',
        params: { application: 'sign', pin: '1234', newPin: 'n3w-PIN!' },
      },
    ]);
    expect(h.record.disconnects).toBe(1);
  });

  it('a wrong current PIN is answered once, localized, with the tries left, and never retried', async () => {
    const { h, fromOptions } = setup();
    const reply = await h.background(
      { kind: 'pin-change', application: 'auth', pin: '9999', newPin: '5678' },
      fromOptions,
    );
    const error = expectError(reply, 'ERR_HPKI_PIN_INCORRECT');
    expect(error).toMatchObject({ retriesLeft: 14 });
    expect(error.message).toContain('14');
    expect(h.record.requests.filter((r) => r.command === 'change-pin')).toHaveLength(1);
  });

  it('the last wrong PIN reports the lock with what to do', async () => {
    const { h, fromOptions, retries } = setup();
    retries.auth = 1;
    const error = expectError(
      await h.background({ kind: 'pin-change', application: 'auth', pin: '9999', newPin: '5678' }, fromOptions),
      'ERR_HPKI_PIN_BLOCKED',
    );
    expect(error.message).toContain('ロック');
  });

  it.each([
    ['a new PIN of 3 characters', '1234', '567'],
    ['a new PIN of 17 characters', '1234', 'a'.repeat(17)],
    ['a new PIN with a space', '1234', '12 34'],
    ['a new PIN outside ASCII', '1234', '１２３４'],
    ['a current PIN of 3 characters', '123', '5678'],
  ])('%s is refused with ERR_HPKI_INVALID_ARGUMENT before any host starts', async (_, pin, newPin) => {
    const { h, fromOptions } = setup();
    expectError(
      await h.background({ kind: 'pin-change', application: 'auth', pin, newPin }, fromOptions),
      'ERR_HPKI_INVALID_ARGUMENT',
    );
    expect(h.record.connects).toBe(0);
  });

  it('refuses malformed requests: unknown application, extra fields, oversized PINs', async () => {
    const { h, fromOptions } = setup();
    for (const message of [
      { kind: 'pin-change', application: 'other', pin: '1234', newPin: '5678' },
      { kind: 'pin-change', application: 'auth', pin: '1234', newPin: '5678', reader: 'x' },
      { kind: 'pin-change', application: 'auth', pin: '1'.repeat(65), newPin: '5678' },
      { kind: 'pin-change-tries' },
    ])
      expectError(await h.background(message, fromOptions), 'ERR_HPKI_INVALID_ARGUMENT');
    expect(h.record.connects).toBe(0);
  });

  it('only the extension own pages may send it: not a content script, the PIN window or another extension', async () => {
    const { h, pins } = setup();
    const change = { kind: 'pin-change', application: 'auth', pin: '1234', newPin: '5678' };
    const senders = [
      h.fromPage(`${SITE}/`),
      { id: h.fromPage(OPTIONS).id, url: `${BASE}pin.html?session=x`, tab: { id: 3 }, frameId: 0 },
      { id: 'another-extension-id', url: `chrome-extension://another-extension-id/options.html` },
      { id: h.fromPage(OPTIONS).id },
    ];
    for (const sender of senders) {
      const error = expectError(await h.background(change, sender), 'ERR_HPKI_INVALID_ARGUMENT');
      expect(error.message).not.toContain('1234');
      expectError(
        await h.background({ kind: 'pin-change-tries', application: 'auth' }, sender),
        'ERR_HPKI_INVALID_ARGUMENT',
      );
    }
    expect(pins.auth).toBe('1234');
    expect(h.record.connects).toBe(0);
  });
});

describe('the PIN change form checks what it can before sending', () => {
  it.each([
    ['1234', '5678', '5678', null],
    ['1234', 'abcDEF!#$%&()*+,', 'abcDEF!#$%&()*+,', null],
    ['1234', '5678', '5679', 'mismatch'],
    ['1234', '567', '567', 'invalid'],
    ['1234', 'a'.repeat(17), 'a'.repeat(17), 'invalid'],
    ['1234', '56 78', '56 78', 'invalid'],
    ['1234', 'ｐｉｎ１２', 'ｐｉｎ１２', 'invalid'],
    ['', '5678', '5678', 'invalid'],
  ])('current %j, new %j, again %j → %s', (pin, newPin, again, problem) => {
    expect(pinChangeProblem(pin, newPin, again)).toBe(problem);
  });
});
