import type { WireError } from '../../protocol/errors.js';
import { HpkiError } from '../../protocol/errors.js';
import type {
  PageAuthenticateOptions,
  PageAuthenticateResult,
  PageRequest,
  PageResponse,
  PageSigningCertificateResult,
  PageSignParams,
  PageSignResult,
  PageStatusResult,
} from '../../protocol/page-messages.js';
import { pageRequestSchema } from '../../protocol/page-messages.js';
import { PAGE_REACK_INTERVAL_MS } from '../../protocol/timeouts.js';
import type { FlowPurpose, Lang } from '../shared/index.js';
import { LocalizedError, translatorFor } from '../shared/index.js';
import type { LoginLock } from './login-lock.js';

/**
 * The page API of PROTOCOL.md §1.2 on the content-script side. Only messages the page posted to
 * itself are read (`source` is this window, `origin` is this page's); every request with an id is
 * acknowledged at once, then validated and answered with a result or a coded error. The origin the background
 * uses is the browser's, not anything in the message.
 */

export interface PageMessageEvent {
  readonly source: unknown;
  readonly origin: string;
  readonly data: unknown;
}

export interface PageWindow {
  addEventListener(type: 'message', listener: (event: PageMessageEvent) => void): void;
  removeEventListener(type: 'message', listener: (event: PageMessageEvent) => void): void;
  postMessage(message: unknown, targetOrigin: string): void;
  /**
   * The document's own origin (`self.origin`), "null" for an opaque one (CSP `sandbox`); unlike
   * `location.origin`, which is the URL's and says nothing about a sandbox.
   */
  readonly origin: string;
}

export interface BridgeBackend {
  status(): Promise<PageStatusResult>;
  authenticate(challenge: string, options: PageAuthenticateOptions | undefined): Promise<PageAuthenticateResult>;
  /** PROTOCOL.md §11: the signing certificate, after the doctor's consent. */
  getSigningCertificate(options: PageAuthenticateOptions | undefined): Promise<PageSigningCertificateResult>;
  /** PROTOCOL.md §11: a signature over the site's hash, after the signing PIN. */
  sign(params: PageSignParams, options: PageAuthenticateOptions | undefined): Promise<PageSignResult>;
  /** Whether the page has a transient user activation now (`navigator.userActivation.isActive`). */
  hasUserActivation(): boolean;
}

/**
 * Turns anything thrown into the error the page sees, in the doctor's words (see localized-error.ts);
 * a signature's request in a signature's words (PROTOCOL.md §11).
 */
export type Localize = (err: unknown, lang: Lang | undefined, purpose?: FlowPurpose) => WireError;

const MAX_ID_LENGTH = 128;

function needsUserAction(lang: Lang, purpose: FlowPurpose): LocalizedError {
  const key = purpose === 'sign' ? 'sign_needs_user_action' : 'error_needs_user_action';
  return new LocalizedError('ERR_HPKI_INVALID_ARGUMENT', translatorFor(lang)(key));
}

/** An id the page can match an answer to: the answers carry it as it came (PROTOCOL.md §1.2). */
function isAnswerableId(id: unknown): id is string {
  return typeof id === 'string' && id.length > 0 && id.length <= MAX_ID_LENGTH;
}

/**
 * A message of this protocol that is not an answer: it carries the marker, and an `action` or at
 * least no answer's `type` (a request that forgot its action is still the page's request).
 */
function isRequestShaped(data: unknown): data is { hpkiLogin: 1; id?: unknown } {
  if (typeof data !== 'object' || data === null || !('hpkiLogin' in data) || data.hpkiLogin !== 1) return false;
  return 'action' in data || !('type' in data);
}

export function installPageBridge(
  win: PageWindow,
  backend: BridgeBackend,
  lock: LoginLock,
  localize: Localize,
  uiLang: Lang = 'ja',
): () => void {
  const origin = win.origin;

  function post(response: PageResponse): void {
    win.postMessage(response, origin);
  }

  function postError(id: string, error: WireError): void {
    // Rebuilt field by field: nothing else the error object may carry reaches the page.
    const wire: WireError =
      error.code === 'ERR_HPKI_PIN_INCORRECT'
        ? { code: error.code, message: error.message, retriesLeft: error.retriesLeft }
        : { code: error.code, message: error.message };
    post({ hpkiLogin: 1, id, type: 'error', error: wire });
  }

  async function answer(
    id: string,
    lang: Lang | undefined,
    work: () => Promise<PageStatusResult | PageAuthenticateResult | PageSigningCertificateResult | PageSignResult>,
    purpose: FlowPurpose = 'login',
  ): Promise<void> {
    // The ack again while the work is pending: the page library then knows the flow is alive,
    // however often the PIN window gave the doctor its time anew (protocol/timeouts.ts).
    const alive = setInterval(() => post({ hpkiLogin: 1, id, type: 'ack' }), PAGE_REACK_INTERVAL_MS);
    try {
      const result = await work();
      post({ hpkiLogin: 1, id, type: 'result', result: { ...result } });
    } catch (err) {
      postError(id, localize(err, lang, purpose));
    } finally {
      clearInterval(alive);
    }
  }

  const listener = (event: PageMessageEvent): void => {
    if (event.source !== win || event.origin !== origin || origin === 'null') return;
    const data = event.data;
    // Responses (ours or another frame's) and unrelated messages share the channel: skip them.
    if (!isRequestShaped(data)) return;
    // Every request the page can match an answer to is acknowledged at once, a malformed one too
    // (then refused): without an id in the answers' own form there is nothing to acknowledge.
    const id = data.id;
    if (!isAnswerableId(id)) return;
    post({ hpkiLogin: 1, id, type: 'ack' });
    const parsed = pageRequestSchema.safeParse(data);
    if (!parsed.success) {
      postError(id, localize(new HpkiError('ERR_HPKI_INVALID_ARGUMENT', 'malformed request'), undefined));
      return;
    }
    const request = parsed.data;
    if (request.action === 'status') {
      void answer(request.id, undefined, () => backend.status());
      return;
    }
    const lang = request.options?.lang;
    const purpose: FlowPurpose = request.action === 'authenticate' ? 'login' : 'sign';
    // A second request while one is pending is ERR_HPKI_BUSY (§1.2), with or without an activation.
    if (!lock.tryAcquire()) {
      const busy = new HpkiError('ERR_HPKI_BUSY', 'a card flow is pending on this page');
      postError(request.id, localize(busy, lang, purpose));
      return;
    }
    // Read at once: the activation the page's click gave lasts a few seconds only.
    if (!backend.hasUserActivation()) {
      lock.release();
      postError(request.id, localize(needsUserAction(lang ?? uiLang, purpose), lang, purpose));
      return;
    }
    void answer(request.id, lang, () => cardFlow(request), purpose).finally(() => lock.release());
  };

  /** The request's card flow: a login, a signing certificate or a signature. */
  function cardFlow(
    request: Exclude<PageRequest, { action: 'status' }>,
  ): Promise<PageAuthenticateResult | PageSigningCertificateResult | PageSignResult> {
    switch (request.action) {
      case 'authenticate':
        return backend.authenticate(request.challenge, request.options);
      case 'getSigningCertificate':
        return backend.getSigningCertificate(request.options);
      case 'sign': {
        const { hash, hashAlgorithm, certificateSha256, label } = request;
        const params: PageSignParams = { hash, hashAlgorithm, certificateSha256 };
        if (label !== undefined) params.label = label;
        return backend.sign(params, request.options);
      }
    }
  }

  win.addEventListener('message', listener);
  return () => win.removeEventListener('message', listener);
}
