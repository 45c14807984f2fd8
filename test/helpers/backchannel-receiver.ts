import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A relying service's back-channel logout endpoint, recording every logout token per path. */
export interface BackchannelReceiver {
  url: string;
  /** Logout tokens received at `path`, oldest first. */
  tokens(path: string): string[];
  /** Resolves with the next token at `path` (or one already there past `seen`), or rejects after `timeoutMs`. */
  waitFor(path: string, seen: number, timeoutMs?: number): Promise<string>;
  close(): Promise<void>;
}

export async function startBackchannelReceiver(): Promise<BackchannelReceiver> {
  const received = new Map<string, string[]>();
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const token = new URLSearchParams(body).get('logout_token');
      if (req.method === 'POST' && token !== null) received.set(path, [...(received.get(path) ?? []), token]);
      res.writeHead(token === null ? 400 : 200, { 'cache-control': 'no-store' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const tokens = (path: string): string[] => received.get(path) ?? [];
  return {
    url,
    tokens,
    async waitFor(path, seen, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      while (tokens(path).length <= seen) {
        if (Date.now() > deadline) throw new Error(`no logout token at ${path} within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 25));
      }
      return tokens(path)[seen]!;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
