import type { FlowPurpose, MessageKey, Translate } from '../shared/index.js';
import { expiryStatus, formatDate, requireElement, roleLabel } from '../shared/index.js';
import { askerOf } from './asker.js';
import type { PinViewState } from './pin-state.js';
import { canEnterPin, isOver } from './pin-state.js';

/** Renders a PinViewState into pin.html. Text only through textContent. */

export interface PinElements {
  purpose: HTMLElement;
  heading: HTMLElement;
  request: HTMLElement;
  document: HTMLElement;
  label: HTMLElement;
  hashStart: HTMLElement;
  retriesLabel: HTMLElement;
  confirm: HTMLButtonElement;
  state: HTMLElement;
  choices: HTMLElement;
  facts: HTMLElement;
  consent: HTMLElement;
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
    purpose: requireElement(doc, '[data-hpki-login="purpose"]', HTMLElement),
    heading: requireElement(doc, '#heading', HTMLElement),
    request: requireElement(doc, '#request', HTMLElement),
    document: requireElement(doc, '#document', HTMLElement),
    label: requireElement(doc, '[data-hpki-login="label"]', HTMLElement),
    hashStart: requireElement(doc, '#hash-start', HTMLElement),
    retriesLabel: requireElement(doc, '#retries-label', HTMLElement),
    confirm: requireElement(doc, '[data-hpki-login="confirm"]', HTMLButtonElement),
    state: requireElement(doc, '[data-hpki-login="state"]', HTMLElement),
    choices: requireElement(doc, '#card-choices', HTMLElement),
    facts: requireElement(doc, '#card-facts', HTMLElement),
    consent: requireElement(doc, '#consent', HTMLElement),
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

/** The window's own texts for each purpose (PROTOCOL.md §11: a signature's say 電子署名, never ログイン). */
export const PURPOSE_TEXTS = {
  login: {
    title: 'pin_title',
    heading: 'pin_heading',
    request: 'pin_request',
    consent: 'pin_consent',
    pinLabel: 'pin_input_label',
    submit: 'pin_submit',
    retriesLabel: 'pin_retries_label',
  },
  sign: {
    title: 'sign_title',
    heading: 'sign_heading',
    request: 'sign_request',
    consent: 'sign_consent',
    pinLabel: 'sign_input_label',
    submit: 'sign_submit',
    retriesLabel: 'sign_retries_label',
  },
} as const satisfies Record<FlowPurpose, Record<string, MessageKey>>;

/** The window's title while its purpose is not known: nothing that names a login or a signature. */
const NEUTRAL_TITLE = 'HPKI';

/**
 * A signature's window says 電子署名 throughout (PROTOCOL.md §11): its texts, and what is signed.
 * While the purpose is unknown (no `purpose` in the URL, no view yet) `data-purpose` is absent and
 * the purpose's texts are empty, so no window ever shows the other purpose's words, not even at first.
 */
function renderPurpose(doc: Document, els: PinElements, state: PinViewState, t: Translate, asking: boolean): void {
  const purpose = state.purpose;
  if (purpose === null) delete els.purpose.dataset.purpose;
  else els.purpose.dataset.purpose = purpose;
  const texts = purpose === null ? null : PURPOSE_TEXTS[purpose];
  const say = (key: keyof (typeof PURPOSE_TEXTS)[FlowPurpose]): string => (texts === null ? '' : t(texts[key]));
  doc.title = texts === null ? NEUTRAL_TITLE : say('title');
  els.heading.textContent = say('heading');
  els.request.textContent = say('request');
  els.consent.textContent = say('consent');
  els.pinLabel.textContent = say('pinLabel');
  els.submit.textContent = say('submit');
  els.retriesLabel.textContent = say('retriesLabel');
  const sign = purpose === 'sign';
  els.confirm.hidden = state.phase !== 'confirm';
  const document = state.model?.document;
  els.document.hidden = !(sign && asking && document !== undefined);
  // The label is the site's own words: shown quoted, as text only.
  els.label.textContent = document?.label === undefined ? '—' : t('sign_label_claim', [document.label]);
  els.hashStart.textContent = document === undefined ? '' : `${document.hashAlgorithm} ${document.hashStart}…`;
}

export function renderPin(
  doc: Document,
  els: PinElements,
  state: PinViewState,
  t: Translate,
  now: Date,
  onChoose: (reader: string) => void,
): void {
  const model = state.model;
  const unknown = t('pin_unknown');
  const who = state.asker ?? model;
  if (who !== null) {
    // The origin's host first and large (the browser's word); the descriptor's name after it, as the site's.
    const asker = askerOf(who.origin, who.siteName);
    els.siteScheme.textContent = asker.scheme;
    els.siteHost.textContent = asker.host;
    els.siteClaim.textContent = asker.claimedName === null ? '' : t('pin_site_claim', [asker.claimedName]);
    els.siteClaim.hidden = asker.claimedName === null;
  }
  els.state.dataset.state = state.phase;
  const asking = state.phase === 'pin' || state.checking;
  const aboutCard =
    model !== null && (asking || state.phase === 'confirm' || state.phase === 'blocked' || state.over === 'failed');
  renderPurpose(doc, els, state, t, asking);
  els.facts.hidden = !aboutCard;
  els.consent.hidden = !asking;
  els.choices.hidden = state.phase !== 'choose-card';
  els.choices.replaceChildren(
    ...(state.phase === 'choose-card' ? state.choices : []).map((choice) => {
      const button = doc.createElement('button');
      button.type = 'button';
      button.dataset.hpkiLogin = 'card-choice';
      button.dataset.reader = choice.reader;
      const name = doc.createElement('strong');
      name.textContent = choice.holder.nameJa ?? choice.holder.name;
      const role = doc.createElement('span');
      role.textContent = `${choice.holder.role ? roleLabel(choice.holder.role, t) : unknown} · ${choice.issuerName}`;
      const reader = doc.createElement('span');
      reader.textContent = t('pin_choice_reader', [choice.reader]);
      button.append(name, role, reader);
      button.addEventListener('click', () => onChoose(choice.reader));
      return button;
    }),
  );
  if (model !== null) {
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
  const over = isOver(state);
  els.pin.disabled = !entering;
  els.submit.disabled = !entering;
  els.form.classList.toggle('finished', over);
  els.pin.hidden = !asking;
  els.pinLabel.hidden = !asking;
  els.submit.hidden = !asking;
  els.cancel.textContent = t(over ? 'pin_close' : 'pin_cancel');
  doc.body.dataset.phase = state.phase;
  if (entering) els.pin.focus();
}
