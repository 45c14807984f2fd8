import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { assertSecureOrigin } from '../../protocol/origin.js';
import { type ChallengeStore, createMemoryChallengeStore, createRedisChallengeStore } from '../challenge-store/index.js';
import type { TokenVerifier } from '../verify/index.js';
import { createDemoPortalHandler } from './portal.js';

export interface DemoPortalOptions {
  /** TCP port; 0 picks a free one. */
  port: number;
  /** Interface to listen on. Default 127.0.0.1: the demo is for this machine only. */
  host?: string;
  /** Checks the tokens (the caller decides what it trusts: the mock PKI for the demo). */
  verifier: TokenVerifier;
  /** Challenges in Redis (shared by several portal processes) instead of this process's memory. */
  redisUrl?: string;
  /**
   * The origin browsers see, when it is not `http://localhost:<port>` (behind a proxy, or several
   * processes serving one site): tokens must be signed for it.
   */
  origin?: string;
  /** Told about unexpected failures (no secrets reach it: tokens carry none, PINs never get here). */
  onInternalError?: (err: unknown) => void;
}

export interface RunningDemoPortal {
  origin: string;
  port: number;
  challengeStore: 'memory' | 'redis';
  close(): Promise<void>;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Starts the demo portal and resolves once it accepts connections. */
export async function startDemoPortal(options: DemoPortalOptions): Promise<RunningDemoPortal> {
  if (options.origin !== undefined) assertSecureOrigin(options.origin);
  const challenges: ChallengeStore =
    options.redisUrl === undefined ? createMemoryChallengeStore() : createRedisChallengeStore({ url: options.redisUrl });
  // The handler needs the origin, which may depend on the port the system picks; it is set as soon
  // as listen() returns, before any request can be read.
  let handler: ReturnType<typeof createDemoPortalHandler> | undefined;
  const server = createServer({ requestTimeout: 15_000, headersTimeout: 10_000 }, (req, res) => {
    if (handler !== undefined) handler(req, res);
    else res.writeHead(503, { Connection: 'close' }).end();
  });
  let port: number;
  try {
    // An unreachable Redis should stop the demo now, not fail the first login.
    await challenges.take('startup-probe-0000000000000000');
    port = await listen(server, options.port, options.host ?? '127.0.0.1');
  } catch (err) {
    await challenges.close();
    throw err;
  }
  const origin = options.origin ?? `http://localhost:${port}`;
  handler = createDemoPortalHandler({ origin, verifier: options.verifier, challenges, onInternalError: options.onInternalError });
  return {
    origin,
    port,
    challengeStore: options.redisUrl === undefined ? 'memory' : 'redis',
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await challenges.close();
    },
  };
}
