import { HpkiError, toHpkiError } from '../../protocol/errors.js';
import { assertSecureOrigin } from '../../protocol/origin.js';
import { DEFAULT_USER_TIMEOUT_MS, HOST_HELLO_TIMEOUT_MS } from '../../protocol/timeouts.js';
import type { Token } from '../../protocol/token.js';
import type { NativeConnector } from './native-host.js';
import { openHostSession } from './native-host.js';
import type { PinPrompt, PinPrompts } from './pin-prompts.js';
import type { SiteAccess } from './site-access.js';

/**
 * One login, top to bottom: §6 and enabled-site checks, one native port for the whole login,
 * `get-certificate`, the PIN window, `authenticate` for each PIN the user submits (a wrong PIN keeps
 * the window open), and the token. One login per tab at a time.
 */

export interface LoginRequest {
  tabId: number;
  /** From the browser's sender information, never from the page. */
  origin: string;
  challenge: string;
  timeoutMs?: number;
}

export interface LoginService {
  authenticate(request: LoginRequest): Promise<Token>;
  /** The tab went away: its login, if any, is cancelled. */
  cancelTab(tabId: number): void;
}

export interface LoginDeps {
  connector: NativeConnector;
  siteAccess: SiteAccess;
  prompts: PinPrompts;
  helloTimeoutMs?: number;
}

export function createLoginService(deps: LoginDeps): LoginService {
  const busyTabs = new Set<number>();
  const promptsByTab = new Map<number, PinPrompt>();

  async function run(request: LoginRequest, origin: string): Promise<Token> {
    const site = await deps.siteAccess.check(origin);
    const host = await openHostSession(deps.connector, deps.helloTimeoutMs ?? HOST_HELLO_TIMEOUT_MS);
    let prompt: PinPrompt | undefined;
    try {
      const card = await host.request('get-certificate', undefined);
      if (card.cardType !== 'hpki')
        throw new HpkiError('ERR_HPKI_UNSUPPORTED_CARD', `the card is a ${card.cardType} card`);
      prompt = await deps.prompts.open(
        {
          siteName: site.name,
          origin,
          holder: card.holder,
          issuerName: card.issuer,
          notAfter: card.notAfter,
          retriesLeft: card.pinRetriesLeft,
          maxRetries: card.pinMaxRetries,
          roles: site.roles,
        },
        request.timeoutMs ?? DEFAULT_USER_TIMEOUT_MS,
      );
      promptsByTab.set(request.tabId, prompt);
      if (card.pinRetriesLeft === 0) {
        // The window explains the unlock procedure; no PIN is asked for a locked card.
        prompt.finish(true);
        prompt = undefined;
        throw new HpkiError('ERR_HPKI_PIN_BLOCKED', 'the card is locked');
      }
      let retriesLeft = card.pinRetriesLeft;
      for (;;) {
        const submission = await prompt.nextPin();
        try {
          const { token } = await host.request('authenticate', {
            origin,
            challenge: request.challenge,
            pin: submission.takePin(),
            certificateSha256: card.certificateSha256,
          });
          submission.reply({ outcome: 'done' });
          return token;
        } catch (err) {
          const error = toHpkiError(err);
          if (error.code === 'ERR_HPKI_PIN_INCORRECT') retriesLeft = error.retriesLeft ?? Math.max(0, retriesLeft - 1);
          if (error.code === 'ERR_HPKI_PIN_INCORRECT' && retriesLeft > 0) {
            submission.reply({ outcome: 'retry', retriesLeft });
            continue;
          }
          if (error.code === 'ERR_HPKI_PIN_BLOCKED' || error.code === 'ERR_HPKI_PIN_INCORRECT') {
            submission.reply({ outcome: 'blocked' });
            prompt.finish(true);
            prompt = undefined;
            throw error.code === 'ERR_HPKI_PIN_BLOCKED'
              ? error
              : new HpkiError('ERR_HPKI_PIN_BLOCKED', 'no PIN tries left');
          }
          submission.reply({ outcome: 'failed', error: error.toWire() });
          throw error;
        }
      }
    } finally {
      prompt?.finish();
      host.close();
    }
  }

  return {
    async authenticate(request) {
      const origin = assertSecureOrigin(request.origin);
      if (busyTabs.has(request.tabId)) throw new HpkiError('ERR_HPKI_BUSY', 'a login is already pending in this tab');
      busyTabs.add(request.tabId);
      try {
        return await run(request, origin);
      } finally {
        busyTabs.delete(request.tabId);
        promptsByTab.delete(request.tabId);
      }
    },

    cancelTab(tabId) {
      promptsByTab.get(tabId)?.cancel('ERR_HPKI_USER_CANCELLED');
    },
  };
}
