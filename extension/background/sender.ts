import { HpkiError } from '../../protocol/errors.js';

/**
 * Who sent a runtime message, from the browser's own sender information. The origin of a login is
 * read here and nowhere else: a page cannot choose it.
 */

export interface MessageSenderInfo {
  id?: string;
  url?: string;
  /** Chrome's serialized origin of the sending document; Firefox gives only `url`. */
  origin?: string;
  tab?: { id?: number };
  frameId?: number;
}

export interface ExtensionIdentity {
  id: string;
  /** `chrome-extension://<id>/` or `moz-extension://<uuid>/`. */
  baseUrl: string;
}

export type SenderKind =
  | { kind: 'content'; tabId: number }
  | { kind: 'pin-window' }
  | { kind: 'extension-page' }
  | { kind: 'unknown' };

export const PIN_PAGE = 'pin.html';

export function classifySender(sender: MessageSenderInfo, self: ExtensionIdentity): SenderKind {
  if (sender.id !== self.id || sender.url === undefined) return { kind: 'unknown' };
  if (sender.url.startsWith(self.baseUrl)) {
    const path = sender.url.slice(self.baseUrl.length).split(/[?#]/, 1)[0];
    return path === PIN_PAGE ? { kind: 'pin-window' } : { kind: 'extension-page' };
  }
  const tabId = sender.tab?.id;
  // Only the top frame of a tab: a site's login must not be driven from a framed third party.
  if (tabId === undefined || tabId < 0 || (sender.frameId !== undefined && sender.frameId !== 0))
    return { kind: 'unknown' };
  return { kind: 'content', tabId };
}

/**
 * The page's origin as the browser reports it. Chrome gives `sender.origin`, the sending document's
 * own origin: "null" there is an opaque origin (a document served with CSP `sandbox`, a sandboxed
 * frame, a data: URL) and is refused, never replaced by its URL's origin. Only where the browser
 * gives no `origin` at all (Firefox) does the origin come from the URL; the content script there
 * refuses to run in an opaque-origin document itself (`self.origin`).
 */
export function originFromSender(sender: MessageSenderInfo): string {
  if (sender.origin !== undefined) {
    if (sender.origin === 'null' || sender.origin === '')
      throw new HpkiError('ERR_HPKI_INSECURE_ORIGIN', 'the sending document has an opaque origin');
    return sender.origin;
  }
  if (sender.url !== undefined) {
    try {
      const origin = new URL(sender.url).origin;
      if (origin !== 'null') return origin;
    } catch {
      // Falls through to the refusal below.
    }
  }
  throw new HpkiError('ERR_HPKI_INSECURE_ORIGIN', 'the sender has no usable origin');
}
