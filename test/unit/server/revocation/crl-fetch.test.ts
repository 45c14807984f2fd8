import type { LookupAddress } from 'node:dns';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestPki } from '../../../../scripts/dev/test-pki.js';
import { createTestPki, makeCrl, toPem } from '../../../../scripts/dev/test-pki.js';
import { createGuardedLookup, forbiddenAddressProblem } from '../../../../server/revocation/crl-download.js';
import { createCrlFetcher } from '../../../../server/revocation/crl-fetcher.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

let server: Server;
let base: string;
const routes = new Map<string, Handler>();
const hits = new Map<string, number>();
let pki: TestPki;

function crlAt(thisUpdate: Date, days = 4): Uint8Array {
  return makeCrl({
    issuer: pki.authCa.name,
    signingKey: pki.authCa.key,
    thisUpdate,
    nextUpdate: new Date(thisUpdate.getTime() + days * DAY),
  });
}

function serve(path: string, body: () => Uint8Array | string, type = 'application/pkix-crl'): string {
  routes.set(path, (_req, res) => {
    res.writeHead(200, { 'content-type': type });
    res.end(body());
  });
  return `${base}${path}`;
}

beforeAll(async () => {
  pki = createTestPki({ now: new Date('2030-06-01T00:00:00Z') });
  server = createServer((req, res) => {
    const path = req.url ?? '/';
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const handler = routes.get(path);
    if (handler === undefined) {
      res.writeHead(404).end();
      return;
    }
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function clock(start: Date): { now: () => Date; advance: (ms: number) => void } {
  let t = start.getTime();
  return {
    now: () => new Date(t),
    advance: (ms) => {
      t += ms;
    },
  };
}

describe('CRL fetching over HTTP', () => {
  it('fetches DER and PEM bodies and serves the cache until a refresh is due', async () => {
    const t0 = pki.now;
    const der = serve('/der.crl', () => crlAt(t0));
    const pem = serve('/pem.crl', () => toPem(crlAt(t0), 'X509 CRL'), 'application/x-pem-file');
    const c = clock(t0);
    const fetcher = createCrlFetcher({ now: c.now, refreshIntervalMs: HOUR });
    expect((await fetcher.get(der))?.thisUpdate).toEqual(t0);
    expect((await fetcher.get(pem))?.thisUpdate).toEqual(t0);
    for (let i = 0; i < 5; i++) await fetcher.get(der);
    expect(hits.get('/der.crl')).toBe(1);
    expect(fetcher.cachedUrls).toEqual([der, pem]);
  });

  it('refreshes on the schedule, answering from the cache while the new list comes', async () => {
    let current = pki.now;
    const url = serve('/daily.crl', () => crlAt(current));
    const c = clock(pki.now);
    const fetcher = createCrlFetcher({ now: c.now, refreshIntervalMs: HOUR });
    await fetcher.get(url);
    c.advance(HOUR + 1000); // CRL times have whole seconds
    current = c.now();
    const during = await fetcher.get(url);
    expect(during?.thisUpdate).toEqual(pki.now);
    await fetcher.refreshDue(); // waits for the refresh already under way
    expect((await fetcher.get(url))?.thisUpdate).toEqual(current);
    expect(hits.get('/daily.crl')).toBe(2);
  });

  it('refreshes ahead of nextUpdate and waits for a fetch when the cached list is stale', async () => {
    let issued = pki.now;
    const url = serve('/short.crl', () => crlAt(issued, 0.1)); // nextUpdate after 2.4 h
    const c = clock(pki.now);
    const fetcher = createCrlFetcher({ now: c.now, refreshIntervalMs: 24 * HOUR, refreshBeforeNextUpdateMs: HOUR });
    await fetcher.get(url);
    c.advance(1.5 * HOUR); // less than the interval, but within an hour of nextUpdate
    await fetcher.get(url);
    await fetcher.refreshDue();
    expect(hits.get('/short.crl')).toBe(2);
    c.advance(5 * HOUR); // cached list now stale: the caller waits for the new one
    issued = c.now();
    expect((await fetcher.get(url))?.thisUpdate).toEqual(issued);
  });

  it('does not let a replayed older list replace a newer one', async () => {
    let issued = pki.now;
    const url = serve('/replay.crl', () => crlAt(issued));
    const c = clock(pki.now);
    const fetcher = createCrlFetcher({ now: c.now, refreshIntervalMs: HOUR });
    await fetcher.get(url);
    issued = new Date(pki.now.getTime() - DAY);
    c.advance(2 * HOUR);
    await fetcher.get(url);
    await fetcher.refreshDue();
    expect((await fetcher.get(url))?.thisUpdate).toEqual(pki.now);
  });

  it('gives up on errors, oversized bodies and slow servers, and backs off before retrying', async () => {
    const errors: string[] = [];
    const c = clock(pki.now);
    const fetcher = createCrlFetcher({
      now: c.now,
      maxBytes: 4096,
      timeoutMs: 300,
      retryAfterFailureMs: 60_000,
      onError: (u, e) => errors.push(`${u} ${e.message}`),
    });
    routes.set('/fail.crl', (_req, res) => void res.writeHead(500).end());
    routes.set('/big.crl', (_req, res) => {
      res.writeHead(200); // chunked, no content-length: the limit applies while reading
      for (let i = 0; i < 10; i++) res.write(new Uint8Array(1024));
      res.end();
    });
    routes.set('/slow.crl', () => undefined); // never answers
    routes.set('/junk.crl', (_req, res) => void res.writeHead(200).end('not a crl'));
    for (const path of ['/fail.crl', '/big.crl', '/slow.crl', '/junk.crl']) {
      const started = Date.now();
      expect(await fetcher.get(`${base}${path}`)).toBeUndefined();
      expect(Date.now() - started).toBeLessThan(5_000);
    }
    expect(errors.map((e) => e.replace(base, ''))).toEqual([
      expect.stringMatching(/^\/fail\.crl HTTP 500/),
      expect.stringMatching(/^\/big\.crl .*larger than 4096/),
      expect.stringMatching(/^\/slow\.crl /),
      expect.stringMatching(/^\/junk\.crl CRL is not valid DER/),
    ]);
    await fetcher.get(`${base}/fail.crl`);
    expect(hits.get('/fail.crl')).toBe(1);
    c.advance(61_000);
    await fetcher.get(`${base}/fail.crl`);
    expect(hits.get('/fail.crl')).toBe(2);
  });

  it('fetches only http(s) URLs without credentials', async () => {
    const fetcher = createCrlFetcher();
    for (const url of [
      'ldap://example.jp/cn=crl',
      'file:///etc/passwd',
      `http://user:pw@127.0.0.1/x.crl`,
      'not a url',
    ]) {
      expect(await fetcher.get(url)).toBeUndefined();
    }
    expect(fetcher.cachedUrls).toEqual([]);
  });

  it('runs refreshDue on a timer once started', async () => {
    const url = serve('/timer.crl', () => crlAt(pki.now));
    const c = clock(pki.now);
    const fetcher = createCrlFetcher({ now: c.now, refreshIntervalMs: HOUR });
    await fetcher.get(url);
    c.advance(2 * HOUR);
    const stop = fetcher.startSchedule(20);
    await new Promise((resolve) => setTimeout(resolve, 200));
    stop();
    expect(hits.get('/timer.crl')).toBeGreaterThanOrEqual(2);
  });

  it('does not follow redirects: the target of a 302 is never asked', async () => {
    const target = serve('/moved-here.crl', () => crlAt(pki.now));
    routes.set('/redirect.crl', (_req, res) => void res.writeHead(302, { location: target }).end());
    const errors: string[] = [];
    const fetcher = createCrlFetcher({ onError: (_u, e) => errors.push(e.message) });
    expect(await fetcher.get(`${base}/redirect.crl`)).toBeUndefined();
    expect(errors[0]).toMatch(/HTTP 302 .*redirects are not followed/);
    expect(hits.get('/moved-here.crl')).toBeUndefined();
  });

  it('bounds a download that trickles in by time, from connect to last byte', async () => {
    routes.set('/trickle.crl', (_req, res) => {
      res.writeHead(200);
      const timer = setInterval(() => res.write(new Uint8Array(16)), 50);
      res.on('close', () => clearInterval(timer));
    });
    const errors: string[] = [];
    const fetcher = createCrlFetcher({ timeoutMs: 300, onError: (_u, e) => errors.push(e.message) });
    const started = Date.now();
    expect(await fetcher.get(`${base}/trickle.crl`)).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(errors).toEqual([expect.stringMatching(/trickle\.crl took longer than 300 ms/)]);
  });

  it('refuses link-local and unspecified targets, literal or resolved, unless allowed', async () => {
    const errors: string[] = [];
    const fetcher = createCrlFetcher({ onError: (_u, e) => errors.push(e.message) });
    for (const url of [
      'http://169.254.169.254/latest/meta-data',
      'http://[fe80::1]/x.crl',
      'http://[::ffff:169.254.1.1]/x.crl',
      'http://0.0.0.0/x.crl',
    ]) {
      expect(await fetcher.get(url)).toBeUndefined();
    }
    expect(errors).toHaveLength(4);
    for (const e of errors) expect(e).toMatch(/link-local or unspecified/);
    expect(forbiddenAddressProblem('127.0.0.1')).toBeUndefined();
    expect(forbiddenAddressProblem('10.1.2.3')).toBeUndefined();
    // A name is refused when any of its addresses is forbidden (no choosing the good one).
    const answers =
      (addresses: string[]) =>
      (_host: string, _o: unknown, cb: (err: NodeJS.ErrnoException | null, a: LookupAddress[]) => void) =>
        cb(
          null,
          addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
        );
    const outcome = (addresses: string[]): Promise<string> =>
      new Promise((resolve) =>
        createGuardedLookup(answers(addresses))('crl.example.jp', {}, (err, address) =>
          resolve(err === null ? String(address) : err.message),
        ),
      );
    expect(await outcome(['192.0.2.10'])).toBe('192.0.2.10');
    expect(await outcome(['192.0.2.10', '169.254.169.254'])).toMatch(
      /refusing crl.example.jp: 169.254.169.254 is a link-local/,
    );
    expect(await outcome(['fe80::1'])).toMatch(/link-local/);
  });

  it('fetches by name from a loopback server (loopback is not link-local)', async () => {
    const url = serve('/by-name.crl', () => crlAt(pki.now)).replace('127.0.0.1', 'localhost');
    const fetcher = createCrlFetcher();
    expect((await fetcher.get(url))?.thisUpdate).toEqual(pki.now);
  });
});
