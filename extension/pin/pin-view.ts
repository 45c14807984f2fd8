import { expiryStatus, formatDate } from '../shared/expiry.js';
import type { Translate } from '../shared/i18n.js';
import { requireElement } from '../shared/page-dom.js';
import { roleLabel } from '../shared/role-label.js';
import { askerOf } from './asker.js';
import type { PinViewState } from './pin-state.js';
import { canEnterPin } from './pin-state.js';

/** Renders a PinViewState into pin.html. Text only through textContent. */

export interface PinElements {
  siteScheme: HTMLElement;
  siteHost: HTMLElement;
  siteClaim: HTMLElement;
  holder: HTMLElement;
  holderRomaji: HTMLElement;
  role: HTMLElement;
  issuer: HTMLElement;
  expiry: HTMLElement;
  expiryNotice: HTMLElement;
  retries: HTMLElement;
  notices: HTMLElement;
  form: HTMLFormElement;
  pin: HTMLInputElement;
  pinLabel: HTMLElement;
  submit: HTMLButtonElement;
  cancel: HTMLButtonElement;
}

export function findPinElements(doc: Document): PinElements {
  return {
    siteScheme: requireElement(doc, '#site-scheme', HTMLElement),
    siteHost: requireElement(doc, '#site-host', HTMLElement),
    siteClaim: requireElement(doc, '#site-claim', HTMLElement),
    holder: requireElement(doc, '[data-hpki-login="holder"]', HTMLElement),
    holderRomaji: requireElement(doc, '#holder-romaji', HTMLElement),
    role: requireElement(doc, '#role', HTMLElement),
    issuer: requireElement(doc, '#issuer', HTMLElement),
    expiry: requireElement(doc, '#expiry', HTMLElement),
    expiryNotice: requireElement(doc, '#expiry-notice', HTMLElement),
    retries: requireElement(doc, '[data-hpki-login="retries"]', HTMLElement),
    notices: requireElement(doc, '#notices', HTMLElement),
    form: requireElement(doc, 'form', HTMLFormElement),
    pin: requireElement(doc, 'input[name="pin"]', HTMLInputElement),
    pinLabel: requireElement(doc, '#pin-label', HTMLElement),
    submit: requireElement(doc, 'button[type="submit"]', HTMLButtonElement),
    cancel: requireElement(doc, '[data-hpki-login="cancel"]', HTMLButtonElement),
  };
}

export function renderPin(doc: Document, els: PinElements, state: PinViewState, t: Translate, now: Date): void {
  const model = state.model;
  const unknown = t('pin_unknown');
  if (model !== null) {
    // The origin's host first and large (the browser's word); the descriptor's name after it, as the site's.
    const asker = askerOf(model.origin, model.siteName);
    els.siteScheme.textContent = asker.scheme;
    els.siteHost.textContent = asker.host;
    els.siteClaim.textContent = asker.claimedName === null ? '' : t('pin_site_claim', [asker.claimedName]);
    els.siteClaim.hidden = asker.claimedName === null;
    els.holder.textContent = model.holder.nameJa ?? model.holder.name;
    els.holderRomaji.textContent = model.holder.nameJa === undefined ? '' : model.holder.name;
    els.role.textContent = model.holder.role ? roleLabel(model.holder.role, t) : unknown;
    els.issuer.textContent = model.issuerName ?? unknown;
    els.expiry.textContent = formatDate(model.notAfter) ?? unknown;
    const expiry = expiryStatus(model.notAfter, now);
    els.expiryNotice.hidden = expiry.state !== 'expired' && expiry.state !== 'soon';
    els.expiryNotice.textContent =
      expiry.state === 'expired'
        ? t('pin_expired')
        : expiry.state === 'soon'
          ? t('pin_expiry_soon', [String(expiry.daysLeft)])
          : '';
  }
  if (state.retriesLeft !== null) {
    els.retries.textContent = t('pin_retries_value', [String(state.retriesLeft)]);
    els.retries.dataset.retriesLeft = String(state.retriesLeft);
  }

  els.notices.replaceChildren(
    ...state.notices.map((notice) => {
      const p = doc.createElement('p');
      p.className = `notice ${notice.tone}`;
      p.textContent = t(notice.key, notice.substitutions);
      return p;
    }),
  );

  const entering = canEnterPin(state);
  const finished = state.phase === 'blocked' || state.phase === 'gone' || state.phase === 'failed';
  els.pin.disabled = !entering;
  els.submit.disabled = !entering;
  els.form.classList.toggle('finished', finished);
  els.pin.hidden = finished;
  els.pinLabel.hidden = finished;
  els.submit.hidden = finished;
  els.cancel.textContent = t(finished ? 'pin_close' : 'pin_cancel');
  doc.body.dataset.phase = state.phase;
  if (entering) els.pin.focus();
}
