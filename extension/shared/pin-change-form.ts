import { PIN_PATTERN } from '../../protocol/challenge.js';
import type { PinApplication } from '../../protocol/messages.js';
import type { Lang, MessageKey, Translate } from './i18n.js';
import { displayError } from './localized-error.js';
import { element } from './page-dom.js';
import { askBackground, type RuntimeSender } from './runtime-client.js';
import type { PinTries } from './runtime-messages.js';

/**
 * The PIN change form of the options page and the popup: the application (login or signing), the
 * current PIN, the new one twice, that application's tries left, the warning that the issuer cannot
 * disclose a PIN changed here, and the result. One click sends one change; the PIN fields are
 * emptied whatever the outcome, and no PIN is logged or kept. Test hooks: docs/extension.md.
 */

export interface PinChangeDeps {
  doc: Document;
  runtime: RuntimeSender;
  t: Translate;
  lang: Lang;
}

/** What the result line says: `data-result` on `[data-hpki-login="pin-change-result"]`. */
export type PinChangeResult = 'done' | 'incorrect' | 'blocked' | 'invalid' | 'mismatch' | 'error';

const APPLICATIONS: ReadonlyArray<{ value: PinApplication; label: MessageKey }> = [
  { value: 'auth', label: 'pinchange_application_auth' },
  { value: 'sign', label: 'pinchange_application_sign' },
];

function pinInput(doc: Document, id: string, label: string): { label: HTMLLabelElement; input: HTMLInputElement } {
  const input = element(doc, 'input', {
    attrs: {
      id,
      name: id,
      type: 'password',
      maxlength: '16',
      autocomplete: 'off',
      spellcheck: 'false',
      autocapitalize: 'off',
      required: '',
      'data-hpki-login': id,
    },
  });
  return { label: element(doc, 'label', { text: label, attrs: { for: id } }), input };
}

function applicationChoice(doc: Document, t: Translate): HTMLFieldSetElement {
  const choices = APPLICATIONS.map(({ value, label }) => {
    const radio = element(doc, 'input', {
      attrs: { type: 'radio', name: 'application', value, 'data-hpki-login': 'pin-application' },
    });
    radio.checked = value === 'auth';
    return element(doc, 'label', { className: 'choice' }, [radio, doc.createTextNode(` ${t(label)}`)]);
  });
  return element(doc, 'fieldset', { className: 'plain' }, [
    element(doc, 'legend', { text: t('pinchange_application') }),
    ...choices,
  ]);
}

/** Checks what the page can check itself; null when the change may be sent. */
export function pinChangeProblem(pin: string, newPin: string, again: string): 'invalid' | 'mismatch' | null {
  if (!PIN_PATTERN.test(pin) || !PIN_PATTERN.test(newPin)) return 'invalid';
  return newPin === again ? null : 'mismatch';
}

/** Builds the form into `container` and reads the chosen application's tries left. */
export function mountPinChange(container: HTMLElement, deps: PinChangeDeps): void {
  const { doc, t } = deps;
  const current = pinInput(doc, 'current-pin', t('pinchange_current'));
  const fresh = pinInput(doc, 'new-pin', t('pinchange_new'));
  const again = pinInput(doc, 'new-pin-again', t('pinchange_again'));
  const tries = element(doc, 'p', { className: 'muted', attrs: { 'data-hpki-login': 'pin-tries' } });
  const submit = element(doc, 'button', {
    className: 'primary',
    text: t('pinchange_submit'),
    attrs: { type: 'submit', 'data-hpki-login': 'pin-change-submit' },
  });
  const result = element(doc, 'div', { attrs: { role: 'alert', 'data-hpki-login': 'pin-change-result' } });
  const choice = applicationChoice(doc, t);
  const form = element(doc, 'form', { attrs: { autocomplete: 'off', 'data-hpki-login': 'change-pin' } }, [
    choice,
    tries,
    element(doc, 'p', {
      className: 'notice warning',
      text: t('pinchange_warning'),
      attrs: { 'data-hpki-login': 'pin-change-warning' },
    }),
    current.label,
    current.input,
    fresh.label,
    fresh.input,
    again.label,
    again.input,
    element(doc, 'p', { className: 'muted', text: t('pinchange_rule') }),
    element(doc, 'div', { className: 'actions' }, [submit]),
    result,
  ]);
  container.replaceChildren(form);

  const application = (): PinApplication =>
    form.querySelector<HTMLInputElement>('input[name="application"]:checked')?.value === 'sign' ? 'sign' : 'auth';

  function showTries(value: PinTries | null, text?: string): void {
    tries.textContent =
      value === null
        ? (text ?? '')
        : value.retriesLeft === 0
          ? t('pinchange_tries_none')
          : t('pinchange_tries', [String(value.retriesLeft), String(value.maxRetries)]);
    tries.dataset.retriesLeft = value === null ? '' : String(value.retriesLeft);
  }

  function readTries(): void {
    const asked = application();
    showTries(null, t('popup_loading'));
    askBackground(deps.runtime, { kind: 'pin-change-tries', application: asked }).then(
      (value) => {
        if (application() === asked) showTries(value);
      },
      (err: unknown) => {
        if (application() === asked) showTries(null, displayError(err, deps.lang).message);
      },
    );
  }

  function say(outcome: PinChangeResult, text: string): void {
    result.replaceChildren(element(doc, 'p', { className: outcome === 'done' ? 'notice info' : 'notice error', text }));
    result.dataset.result = outcome;
  }

  function clearPins(): void {
    for (const input of [current.input, fresh.input, again.input]) input.value = '';
  }

  choice.addEventListener('change', () => {
    result.replaceChildren();
    delete result.dataset.result;
    readTries();
  });

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const asked = application();
    const [pin, newPin] = [current.input.value, fresh.input.value];
    const problem = pinChangeProblem(pin, newPin, again.input.value);
    clearPins();
    if (problem !== null) {
      say(problem, t(problem === 'invalid' ? 'pinchange_invalid' : 'pinchange_mismatch'));
      return;
    }
    submit.disabled = true;
    say('done', t('pinchange_working'));
    delete result.dataset.result;
    askBackground(deps.runtime, { kind: 'pin-change', application: asked, pin, newPin })
      .then(
        () => say('done', t(asked === 'auth' ? 'pinchange_done_auth' : 'pinchange_done_sign')),
        (err: unknown) => {
          const error = displayError(err, deps.lang);
          const outcome: PinChangeResult =
            error.code === 'ERR_HPKI_PIN_INCORRECT'
              ? 'incorrect'
              : error.code === 'ERR_HPKI_PIN_BLOCKED'
                ? 'blocked'
                : error.code === 'ERR_HPKI_INVALID_ARGUMENT'
                  ? 'invalid'
                  : 'error';
          say(outcome, error.message);
        },
      )
      .finally(() => {
        submit.disabled = false;
        readTries();
      });
  });

  readTries();
}
