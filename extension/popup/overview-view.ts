import type { Overview, Translate } from '../shared/index.js';
import { element, errorMessageKey, expiryStatus, formatDate, requireElement, roleLabel } from '../shared/index.js';

/** Renders the background's overview into the popup: host, readers, card, holder, expiry, sites. */

function errorText(t: Translate, error: { code: string; message: string; retriesLeft?: number }): string {
  const key = errorMessageKey(error.code);
  return key === undefined
    ? error.message
    : t(key, [error.code === 'ERR_HPKI_PIN_INCORRECT' ? String(error.retriesLeft ?? '?') : error.message]);
}

function setText(doc: Document, selector: string, text: string, bad = false): void {
  const el = requireElement(doc, selector, HTMLElement);
  el.textContent = text;
  el.className = bad ? 'status-bad' : '';
}

export function renderOverview(doc: Document, overview: Overview, t: Translate, now: Date): void {
  const dash = '—';
  if (overview.host === null)
    setText(doc, '#host', overview.hostError === null ? dash : errorText(t, overview.hostError), true);
  else setText(doc, '#host', t('popup_host_version', [overview.host.version]));

  setText(
    doc,
    '#readers',
    overview.readers.length === 0
      ? overview.host === null
        ? dash
        : t('popup_no_readers')
      : overview.readers.map((r) => r.name).join(', '),
    overview.host !== null && overview.readers.length === 0,
  );

  const card = overview.card;
  if (card !== null) {
    const typeKey =
      card.cardType === 'hpki'
        ? 'popup_card_hpki'
        : card.cardType === 'jpki'
          ? 'popup_card_jpki'
          : 'popup_card_unknown';
    setText(doc, '#card', t(typeKey), card.cardType !== 'hpki');
    setText(
      doc,
      '#holder',
      card.holder.nameJa === undefined ? card.holder.name : `${card.holder.nameJa} (${card.holder.name})`,
    );
    setText(doc, '#role', card.holder.role ? roleLabel(card.holder.role, t) : dash);
    setText(doc, '#expiry', formatDate(card.notAfter) ?? dash);
  } else {
    const present = overview.readers.some((r) => r.cardPresent);
    setText(
      doc,
      '#card',
      overview.cardError !== null
        ? errorText(t, overview.cardError)
        : present
          ? t('popup_card_present')
          : overview.host === null
            ? dash
            : t('popup_card_none'),
      overview.cardError !== null,
    );
    for (const selector of ['#holder', '#role', '#expiry']) setText(doc, selector, dash);
  }

  const expiry = expiryStatus(card?.notAfter ?? null, now);
  const notice = requireElement(doc, '#expiry-notice', HTMLElement);
  notice.replaceChildren();
  if (expiry.state === 'expired')
    notice.append(element(doc, 'p', { className: 'notice error', text: t('popup_expired') }));
  if (expiry.state === 'soon')
    notice.append(
      element(doc, 'p', { className: 'notice warning', text: t('popup_expiry_soon', [String(expiry.daysLeft)]) }),
    );

  const sites = requireElement(doc, '#sites', HTMLUListElement);
  sites.replaceChildren(
    ...(overview.sites.length === 0
      ? [element(doc, 'li', { className: 'muted', text: t('popup_sites_none') })]
      : overview.sites.map((s) =>
          element(doc, 'li', {}, [element(doc, 'span', { text: s.name }), element(doc, 'code', { text: s.origin })]),
        )),
  );
  requireElement(doc, '#loopback', HTMLElement).hidden = !overview.loopbackDevelopment;
}
