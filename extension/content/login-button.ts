import type { Descriptor } from '../../protocol/page-messages.js';
import type { Translate } from '../shared/index.js';

/**
 * The injected 「HPKIログイン」 button, in a closed shadow root so the page's styles and scripts do not
 * reach inside. The shadow host carries `data-hpki-login="button"` (PROTOCOL.md §7) and a click on
 * it starts the login. Styles are set through the CSSOM, which page CSPs do not block.
 */

export interface LoginButton {
  readonly host: HTMLElement;
  setBusy(busy: boolean): void;
  showError(message: string | null): void;
}

type Style = Record<string, string>;

const BUTTON_STYLE: Style = {
  font: '600 14px/1.4 system-ui, "Hiragino Sans", "Yu Gothic UI", Meiryo, sans-serif',
  color: '#ffffff',
  background: '#0b5cad',
  border: '1px solid #084a8c',
  'border-radius': '6px',
  padding: '8px 16px',
  cursor: 'pointer',
  'min-height': '36px',
};
const ERROR_STYLE: Style = {
  display: 'block',
  'margin-top': '6px',
  font: '13px/1.5 system-ui, "Hiragino Sans", "Yu Gothic UI", Meiryo, sans-serif',
  color: '#b00020',
  'max-width': '40em',
};

function applyStyle(el: HTMLElement, style: Style): void {
  for (const [name, value] of Object.entries(style)) el.style.setProperty(name, value);
}

export function createLoginButton(doc: Document, t: Translate, onActivate: () => void): LoginButton {
  const host = doc.createElement('span');
  host.dataset.hpkiLogin = 'button';
  applyStyle(host, { display: 'inline-block', margin: '8px 0', 'vertical-align': 'middle' });
  // delegatesFocus: focusing the host (keyboard users, tests) lands on the inner button, where
  // Enter and Space click it.
  const root = host.attachShadow({ mode: 'closed', delegatesFocus: true });

  const button = doc.createElement('button');
  button.type = 'button';
  button.textContent = t('button_label');
  applyStyle(button, BUTTON_STYLE);

  const error = doc.createElement('span');
  error.setAttribute('role', 'alert');
  applyStyle(error, ERROR_STYLE);
  error.hidden = true;

  root.append(button, error);

  host.addEventListener('click', (event) => {
    event.preventDefault();
    event.stopPropagation();
    // Only the user's own click (or key) starts a login: a page's script calling click() does not.
    if (event.isTrusted && !button.disabled) onActivate();
  });

  return {
    host,
    setBusy(busy) {
      button.disabled = busy;
      button.textContent = t(busy ? 'button_busy' : 'button_label');
      button.style.setProperty('cursor', busy ? 'progress' : 'pointer');
      button.style.setProperty('opacity', busy ? '0.7' : '1');
    },
    showError(message) {
      error.textContent = message ?? '';
      error.hidden = message === null;
    },
  };
}

const PLACEMENT_WAIT_MS = 10_000;

/**
 * Inserts the button where the descriptor says. Pages that render late get a short grace period;
 * an invalid selector or a missing anchor leaves the page as it is (the page API still works).
 */
export function placeLoginButton(
  doc: Document,
  placement: NonNullable<Descriptor['button']>,
  button: LoginButton,
): Promise<boolean> {
  const tryInsert = (): boolean | undefined => {
    let anchor: Element | null;
    try {
      anchor = doc.querySelector(placement.selector);
    } catch {
      return false;
    }
    if (anchor === null) return undefined;
    anchor.insertAdjacentElement(placement.position, button.host);
    return true;
  };
  const first = tryInsert();
  if (first !== undefined) return Promise.resolve(first);
  return new Promise((resolve) => {
    const observer = new MutationObserver(() => {
      const done = tryInsert();
      if (done === undefined) return;
      observer.disconnect();
      clearTimeout(timer);
      resolve(done);
    });
    const timer = setTimeout(() => {
      observer.disconnect();
      resolve(false);
    }, PLACEMENT_WAIT_MS);
    observer.observe(doc.documentElement, { childList: true, subtree: true });
  });
}
