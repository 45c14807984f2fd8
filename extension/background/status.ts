import { toHpkiError } from '../../protocol/errors.js';
import type { PageStatusResult } from '../../protocol/page-messages.js';
import { HOST_HELLO_TIMEOUT_MS } from '../../protocol/timeouts.js';
import type { CardOverview, EnabledSite, Overview } from '../shared/index.js';
import type { HostSession, NativeConnector } from './native-host.js';
import { openHostSession } from './native-host.js';

/** The page API's `status` and the popup's overview: read-only looks at the host, readers and card. */

export interface StatusDeps {
  connector: NativeConnector;
  extensionVersion: string;
  helloTimeoutMs?: number;
}

/** PROTOCOL.md §1.2: `host` is null (and `readers` empty) when the native host cannot be reached. */
export async function pageStatus(deps: StatusDeps): Promise<PageStatusResult> {
  let host: HostSession;
  try {
    host = await openHostSession(deps.connector, deps.helloTimeoutMs ?? HOST_HELLO_TIMEOUT_MS);
  } catch (err) {
    const error = toHpkiError(err);
    if (error.code === 'ERR_HPKI_NATIVE_UNAVAILABLE')
      return { extension: deps.extensionVersion, host: null, readers: [], cardPresent: false };
    throw error;
  }
  try {
    const { readers } = await host.request('status', undefined);
    // Reader names and card types stay here: the page learns how many readers there are and which hold a card.
    return {
      extension: deps.extensionVersion,
      host: host.hello.version,
      readers: readers.map((r) => ({ cardPresent: r.cardPresent })),
      cardPresent: readers.some((r) => r.cardPresent),
    };
  } finally {
    host.close();
  }
}

export interface OverviewDeps extends StatusDeps {
  loopbackDevelopment: boolean;
  sites(): Promise<EnabledSite[]>;
}

export async function overview(deps: OverviewDeps): Promise<Overview> {
  const result: Overview = {
    extensionVersion: deps.extensionVersion,
    loopbackDevelopment: deps.loopbackDevelopment,
    host: null,
    hostError: null,
    readers: [],
    card: null,
    cardError: null,
    sites: await deps.sites(),
  };
  let host: HostSession;
  try {
    host = await openHostSession(deps.connector, deps.helloTimeoutMs ?? HOST_HELLO_TIMEOUT_MS);
  } catch (err) {
    result.hostError = toHpkiError(err).toWire();
    return result;
  }
  try {
    result.host = { version: host.hello.version, backend: host.hello.backend };
    result.readers = (await host.request('status', undefined)).readers;
    if (result.readers.some((r) => r.cardPresent)) {
      try {
        result.card = await readCard(host);
      } catch (err) {
        result.cardError = toHpkiError(err).toWire();
      }
    }
  } catch (err) {
    result.hostError = toHpkiError(err).toWire();
  } finally {
    host.close();
  }
  return result;
}

async function readCard(host: HostSession): Promise<CardOverview> {
  const card = await host.request('get-certificate', undefined);
  return {
    reader: card.reader,
    cardType: card.cardType,
    holder: card.holder,
    issuerName: card.issuerOrganization ?? card.issuer,
    notAfter: card.notAfter,
    pinRetriesLeft: card.pinRetriesLeft,
  };
}
