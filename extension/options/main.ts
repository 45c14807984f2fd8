import browser from 'webextension-polyfill';
import type { EnabledSite, MessageKey } from '../shared/index.js';
import {
  askBackground,
  browserTranslator,
  displayError,
  element,
  langFromTag,
  localizePage,
  matchPatternForOrigin,
  mountPinChange,
  parseSiteInput,
  requireElement,
} from '../shared/index.js';

/**
 * The options page: the enabled sites, with add (asking the browser for that site's access) and
 * remove; and the PIN change form (pin-change-form.ts).
 */

declare const HPKI_EXTENSION_FLAVOUR: 'development' | 'store';
const loopbackDevelopment = HPKI_EXTENSION_FLAVOUR === 'development';

const t = browserTranslator(browser.i18n);
const lang = langFromTag(browser.i18n.getUILanguage());
localizePage(document, t, lang);
const list = requireElement(document, '#sites', HTMLUListElement);
const form = requireElement(document, '#add-site', HTMLFormElement);
const input = requireElement(document, '#site-input', HTMLInputElement);
const notice = requireElement(document, '#options-notice', HTMLDivElement);
requireElement(document, '#loopback', HTMLParagraphElement).textContent = t(
  loopbackDevelopment ? 'options_loopback_on' : 'options_loopback_off',
);

function say(key: MessageKey | null, text?: string): void {
  notice.replaceChildren();
  if (key === null && text === undefined) return;
  notice.append(element(document, 'p', { className: 'notice error', text: text ?? (key === null ? '' : t(key)) }));
}

function sayError(err: unknown): void {
  say(null, displayError(err, lang).message);
}

function render(sites: EnabledSite[]): void {
  if (sites.length === 0) {
    list.replaceChildren(element(document, 'li', { className: 'muted', text: t('options_sites_none') }));
    return;
  }
  list.replaceChildren(
    ...sites.map((site) => {
      const remove = element(document, 'button', {
        text: t('options_remove'),
        attrs: { type: 'button', 'data-origin': site.origin },
      });
      remove.addEventListener('click', () => {
        askBackground(browser.runtime, { kind: 'site-disable', origin: site.origin }).then(render, sayError);
      });
      const label = element(document, 'span', {}, [
        element(document, 'strong', { text: site.name }),
        document.createTextNode(' '),
        element(document, 'code', { text: site.origin }),
      ]);
      return element(document, 'li', {}, [label, remove]);
    }),
  );
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  say(null);
  const parsed = parseSiteInput(input.value, loopbackDevelopment);
  if (!parsed.ok) {
    say(parsed.reason === 'loopback-off' ? 'options_loopback_store' : 'options_invalid_origin');
    return;
  }
  const origin = parsed.origin;
  // Asked first thing in the click's task: browsers grant permissions only from a user gesture.
  browser.permissions.request({ origins: [matchPatternForOrigin(origin)] }).then((granted) => {
    if (!granted) {
      say('options_permission_denied');
      return;
    }
    askBackground(browser.runtime, { kind: 'site-enable', origin }).then((sites) => {
      input.value = '';
      render(sites);
    }, sayError);
  }, sayError);
});

askBackground(browser.runtime, { kind: 'sites-list' }).then(render, sayError);
mountPinChange(requireElement(document, '#pin-change', HTMLDivElement), {
  doc: document,
  runtime: browser.runtime,
  t,
  lang,
});
