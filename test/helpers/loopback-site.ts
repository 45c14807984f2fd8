import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A minimal HPKI-login site on a loopback origin, for end-to-end tests that need pages the demo
 * portal does not serve: a descriptor with a button, a challenge route, and HTML pages with the
 * response headers a test chooses (e.g. CSP `sandbox`). The development build counts a loopback
 * origin that serves a descriptor as enabled (PROTOCOL.md §7).
 */

export interface SitePage {
  body: string;
  headers?: Record<string, string>;
}

export interface LoopbackSite {
  origin: string;
  /** Adds or replaces the page served at `path`. */
  page(path: string, page: SitePage): void;
  close(): Promise<void>;
}

export const SITE_BUTTON_ANCHOR = 'login-anchor';

/** A page with the anchor the descriptor places the button after, and an optional script. */
export function loginPageHtml(title: string, script = ''): string {
  return `<!doctype html><html lang="ja"><head><meta charset="utf-8"><title>${title}</title></head>
<body><h1>${title}</h1><div id="${SITE_BUTTON_ANCHOR}">ログイン</div><button id="act" type="button">act</button>
${script === '' ? '' : `<script>${script}</script>`}</body></html>`;
}

/**
 * `cors`: the JSON routes answer any origin (`Access-Control-Allow-Origin: *`), as a site may; an
 * opaque-origin document of the site can then read them too.
 */
export async function startLoopbackSite(options: { name?: string; cors?: boolean } = {}): Promise<LoopbackSite> {
  const name = options.name ?? 'テストサイト';
  const json = { 'Content-Type': 'application/json', ...(options.cors ? { 'Access-Control-Allow-Origin': '*' } : {}) };
  const pages = new Map<string, SitePage>();
  const descriptor = JSON.stringify({
    hpkiLogin: 1,
    name,
    challengeUrl: '/hpki/challenge',
    loginUrl: '/hpki/login',
    button: { selector: `#${SITE_BUTTON_ANCHOR}`, position: 'afterend' },
  });
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path === '/.well-known/hpki-login') {
      res.writeHead(200, json).end(descriptor);
      return;
    }
    if (path === '/hpki/challenge') {
      const challenge = randomBytes(32).toString('base64url');
      const expiresAt = new Date(Date.now() + 300_000).toISOString();
      res.writeHead(200, json).end(JSON.stringify({ challenge, expiresAt }));
      return;
    }
    const page = pages.get(path);
    if (page === undefined) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', ...page.headers }).end(page.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://localhost:${port}`,
    page: (path, page) => void pages.set(path, page),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
