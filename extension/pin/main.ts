import browser from 'webextension-polyfill';
import { askBackground, browserTranslator, langFromTag, localizePage, wireOf } from '../shared/index.js';
import type { PinEvent, PinViewState } from './pin-state.js';
import { canEnterPin, initialPinState, pinFormatOk, purposeFromSearch, reducePin } from './pin-state.js';
import { findPinElements, renderPin } from './pin-view.js';

/**
 * The PIN window. The PIN is read from the field, the field is cleared at once, and the only other
 * copy is the message to the background; nothing here logs or stores it. Enter submits (a form).
 */

const t = browserTranslator(browser.i18n);
localizePage(document, t, langFromTag(browser.i18n.getUILanguage()));
const els = findPinElements(document);
const session = new URLSearchParams(location.search).get('session') ?? '';
// The purpose comes with the URL, so the first paint, before `pin-open` answers, is already right.
let state: PinViewState = initialPinState(purposeFromSearch(location.search));

function choose(reader: string): void {
  void askBackground(browser.runtime, { kind: 'pin-choose', session, reader }).catch(() => undefined);
}

function dispatch(event: PinEvent): void {
  state = reducePin(state, event);
  renderPin(document, els, state, t, new Date(), choose);
  if (state.over === 'done') window.close();
}

/** Shows the background's view, then each change of it, until the login ends. */
async function follow(): Promise<void> {
  let view = await askBackground(browser.runtime, { kind: 'pin-open', session });
  for (;;) {
    dispatch({ type: 'view', view });
    view = await askBackground(browser.runtime, { kind: 'pin-watch', session, after: view.version });
  }
}

els.form.addEventListener('submit', (event) => {
  event.preventDefault();
  if (!canEnterPin(state)) return;
  let pin: string | undefined = els.pin.value;
  els.pin.value = '';
  if (!pinFormatOk(pin)) {
    pin = undefined;
    dispatch({ type: 'invalid-format' });
    return;
  }
  dispatch({ type: 'submitted' });
  const request = { kind: 'pin-submit', session, pin } as const;
  pin = undefined;
  askBackground(browser.runtime, request).then(
    (outcome) => dispatch({ type: 'answered', outcome }),
    (err: unknown) => dispatch({ type: 'answered', outcome: { outcome: 'failed', error: wireOf(err) } }),
  );
});

els.confirm.addEventListener('click', () => {
  els.confirm.disabled = true;
  void askBackground(browser.runtime, { kind: 'pin-confirm', session })
    .catch(() => undefined)
    .finally(() => {
      els.confirm.disabled = false;
    });
});

els.cancel.addEventListener('click', () => {
  void askBackground(browser.runtime, { kind: 'pin-cancel', session })
    .catch(() => undefined)
    .finally(() => window.close());
});

follow().catch(() => {
  // The login has ended: a window kept open (an error, a locked card) keeps what it shows.
  if (state.phase === 'reading' && !state.checking && state.over === null) dispatch({ type: 'load-failed' });
});
renderPin(document, els, state, t, new Date(), choose);
