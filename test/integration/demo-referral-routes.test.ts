import { execFile } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MockPkiTrust, trustMockPki } from '../../scripts/cli/mock-pki-trust.js';
import { createMemoryChallengeStore } from '../../server/challenge-store/index.js';
import { createDemoPortalHandler, DEMO_ALLOWED_ROLES } from '../../server/demo/portal.js';
import type { PortalUser } from '../../server/demo/portal-user.js';
import { REFERRAL_LABEL } from '../../server/demo/referral-letter.js';
import { createMemorySessionStore } from '../../server/http/index.js';
import { signWithCard } from '../helpers/card-signer.js';
import { createXadesCard, SIGN_PIN, type XadesCard } from '../helpers/xades-card.js';

/**
 * 「紹介状に署名」's server side over HTTP, with the card's real signature (the host's `sign` over the
 * virtual card) in place of the browser: prepare → sign → finish gives a valid report and a PDF that
 * pdfsig accepts; the pending state belongs to one session, is used once, and refuses a signature
 * that is not the certificate's; anonymous and password sessions cannot prepare; bad bodies get
 * ERR_HPKI_INVALID_ARGUMENT. The browser half is test/e2e/referral*.test.ts.
 */

const run = promisify(execFile);
let card: XadesCard;
let trust: MockPkiTrust;
let server: Server;
let base: string;
const sessions = createMemorySessionStore<PortalUser>();
let doctor: string;
let otherDoctor: string;
let password: string;

const cookie = (id: string): Record<string, string> => ({ Cookie: `hpki-session=${id}` });

function hpkiUser(holderId: string): PortalUser {
  return {
    method: 'hpki',
    login: {
      certificateSha256: '00'.repeat(32),
      serialNumber: '01',
      issuer: 'HPKI-01-MockAuthCA',
      notAfter: '2031-12-05T00:00:00Z',
      holder: { name: 'Nichii Taro', nameJa: '日医　太郎', id: holderId },
      hcRole: 'Medical Doctor',
    },
  };
}

async function post(path: string, session: string | undefined, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      'Sec-Fetch-Site': 'same-origin',
      ...(session === undefined ? {} : cookie(session)),
      ...headers,
    },
    body: typeof body === 'string' ? body : body instanceof Uint8Array ? new Uint8Array(body) : JSON.stringify(body),
  });
  const text = await res.text();
  // The portal's cross-site refusal is its HTML page, like its other forms'.
  const json = res.headers.get('content-type')?.startsWith('application/json') ? JSON.parse(text) : { html: text };
  return { status: res.status, json: json as Record<string, unknown> };
}

const certificateBody = () => ({
  certificate: Buffer.from(card.certificate).toString('base64'),
  intermediates: [Buffer.from(card.signCa).toString('base64')],
});

beforeAll(async () => {
  card = await createXadesCard('Nichii Taro');
  trust = await trustMockPki(join(card.dir, 'pki'), { allowedRoles: DEMO_ALLOWED_ROLES });
  server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  base = `http://127.0.0.1:${port}`;
  server.on(
    'request',
    createDemoPortalHandler({
      origin: `http://localhost:${port}`,
      verifier: trust.verifier,
      challenges: createMemoryChallengeStore(),
      sessions,
      documentTrust: trust.documentTrust(),
    }),
  );
  doctor = sessions.create(hpkiUser('MOCK000001'));
  otherDoctor = sessions.create(hpkiUser('MOCK000002'));
  password = sessions.create({ method: 'password', account: 'demo', displayName: 'デモ 利用者' });
}, 60_000);

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => server?.close(() => resolve()));
  trust?.close();
  if (card) rmSync(card.dir, { recursive: true, force: true });
});

describe('demo portal: 紹介状に署名, the server side', () => {
  it('the page: Japanese first, English by Accept-Language, its own script allowed by its CSP', async () => {
    const ja = await fetch(`${base}/referral`, { headers: cookie(doctor) });
    expect(ja.headers.get('content-security-policy')).toContain("script-src 'self'");
    const body = await ja.text();
    expect(body).toContain('紹介状に署名');
    expect(body).toContain('data-demo="referral-sign"');
    const en = await (
      await fetch(`${base}/referral`, { headers: { ...cookie(doctor), 'Accept-Language': 'en' } })
    ).text();
    expect(en).toContain('Sign a referral letter');
    expect(await (await fetch(`${base}/static/referral.js`)).text()).toContain('getSigningCertificate');
    // Other pages still run no script.
    const portal = await fetch(`${base}/portal`, { headers: cookie(doctor) });
    expect(portal.headers.get('content-security-policy')).not.toContain('script-src');
    expect(await portal.text()).toContain('href="/referral"');
  });

  it('prepare → the card signs → finish: valid, signer and hcRole; the download passes pdfsig', async () => {
    const prepared = await post('/referral/prepare', doctor, certificateBody());
    expect(prepared.status).toBe(200);
    expect(prepared.json).toMatchObject({ hashAlgorithm: 'SHA-256', label: REFERRAL_LABEL });
    const signature = await signWithCard(card.cardPath, card.certificate, {
      hashAlgorithm: prepared.json.hashAlgorithm as string,
      hash: prepared.json.hash as string,
      pin: SIGN_PIN,
    });
    const finished = await post('/referral/finish', doctor, { signature });
    expect(finished.status).toBe(200);
    expect(finished.json.report).toMatchObject({
      valid: true,
      format: 'pades',
      level: 'B-B',
      hcRole: 'Medical Doctor',
    });

    const result = await (await fetch(`${base}/referral/result`, { headers: cookie(doctor) })).text();
    expect(result).toContain('有効な署名です');
    const download = await fetch(`${base}/referral/signed.pdf`, { headers: cookie(doctor) });
    expect(download.headers.get('content-disposition')).toContain('attachment');
    const path = join(card.dir, 'signed.pdf');
    writeFileSync(path, Buffer.from(await download.arrayBuffer()));
    const { stdout } = await run('pdfsig', ['-nocert', path]);
    expect(stdout).toContain('Signature Validation: Signature is Valid.');
    expect(stdout).toContain('Total document signed');

    // Used once: a second finish has nothing pending; another doctor's session never had it.
    expect((await post('/referral/finish', doctor, { signature })).json).toMatchObject({
      error: { code: 'ERR_HPKI_INVALID_ARGUMENT' },
    });
    const other = await fetch(`${base}/referral/signed.pdf`, { headers: cookie(otherDoctor), redirect: 'manual' });
    expect(other.status).toBe(303);
  });

  it('a signature that is not the certificate’s: refused, no signed letter', async () => {
    await post('/referral/prepare', otherDoctor, certificateBody());
    const wrong = Buffer.alloc(256, 7).toString('base64');
    const finished = await post('/referral/finish', otherDoctor, { signature: wrong });
    expect(finished.status).toBe(400);
    expect(finished.json).toMatchObject({ error: { code: 'ERR_SIGNATURE_INVALID' } });
    expect(await (await fetch(`${base}/referral/result`, { headers: cookie(otherDoctor) })).text()).toContain(
      '署名済みの紹介状はありません',
    );
  });

  it('a letter signed with another holder’s card than the logged-in one: refused, not kept', async () => {
    const prepared = await post('/referral/prepare', otherDoctor, certificateBody());
    const signature = await signWithCard(card.cardPath, card.certificate, {
      hashAlgorithm: prepared.json.hashAlgorithm as string,
      hash: prepared.json.hash as string,
      pin: SIGN_PIN,
    });
    const finished = await post('/referral/finish', otherDoctor, { signature });
    expect(finished.status).toBe(400);
    expect(finished.json).toMatchObject({ error: { code: 'ERR_HPKI_CARD_CHANGED' } });
    const other = await fetch(`${base}/referral/signed.pdf`, { headers: cookie(otherDoctor), redirect: 'manual' });
    expect(other.status).toBe(303);
  });

  it('anonymous: 401; a password login: 403 and the page says the card is needed', async () => {
    expect((await post('/referral/prepare', undefined, certificateBody())).status).toBe(401);
    expect((await post('/referral/prepare', password, certificateBody())).status).toBe(403);
    const page = await (await fetch(`${base}/referral`, { headers: cookie(password) })).text();
    expect(page).toContain('HPKIカード（医師資格証）でログインした方のみ');
    expect(page).not.toContain('data-demo="referral-sign"');
  });

  it('bad bodies: ERR_HPKI_INVALID_ARGUMENT, never a crash', async () => {
    const bad = [
      '{',
      { certificate: 'not base64!' },
      { certificate: 'AAAA', extra: 1 },
      { certificate: 'A'.repeat(40_000) },
      { ...certificateBody(), intermediates: Array(5).fill('AAAA') },
    ];
    for (const body of bad) {
      const answer = await post('/referral/prepare', doctor, body);
      expect(answer.status).toBe(400);
      expect(answer.json).toMatchObject({ error: { code: 'ERR_HPKI_INVALID_ARGUMENT' } });
    }
    // A certificate that is base64 but no certificate: the library's code, still a 400.
    const garbage = await post('/referral/prepare', doctor, { certificate: Buffer.alloc(64, 1).toString('base64') });
    expect(garbage.status).toBe(400);
    const huge = await post('/referral/prepare', doctor, JSON.stringify({ certificate: 'A'.repeat(70_000) }));
    expect(huge.status).toBe(400);
    expect(
      (await post('/referral/prepare', doctor, certificateBody(), { 'Sec-Fetch-Site': 'cross-site' })).status,
    ).toBe(403);
  });
});

describe('demo portal: 紹介状に署名, its JSON bodies', () => {
  it('JSON only as the login POST takes it: the media type, and strict UTF-8', async () => {
    // JSON only as the login POST takes it: its media type (a charset other than UTF-8 refused) and
    // strict UTF-8, a malformed sequence refused rather than replaced.
    const json = JSON.stringify(certificateBody());
    for (const contentType of ['text/plain', 'application/jsonp', 'application/json; charset=latin1']) {
      const answer = await post('/referral/prepare', doctor, json, { 'Content-Type': contentType });
      expect([contentType, answer.status, answer.json]).toMatchObject([
        contentType,
        400,
        { error: { code: 'ERR_HPKI_INVALID_ARGUMENT' } },
      ]);
    }
    const notUtf8 = new Uint8Array([...Buffer.from('{"certificate":"'), 0xff, ...Buffer.from('"}')]);
    const answer = await post('/referral/prepare', doctor, notUtf8);
    expect([answer.status, answer.json]).toMatchObject([
      400,
      { error: { code: 'ERR_HPKI_INVALID_ARGUMENT', message: 'the request is not UTF-8 JSON' } },
    ]);
  });
});
