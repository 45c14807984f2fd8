import browser from 'webextension-polyfill';
import type { EnabledSite } from '../shared/index.js';
import {
  askBackground,
  browserTranslator,
  element,
  langFromTag,
  localizePage,
  matchPatternForOrigin,
  mountPinChange,
  requireElement,
} from '../shared/index.js';
import { renderOverview } from './overview-view.js';
import type { SiteOffer } from './site-offer.js';
import { readDescriptorInPage, siteOffer } from './site-offer.js';

/**
 * The toolbar popup: the state of host, reader and card, an offer to enable the current site, and
 * the PIN change form, built when its section is first opened (reading the tries left takes the card).
 */

const t = browserTranslator(browser.i18n);
const lang = langFromTag(browser.i18n.getUILanguage());
localizePage(document, t, lang);
const offerBox = requireElement(document, '#site-offer', HTMLDivElement);

requireElement(document, '#open-options', HTMLButtonElement).addEventListener('click', () => {
  void browser.runtime.openOptionsPage().then(() => window.close());
});

const pinChangeBox = requireElement(document, '#pin-change-box', HTMLDetailsElement);
pinChangeBox.addEventListener('toggle', () => {
  const container = requireElement(pinChangeBox, '#pin-change', HTMLDivElement);
  if (pinChangeBox.open && container.childElementCount === 0)
    mountPinChange(container, { doc: document, runtime: browser.runtime, t, lang });
});

function renderOffer(offer: SiteOffer, tabId: number): void {
  offerBox.replaceChildren();
  if (offer.kind === 'enabled') {
    offerBox.append(element(document, 'p', { className: 'notice info', text: t('popup_site_enabled') }));
    return;
  }
  if (offer.kind !== 'offer') return;
  const button = element(document, 'button', {
    className: 'primary',
    text: t('popup_enable_site'),
    attrs: { type: 'button' },
  });
  button.addEventListener('click', () => {
    // Told first: Firefox may close this popup while it shows the permission prompt.
    void askBackground(browser.runtime, { kind: 'site-intent', origin: offer.origin }).catch(() => undefined);
    browser.permissions
      .request({ origins: [matchPatternForOrigin(offer.origin)] })
      .then(async (granted) => {
        if (!granted) return;
        await askBackground(browser.runtime, { kind: 'site-enable', origin: offer.origin });
        // The registered script runs from the next page load; this page gets its button now.
        await browser.scripting.executeScript({ target: { tabId }, files: ['content.js'] }).catch(() => undefined);
        renderOffer({ kind: 'enabled', origin: offer.origin }, tabId);
      })
      .catch(() => undefined);
  });
  offerBox.append(
    element(document, 'p', { text: t('popup_site_offer', [offer.descriptor.name]) }),
    element(document, 'p', {}, [element(document, 'code', { text: offer.origin })]),
    button,
  );
}

async function checkCurrentTab(sites: EnabledSite[]): Promise<void> {
  const [tab] = await browser.tabs.query({ active: true, currentWindow: true });
  if (tab?.id === undefined) return;
  const tabId = tab.id;
  const offer = await siteOffer({
    tabUrl: tab.url,
    enabledOrigins: sites.map((s) => s.origin),
    readInTab: async (path, maxChars) => {
      const [injection] = await browser.scripting.executeScript({
        target: { tabId },
        func: readDescriptorInPage,
        args: [path, maxChars],
      });
      return injection?.result;
    },
  });
  renderOffer(offer, tabId);
}

askBackground(browser.runtime, { kind: 'sites-list' })
  .then((sites) => checkCurrentTab(sites))
  .catch(() => undefined);
askBackground(browser.runtime, { kind: 'overview' }).then(
  (overview) => renderOverview(document, overview, t, new Date()),
  () => undefined,
);
