import { HpkiError, toHpkiError } from '../../protocol/errors.js';
import type { Lang, PortRequest, RuntimeAnswerMap, RuntimeReply, RuntimeRequest } from '../shared/index.js';
import { localizeError, runtimeRequestSchema, translatorFor } from '../shared/index.js';
import type { LoginService } from './login-flow.js';
import type { NativeConnector } from './native-host.js';
import { createPinChange } from './pin-change.js';
import type { PinPrompts } from './pin-prompts.js';
import type { ExtensionIdentity, MessageSenderInfo, SenderKind } from './sender.js';
import { classifySender, originFromSender } from './sender.js';
import type { SignService } from './sign-flow.js';
import type { SiteAccess } from './site-access.js';
import type { SiteIntents } from './site-intents.js';
import type { SiteRegistry } from './site-registry.js';
import { overview, pageStatus } from './status.js';
import { createSerial, createStatusGate } from './status-gate.js';

/**
 * Every runtime message enters here: parsed with the schema, checked against who may send it (a
 * content script for page actions, the PIN window for PINs, extension pages for settings), handled,
 * and answered as a value with any error localized for a doctor.
 */

export interface RouterDeps {
  self: ExtensionIdentity;
  extensionVersion: string;
  loopbackDevelopment: boolean;
  uiLang: () => Lang;
  connector: NativeConnector;
  login: LoginService;
  sign: SignService;
  prompts: PinPrompts;
  registry: SiteRegistry;
  siteAccess: SiteAccess;
  intents: SiteIntents;
  helloTimeoutMs?: number;
  now?: () => number;
}

/**
 * `loginGone` is given for a message that came over a login port (login-port.ts) and aborts when
 * the port does; `page-authenticate`, `page-get-signing-certificate` and `page-sign` are accepted
 * only that way.
 */
export type Router = (
  message: unknown,
  sender: MessageSenderInfo,
  loginGone?: AbortSignal,
) => Promise<RuntimeReply<unknown>>;

/** The page's card flows: each only over its own port (login-port.ts), which ends it when the page goes. */
const PORT_KINDS: ReadonlySet<RuntimeRequest['kind']> = new Set([
  'page-authenticate',
  'page-get-signing-certificate',
  'page-sign',
]);
const PAGE_KINDS: ReadonlySet<RuntimeRequest['kind']> = new Set(['page-status', ...PORT_KINDS]);
/** A page's requests for 電子署名: their errors say 電子署名, not ログイン (PROTOCOL.md §11). */
const SIGN_KINDS: ReadonlySet<RuntimeRequest['kind']> = new Set(['page-get-signing-certificate', 'page-sign']);
const PIN_KINDS: ReadonlySet<RuntimeRequest['kind']> = new Set([
  'pin-open',
  'pin-watch',
  'pin-choose',
  'pin-confirm',
  'pin-submit',
  'pin-cancel',
]);

function allowed(kind: RuntimeRequest['kind'], sender: SenderKind): boolean {
  if (PAGE_KINDS.has(kind)) return sender.kind === 'content';
  if (PIN_KINDS.has(kind)) return sender.kind === 'pin-window';
  return sender.kind === 'extension-page';
}

export function createRouter(deps: RouterDeps): Router {
  const statusDeps = {
    connector: deps.connector,
    extensionVersion: deps.extensionVersion,
    helloTimeoutMs: deps.helloTimeoutMs,
  };
  const statusSlot = createSerial();
  const statusGate = createStatusGate(statusSlot, () => pageStatus(statusDeps), deps.now);
  const pinChange = createPinChange({
    connector: deps.connector,
    slot: statusSlot,
    helloTimeoutMs: deps.helloTimeoutMs,
  });

  /** A login, a signing certificate or a signature for the content script's tab, over its port. */
  async function handleCardFlow(
    request: PortRequest,
    sender: SenderKind,
    info: MessageSenderInfo,
    signal: AbortSignal | undefined,
  ): Promise<RuntimeAnswerMap[PortRequest['kind']]> {
    if (sender.kind !== 'content') throw new HpkiError('ERR_HPKI_INVALID_ARGUMENT', 'not a content script');
    if (signal === undefined)
      throw new HpkiError('ERR_HPKI_INVALID_ARGUMENT', 'a card flow is accepted only over its own port');
    const flow = { tabId: sender.tabId, origin: originFromSender(info), timeoutMs: request.options?.timeoutMs, signal };
    switch (request.kind) {
      case 'page-authenticate':
        return { token: await deps.login.authenticate({ ...flow, challenge: request.challenge }) };
      case 'page-get-signing-certificate':
        return deps.sign.getSigningCertificate(flow);
      case 'page-sign':
        return deps.sign.sign({ ...flow, params: request.params });
    }
  }

  async function handle(
    request: RuntimeRequest,
    sender: SenderKind,
    info: MessageSenderInfo,
    loginGone: AbortSignal | undefined,
  ): Promise<RuntimeAnswerMap[RuntimeRequest['kind']]> {
    switch (request.kind) {
      case 'page-status': {
        await deps.siteAccess.check(originFromSender(info));
        return statusGate.pageStatus();
      }
      case 'page-authenticate':
      case 'page-get-signing-certificate':
      case 'page-sign':
        return handleCardFlow(request, sender, info, loginGone);
      case 'pin-open':
        return deps.prompts.model(request.session);
      case 'pin-watch':
        return deps.prompts.watch(request.session, request.after);
      case 'pin-choose':
        deps.prompts.choose(request.session, request.reader);
        return null;
      case 'pin-confirm':
        deps.prompts.confirm(request.session);
        return null;
      case 'pin-submit':
        return deps.prompts.submit(request.session, request.pin);
      case 'pin-cancel':
        deps.prompts.cancel(request.session);
        return null;
      case 'overview':
        // The popup's look shares the one status host slot with the pages' status.
        return statusSlot.run(() =>
          overview({
            ...statusDeps,
            loopbackDevelopment: deps.loopbackDevelopment,
            sites: () => deps.registry.list(),
          }),
        );
      case 'sites-list':
        return deps.registry.list();
      case 'site-intent':
        deps.intents.note(request.origin);
        return null;
      case 'site-enable':
        return deps.registry.enable(request.origin);
      case 'site-disable':
        return deps.registry.disable(request.origin);
      // Only the extension's own pages (allowed() above), never a content script or the PIN window.
      case 'pin-change-tries':
        return pinChange.tries(request.application);
      case 'pin-change':
        return pinChange.change(request.application, request.pin, request.newPin);
    }
  }

  return async (message, info, loginGone) => {
    const parsed = runtimeRequestSchema.safeParse(message);
    const requestedLang =
      parsed.success && PORT_KINDS.has(parsed.data.kind) ? (parsed.data as PortRequest).options?.lang : undefined;
    const lang = requestedLang ?? deps.uiLang();
    try {
      if (!parsed.success) throw new HpkiError('ERR_HPKI_INVALID_ARGUMENT', 'malformed request');
      const sender = classifySender(info, deps.self);
      if (!allowed(parsed.data.kind, sender))
        throw new HpkiError('ERR_HPKI_INVALID_ARGUMENT', `'${parsed.data.kind}' is not accepted from this sender`);
      return { ok: true, value: await handle(parsed.data, sender, info, loginGone) };
    } catch (err) {
      // A page's request gets no technical detail back (the PIN window and the popup show it).
      const audience = parsed.success && PAGE_KINDS.has(parsed.data.kind) ? 'page' : 'extension';
      const purpose = parsed.success && SIGN_KINDS.has(parsed.data.kind) ? 'sign' : 'login';
      return { ok: false, error: localizeError(toHpkiError(err).toWire(), translatorFor(lang), audience, purpose) };
    }
  };
}
