import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesToHex, decodeBase64Strict } from '../../protocol/base64.js';
import { sha256Bytes } from '../../protocol/signed-data.js';
import { challengeFrom, type Portal, startPortal, stopPortal } from '../../scripts/dev/demo-portal.js';
import { type NativeClient, startCliHost } from '../../scripts/dev/native-client.js';
import { createCardFile } from '../../scripts/dev/virtual-card-process.js';

/**
 * The whole server side of a login with real parts: the demo portal process, the native host process
 * with a virtual card made from the portal's mock PKI, and HTTP between them, as the extension does it.
 */

let dir: string;
let portal: Portal;
let host: NativeClient;
let certificateSha256: string;

async function tokenFromHost(origin: string, challenge: string, id: string): Promise<unknown> {
  const answer = await host.request({
    id,
    command: 'authenticate',
    params: { origin, challenge, pin: '4321', certificateSha256 },
  });
  expect(answer).toHaveProperty('result');
  return (answer.result as { token: unknown }).token;
}

async function postLogin(cookie: string, token: unknown, headers: Record<string, string> = { 'X-HPKI-Login': '1' }) {
  const res = await fetch(`${portal.url}/hpki/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', cookie, ...headers },
    body: JSON.stringify({ token }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, res };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hpki-login-e2e-http-'));
  const pki = join(dir, 'pki');
  await createCardFile(join(dir, 'doctor.card'), pki, ['--pin', '4321']);
  portal = await startPortal(['--pki', pki]);
  host = startCliHost(['--backend', 'mock', '--card', join(dir, 'doctor.card')]);
  const got = await host.request({ id: 'cert', command: 'get-certificate' });
  const certificate = decodeBase64Strict((got.result as { certificate: string }).certificate)!;
  certificateSha256 = bytesToHex(sha256Bytes(certificate));
}, 60_000);

afterAll(async () => {
  await host?.close();
  if (portal) await stopPortal(portal);
  rmSync(dir, { recursive: true, force: true });
});

describe('login with a token from the native host and a virtual card', () => {
  it('logs in, greets the doctor, and refuses the replay', async () => {
    const { challenge, cookie } = await challengeFrom(portal);
    const token = await tokenFromHost(portal.origin, challenge, 'a1');
    const login = await postLogin(cookie, token);
    expect(login.status).toBe(200);
    expect(login.body).toEqual({ redirect: expect.stringMatching(/^\//) });
    const newCookie = login.res.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .find((c) => c?.includes('='))!;
    expect(newCookie).not.toBe(cookie);
    const page = await fetch(`${portal.url}${login.body.redirect as string}`, { headers: { cookie: newCookie } });
    expect(await page.text()).toContain('ようこそ 日医 太郎 先生');

    const replay = await postLogin(cookie, token);
    expect(replay.status).toBe(401);
    expect(replay.body).toMatchObject({ error: { code: 'ERR_CHALLENGE_UNKNOWN' } });
  });

  it('refuses a token posted from another session', async () => {
    const mine = await challengeFrom(portal);
    const theirs = await challengeFrom(portal);
    const token = await tokenFromHost(portal.origin, mine.challenge, 'a2');
    const posted = await postLogin(theirs.cookie, token);
    expect(posted.status).toBe(401);
    expect(posted.body).toMatchObject({ error: { code: 'ERR_SIGNATURE_INVALID' } });
  });

  it('refuses a token made for another origin (relayed login)', async () => {
    const { challenge, cookie } = await challengeFrom(portal);
    const token = await tokenFromHost('https://phishing.example.jp', challenge, 'a3');
    const posted = await postLogin(cookie, token);
    expect(posted.body).toMatchObject({ error: { code: 'ERR_SIGNATURE_INVALID' } });
  });

  it('refuses a POST without the X-HPKI-Login header', async () => {
    const { challenge, cookie } = await challengeFrom(portal);
    const token = await tokenFromHost(portal.origin, challenge, 'a4');
    const posted = await postLogin(cookie, token, {});
    expect(posted.status).toBe(400);
  });
});
