import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Provider from 'oidc-provider';
import { afterEach, describe, expect, it } from 'vitest';
import { createSessionCookie } from '../../../../server/http/index.js';
import { createInteractionRoutes, type InteractionDeps } from '../../../../server/sso/interactions.js';
import type { SsoRecords } from '../../../../server/sso/records.js';
import { storeUnavailable } from '../../../../server/sso/store.js';

/**
 * The interaction page when the provider cannot read the interaction: a store that does not answer
 * (Redis down, before the store watch has noticed) is 503 with Retry-After, as while the watch has
 * it down (PROTOCOL.md §10); any other failure is the page for an interaction of another browser.
 */

let server: Server | undefined;

afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

async function pageWhen(failure: unknown): Promise<Response> {
  const provider = { interactionDetails: () => Promise.reject(failure) } as unknown as Provider;
  const deps: InteractionDeps = {
    provider: () => provider,
    // Never reached: the interaction cannot be read.
    records: {} as SsoRecords,
    clients: [],
    cookie: createSessionCookie('https://sso.example.jp'),
    providerName: 'HPKI SSO',
  };
  const routes = createInteractionRoutes(deps);
  server = createServer((req, res) => {
    void routes(req, res).then((handled) => {
      if (!handled) res.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return fetch(`http://127.0.0.1:${port}/interaction/aaaaaaaaaaaaaaaaaaaaa`, { headers: { 'accept-language': 'en' } });
}

describe('the interaction page when the interaction cannot be read', () => {
  it('a store that does not answer: 503 with Retry-After and the unavailable page', async () => {
    const page = await pageWhen(storeUnavailable());
    expect(page.status).toBe(503);
    expect(page.headers.get('retry-after')).toBe('5');
    expect(await page.text()).toContain('cannot reach its store');
  });

  it('anything else (an interaction of another browser, expired): 400, not 503', async () => {
    const page = await pageWhen(new Error('interaction session not found'));
    expect(page.status).toBe(400);
  });
});
