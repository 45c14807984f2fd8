import { PIN_PATTERN } from '../../protocol/challenge.js';
import { HpkiError } from '../../protocol/errors.js';
import type { PinApplication } from '../../protocol/messages.js';
import { HOST_HELLO_TIMEOUT_MS } from '../../protocol/timeouts.js';
import type { PinTries } from '../shared/index.js';
import type { HostSession, NativeConnector } from './native-host.js';
import { openHostSession } from './native-host.js';
import type { Serial } from './status-gate.js';

/**
 * The extension's own PIN change (PROTOCOL.md §11 `change-pin`), for the options page and the popup:
 * the tries left of one application, and one change of its PIN. Each is one host session, in the
 * same one-at-a-time slot as the popup's look at the card. The current PIN is sent once and never
 * retried; neither PIN is logged or kept.
 */

export interface PinChangeDeps {
  connector: NativeConnector;
  slot: Serial;
  helloTimeoutMs?: number;
}

export interface PinChangeService {
  tries(application: PinApplication): Promise<PinTries>;
  change(application: PinApplication, pin: string, newPin: string): Promise<null>;
}

export function createPinChange(deps: PinChangeDeps): PinChangeService {
  async function withHost<T>(task: (host: HostSession) => Promise<T>): Promise<T> {
    return deps.slot.run(async () => {
      const host = await openHostSession(deps.connector, deps.helloTimeoutMs ?? HOST_HELLO_TIMEOUT_MS);
      try {
        return await task(host);
      } finally {
        host.close();
      }
    });
  }

  return {
    tries: (application) =>
      withHost(async (host) => {
        const command = application === 'auth' ? 'get-certificate' : 'get-signing-certificate';
        const card = await host.request(command, undefined);
        return { application, retriesLeft: card.pinRetriesLeft, maxRetries: card.pinMaxRetries };
      }),
    change: (application, pin, newPin) => {
      // Checked here as well as by the host, so that a bad PIN never starts a host at all.
      if (!PIN_PATTERN.test(pin))
        return Promise.reject(
          new HpkiError('ERR_HPKI_INVALID_ARGUMENT', 'the current PIN is not 4–16 printable ASCII'),
        );
      if (!PIN_PATTERN.test(newPin))
        return Promise.reject(new HpkiError('ERR_HPKI_INVALID_ARGUMENT', 'the new PIN is not 4–16 printable ASCII'));
      return withHost(async (host) => {
        await host.request('change-pin', { application, pin, newPin });
        return null;
      });
    },
  };
}
