import browser from 'webextension-polyfill';
import { HpkiError } from '../../protocol/errors.js';
import { askBackground, browserTranslator, displayError, langFromTag } from '../shared/index.js';
import { createLoginButton, placeLoginButton } from './login-button.js';
import { createLoginLock } from './login-lock.js';
import { authenticateOverPort, type OnLeave, type PortLike } from './login-over-port.js';
import { installPageBridge } from './page-bridge.js';
import { fetchOwnDescriptor, loginWithDescriptor } from './site-login.js';

/**
 * The content script: the page API bridge on every page it runs on, and the login button where the
 * site's descriptor asks for one. It may be injected twice on the same page (the development
 * build's static loopback script and a registered one); the second copy stops here.
 */

const marker = globalThis as { hpkiLoginContentScript?: true };

/** The page's fetch, called as a plain function: called as a method of another object it throws. */
const pageFetch: typeof fetch = (input, init) => fetch(input, init);

async function start(): Promise<void> {
  const t = browserTranslator(browser.i18n);
  const uiLang = langFromTag(browser.i18n.getUILanguage());
  const lock = createLoginLock();
  const origin = self.origin;
  // The port of the last getSigningCertificate: open while the background holds its window for this
  // page's sign, and closed by the browser when the page goes, which ends the hold.
  let signingPort: PortLike | undefined;
  const keepSigningPort = (port: PortLike): void => {
    signingPort?.disconnect();
    signingPort = port;
  };
  /** Once a later flow of the page has its answer, the hold is over (taken or closed). */
  const closeSigningPort = (): void => {
    signingPort?.disconnect();
    signingPort = undefined;
  };
  // A page kept in the back-forward cache keeps its content script, and in Firefox its ports: the
  // page leaving says so itself, for a flow under way and for a window held for its sign.
  window.addEventListener('pagehide', closeSigningPort);
  const onLeave: OnLeave = (callback) => {
    window.addEventListener('pagehide', callback);
    return () => window.removeEventListener('pagehide', callback);
  };

  installPageBridge(
    window,
    {
      status: () => askBackground(browser.runtime, { kind: 'page-status' }),
      authenticate: (challenge, options) =>
        authenticateOverPort(
          browser.runtime,
          options === undefined
            ? { kind: 'page-authenticate', challenge }
            : { kind: 'page-authenticate', challenge, options },
          { onLeave },
        ).finally(closeSigningPort),
      getSigningCertificate: (options) =>
        authenticateOverPort(
          browser.runtime,
          options === undefined
            ? { kind: 'page-get-signing-certificate' }
            : { kind: 'page-get-signing-certificate', options },
          { keep: keepSigningPort, onLeave },
        ),
      sign: (params, options) =>
        authenticateOverPort(
          browser.runtime,
          options === undefined ? { kind: 'page-sign', params } : { kind: 'page-sign', params, options },
          { onLeave },
        ).finally(closeSigningPort),
      // Like WebAuthn, a card flow needs the user's own action on the page (a click, a key). Read
      // in the content script's own world (Chromium's isolated world, Firefox's Xray view of the
      // page's navigator), where the page's script cannot redefine it.
      hasUserActivation: () => navigator.userActivation?.isActive === true,
    },
    lock,
    (err, lang, purpose) => displayError(err, lang ?? uiLang, 'page', purpose),
    uiLang,
  );

  const descriptor = await fetchOwnDescriptor(pageFetch, origin);
  if (descriptor?.button === undefined) return;

  const button = createLoginButton(document, t, () => {
    if (!lock.tryAcquire()) {
      button.showError(displayError(new HpkiError('ERR_HPKI_BUSY', 'a login is pending on this page'), uiLang).message);
      return;
    }
    button.showError(null);
    button.setBusy(true);
    loginWithDescriptor(descriptor, {
      fetch: pageFetch,
      origin,
      authenticate: (challenge) =>
        authenticateOverPort(browser.runtime, { kind: 'page-authenticate', challenge }, { onLeave }),
      navigate: (url) => location.assign(url),
      t,
    })
      .catch((err: unknown) => {
        const error = displayError(err, uiLang);
        // A user who cancelled knows it; anything else is explained next to the button.
        if (error.code !== 'ERR_HPKI_USER_CANCELLED') button.showError(`${t('button_error_prefix')}${error.message}`);
      })
      .finally(() => {
        lock.release();
        button.setBusy(false);
      });
  });
  await placeLoginButton(document, descriptor.button, button);
}

// The document's own origin, not its URL's: a document served with CSP `sandbox` has an opaque
// origin ("null") although its URL is the site's, and gets neither the page API nor the button.
if (marker.hpkiLoginContentScript !== true && self.origin !== 'null') {
  marker.hpkiLoginContentScript = true;
  void start();
}
