import { createPrivateKey, sign } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, expect } from 'vitest';
import { buildSignedContent } from '../../protocol/signed-data.js';
import { encodeToken, type Token } from '../../protocol/token.js';
import { type ChallengeStore, createMemoryChallengeStore } from '../../server/challenge-store/index.js';
import {
  createHpkiRoutes,
  createMemorySessionStore,
  createSessionCookie,
  type HpkiRouteLimits,
} from '../../server/http/index.js';
import { createTokenVerifier, type LoginResult } from '../../server/verify/index.js';
import { readShared, readSharedPemDer } from './shared.js';

/**
 * An HPKI site on a real node:http server for the route tests: the HPKI routes with the real
 * verifier trusting the shared test vectors' mock chain, and tokens either the vectors' own or
 * signed with the vectors' end-entity keys over challenges the site issued. Sites started in a test
 * are closed after it.
 */

export interface Vector {
  name: string;
  origin: string;
  challenge: string;
  token: Token;
}
export const VECTORS = (JSON.parse(readShared('test-vectors', 'vectors.json')) as { vectors: Vector[] }).vectors;
export const ORIGIN = 'https://harenet.example.jp';
export const BASIC = VECTORS.find((v) => v.name === 'basic')!;
export const OTHER_ORIGIN = VECTORS.find((v) => v.origin !== ORIGIN)!;
export const AUTH_CA = readSharedPemDer('test-vectors', 'authca.pem');
export const DESCRIPTOR = {
  hpkiLogin: 1 as const,
  name: '晴れやかネット',
  challengeUrl: '/hpki/challenge',
  loginUrl: '/hpki/login',
  button: { selector: '#password-login', position: 'afterend' as const },
  roles: ['Medical Doctor'],
};

export function signedToken(
  holder: 'ee' | 'ee_pharm' | 'ee_revoked' | 'ee_sign',
  challenge: string,
  origin = ORIGIN,
): Token {
  const certificate = readSharedPemDer('test-vectors', `${holder}.pem`);
  const key = createPrivateKey(readShared('test-vectors', `${holder}.key`));
  const signature = sign('sha256', buildSignedContent({ origin, challenge, certificate }), key);
  const issuer = holder === 'ee_sign' ? readSharedPemDer('test-vectors', 'signca.pem') : AUTH_CA;
  return encodeToken({ certificate, intermediates: [issuer], signature });
}

/** Hands out given challenges (the vectors') in turn, single use, as a real store would. */
export function fixedChallengeStore(challenges: string[]): ChallengeStore {
  const queue = [...challenges];
  const pending = new Map<string, string>();
  return {
    async issue(sessionId) {
      const challenge = queue.shift();
      if (challenge === undefined) throw new Error('no more test challenges');
      pending.set(sessionId, challenge);
      return { challenge, expiresAt: new Date(Date.now() + 60_000) };
    },
    async take(sessionId) {
      const challenge = pending.get(sessionId);
      pending.delete(sessionId);
      return challenge === undefined ? { status: 'unknown' } : { status: 'ok', challenge };
    },
    async close() {},
  };
}

export interface Site {
  url: string;
  sessions: ReturnType<typeof createMemorySessionStore<LoginResult>>;
  close(): Promise<void>;
}

const sites: Site[] = [];
afterEach(async () => {
  await Promise.all(sites.splice(0).map((s) => s.close()));
});

export async function startSite(
  challenges: ChallengeStore = createMemoryChallengeStore(),
  limits: HpkiRouteLimits = {},
): Promise<Site> {
  const sessions = createMemorySessionStore<LoginResult>();
  const routes = createHpkiRoutes({
    origin: ORIGIN,
    verifier: createTokenVerifier({
      anchors: [readSharedPemDer('test-vectors', 'root.pem')],
      intermediates: [AUTH_CA, readSharedPemDer('test-vectors', 'signca.pem')],
      crls: [readSharedPemDer('test-vectors', 'authca-crl.pem')],
      allowedRoles: ['Medical Doctor'],
    }),
    challenges,
    cookie: createSessionCookie(ORIGIN),
    redirect: '/portal',
    startSession(login, previous) {
      if (previous !== undefined) sessions.destroy(previous);
      return sessions.create(login);
    },
    descriptor: DESCRIPTOR,
    limits,
  });
  const server: Server = createServer((req, res) => {
    void routes(req, res).then((handled) => {
      if (!handled) res.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const site: Site = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    sessions,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  sites.push(site);
  return site;
}

export function sessionCookieOf(res: Response): string | undefined {
  const set = res.headers.getSetCookie().find((c) => c.startsWith('__Host-hpki-session='));
  return set?.split(';')[0];
}

export async function getChallenge(
  site: Site,
  cookie?: string,
): Promise<{ challenge: string; expiresAt: string; cookie: string; res: Response }> {
  const res = await fetch(`${site.url}/hpki/challenge`, { headers: cookie === undefined ? {} : { cookie } });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { challenge: string; expiresAt: string };
  return { ...body, cookie: sessionCookieOf(res) ?? cookie ?? '', res };
}

export async function postLogin(
  site: Site,
  body: unknown,
  options: { cookie?: string; headers?: Record<string, string>; raw?: string } = {},
): Promise<{ status: number; json: { redirect?: string; error?: { code: string; message: string } }; res: Response }> {
  const res = await fetch(`${site.url}/hpki/login`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-hpki-login': '1',
      ...(options.cookie === undefined ? {} : { cookie: options.cookie }),
      ...options.headers,
    },
    body: options.raw ?? JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text === '' ? {} : JSON.parse(text), res };
}
