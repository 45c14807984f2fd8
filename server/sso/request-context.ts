import { AsyncLocalStorage } from 'node:async_hooks';
import { randomId } from '../shared/index.js';

/**
 * What the provider knows about the request being served, wherever its handling goes (oidc-provider,
 * the store's adapters, log lines): its id, and its client (client-address.ts) to which a store
 * charges the anonymous records written meanwhile. Records written outside a request (none today)
 * are charged to nobody and still count against the whole bound.
 */
export interface RequestContext {
  requestId: string;
  client: string;
}

const current = new AsyncLocalStorage<RequestContext>();

export function withRequestContext<T>(context: RequestContext, run: () => T): T {
  return current.run(context, run);
}

export function currentRequestClient(): string | undefined {
  return current.getStore()?.client;
}

export function currentRequestId(): string | undefined {
  return current.getStore()?.requestId;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{8,64}$/;

/** The id a proxy in front gave the request (`X-Request-Id`), when it is a plain token; else a new one. */
export function requestIdOf(header: string | string[] | undefined): string {
  const given = Array.isArray(header) ? header[0] : header;
  return given !== undefined && REQUEST_ID.test(given) ? given : randomId(12);
}
