import { HpkiError, toHpkiError } from '../../protocol/errors.js';
import type { Lang, RuntimeAnswerMap, RuntimeReply, RuntimeRequest } from '../shared/index.js';
import { localizeError, runtimeRequestSchema, translatorFor } from '../shared/index.js';
import type { LoginService } from './login-flow.js';
import type { NativeConnector } from './native-host.js';
import { createPinChange } from './pin-change.js';
import type { PinPrompts } from './pin-prompts.js';
import type { ExtensionIdentity, MessageSenderInfo, SenderKind } from './sender.js';
import { classifySender, originFromSender } from './sender.js';
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
  prompts: PinPrompts;
  registry: SiteRegistry;
  siteAccess: SiteAccess;
  intents: SiteIntents;
  helloTimeoutMs?: number;
  now?: () => number;
}

/**
 * `loginGone` is given for a message that came over a login port (login-port.ts) and aborts when
 * the port does; `page-authenticate` is accepted only that way.
 */
export type Router = (
  message: unknown,
  sender: MessageSenderInfo,
  loginGone?: AbortSignal,
) => Promise<RuntimeReply<unknown>>;

const PAGE_KINDS: ReadonlySet<RuntimeRequest['kind']> = new Set(['page-status', 'page-authenticate']);
const PIN_KINDS: ReadonlySet<RuntimeRequest['kind']> = new Set([
  'pin-open',
  'pin-watch',
  'pin-choose',
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
      case 'page-authenticate': {
        if (sender.kind !== 'content') throw new HpkiError('ERR_HPKI_INVALID_ARGUMENT', 'not a content script');
        if (loginGone === undefined)
          throw new HpkiError('ERR_HPKI_INVALID_ARGUMENT', 'a login is accepted only over its own port');
        const token = await deps.login.authenticate({
          tabId: sender.tabId,
          origin: originFromSender(info),
          challenge: request.challenge,
          timeoutMs: request.options?.timeoutMs,
          signal: loginGone,
        });
        return { token };
      }
      case 'pin-open':
        return deps.prompts.model(request.session);
      case 'pin-watch':
        return deps.prompts.watch(request.session, request.after);
      case 'pin-choose':
        deps.prompts.choose(request.session, request.reader);
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
      parsed.success && parsed.data.kind === 'page-authenticate' ? parsed.data.options?.lang : undefined;
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
      return { ok: false, error: localizeError(toHpkiError(err).toWire(), translatorFor(lang), audience) };
    }
  };
}
