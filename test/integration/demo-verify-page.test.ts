import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MockPkiTrust, trustMockPki } from '../../scripts/cli/mock-pki-trust.js';
import { createDocumentChecker, MAX_UPLOAD_BYTES } from '../../server/demo/document-check.js';
import { DEMO_ALLOWED_ROLES } from '../../server/demo/portal.js';
import { referralLetterPdf } from '../../server/demo/referral-letter.js';
import { type RunningDemoPortal, startDemoPortal } from '../../server/demo/start-demo.js';
import { finishCades, prepareCades } from '../../server/documents/cms/index.js';
import { finishPades, preparePades } from '../../server/documents/pades/index.js';
import type { CrlFetcher } from '../../server/revocation/crl-fetcher.js';
import { signWithCard } from '../helpers/card-signer.js';
import { readSample, SIGNED_SAMPLES_NOTE, SIGNED_SAMPLES_PRESENT } from '../helpers/signed-samples.js';
import { createXadesCard, SAMPLE_CSV, SIGN_PIN, type XadesCard } from '../helpers/xades-card.js';

/**
 * The demo portal's 「署名を検証」 over HTTP, as a browser's form posts it (multipart, same-origin):
 * a 紹介状 PDF signed with the virtual card's signing key is valid, a tampered copy is not, an
 * e-prescription XML is verified (and, with the published samples, a dispensing file's two
 * signatures are both reported), and garbage, oversized and cross-site uploads get a clear page.
 */

let card: XadesCard;
let trust: MockPkiTrust;
let portal: RunningDemoPortal;
let signedPdf: Uint8Array;

async function signReferral(): Promise<Uint8Array> {
  const pending = preparePades({
    pdf: referralLetterPdf()!,
    certificate: card.certificate,
    intermediates: [card.signCa],
  });
  const signature = await signWithCard(card.cardPath, card.certificate, {
    hashAlgorithm: pending.hashAlgorithm,
    hash: Buffer.from(pending.hash).toString('base64'),
    pin: SIGN_PIN,
  });
  return finishPades(pending.state, new Uint8Array(Buffer.from(signature, 'base64')));
}

async function upload(
  files: { document: Uint8Array; data?: Uint8Array },
  headers: Record<string, string> = { 'Sec-Fetch-Site': 'same-origin' },
): Promise<{ status: number; body: string }> {
  const form = new FormData();
  form.set('document', new Blob([Buffer.from(files.document)]), 'upload.bin');
  if (files.data !== undefined) form.set('data', new Blob([Buffer.from(files.data)]), 'data.bin');
  const res = await fetch(`${portal.origin}/verify`, { method: 'POST', body: form, headers });
  return { status: res.status, body: await res.text() };
}

const attr = (body: string, name: string): string | undefined =>
  new RegExp(`data-demo="report"[^>]*${name}="([^"]*)"`).exec(body)?.[1];

beforeAll(async () => {
  card = await createXadesCard('Nichii Taro');
  trust = await trustMockPki(join(card.dir, 'pki'), { allowedRoles: DEMO_ALLOWED_ROLES });
  portal = await startDemoPortal({ port: 0, verifier: trust.verifier, documentTrust: trust.documentTrust() });
  signedPdf = await signReferral();
}, 60_000);

afterAll(async () => {
  await portal?.close();
  trust?.close();
  if (card) rmSync(card.dir, { recursive: true, force: true });
});

describe('demo portal: 署名を検証', () => {
  it('GET /verify: the upload form, in Japanese first and in English by Accept-Language', async () => {
    const ja = await (await fetch(`${portal.origin}/verify`)).text();
    expect(ja).toContain('署名を検証');
    expect(ja).toContain('enctype="multipart/form-data"');
    expect(ja).toContain(`${MAX_UPLOAD_BYTES / 1024 / 1024} MB`);
    const en = await (await fetch(`${portal.origin}/verify`, { headers: { 'Accept-Language': 'en' } })).text();
    expect(en).toContain('Verify a signature');
  });

  it('a 紹介状 signed with the card: PAdES, valid, the signer and hcRole shown', async () => {
    const { status, body } = await upload({ document: signedPdf });
    expect(status).toBe(200);
    expect(attr(body, 'data-valid')).toBe('true');
    expect(attr(body, 'data-format')).toBe('pades');
    expect(body).toContain('有効な署名です');
    expect(body).toMatch(/data-demo="role">医師</);
    expect(body).toContain('PAdES B-B');
  });

  it('the same PDF with one byte of the letter changed (its creation date): not valid, and why', async () => {
    const tampered = Buffer.from(signedPdf);
    // The letter's creation date, inside the signed bytes: 2026 becomes 2027.
    const at = tampered.indexOf('/CreationDate (D:2026');
    expect(at).toBeGreaterThan(0);
    tampered[at + 20] = '7'.charCodeAt(0);
    const { status, body } = await upload({ document: tampered });
    expect(status).toBe(200);
    expect(attr(body, 'data-valid')).toBe('false');
    expect(body).toContain('署名は有効ではありません');
    expect(body).toMatch(/data-demo="error">ERR_/);
  });

  it('an e-prescription XML signed with the card: XAdES, valid', async () => {
    const xml = await card.sign(SAMPLE_CSV);
    const { status, body } = await upload({ document: xml });
    expect(status).toBe(200);
    expect(attr(body, 'data-format')).toBe('xades');
    expect(attr(body, 'data-valid')).toBe('true');
  });

  it('a detached CAdES signature: valid with its data file, not valid without or with other data', async () => {
    const data = new TextEncoder().encode('紹介状の本文（CAdES の見本）');
    const pending = prepareCades({ data, certificate: card.certificate, intermediates: [card.signCa] });
    const signature = await signWithCard(card.cardPath, card.certificate, {
      hashAlgorithm: pending.hashAlgorithm,
      hash: Buffer.from(pending.hash).toString('base64'),
      pin: SIGN_PIN,
    });
    const cms = await finishCades(pending.state, new Uint8Array(Buffer.from(signature, 'base64')));
    const withData = await upload({ document: cms, data });
    expect(attr(withData.body, 'data-format')).toBe('cades');
    expect(attr(withData.body, 'data-valid')).toBe('true');
    const without = await upload({ document: cms });
    expect(attr(without.body, 'data-valid')).toBe('false');
    const other = await upload({ document: cms, data: new TextEncoder().encode('別の本文') });
    expect(attr(other.body, 'data-valid')).toBe('false');
  });

  it.skipIf(!SIGNED_SAMPLES_PRESENT)(
    "a published dispensing file: both signatures reported (the demo's trust does not hold MEDIS's root)",
    async () => {
      const { status, body } = await upload({ document: readSample('Dispensing-005_03.xml') });
      expect(status).toBe(200);
      expect(attr(body, 'data-format')).toBe('xades');
      expect(body.match(/data-demo="signature"/g)).toHaveLength(2);
      expect(body).toContain('署名 2 / 2');
    },
  );
  if (!SIGNED_SAMPLES_PRESENT) it.skip(SIGNED_SAMPLES_NOTE, () => undefined);

  it('garbage: a clear message, no report and no stack trace', async () => {
    const { status, body } = await upload({ document: new Uint8Array(Buffer.from('\x01\x02 not a document')) });
    expect(status).toBe(400);
    expect(body).toContain('PDF・CAdES（DER）・XML のいずれでもないファイルです');
    expect(body).not.toContain('data-demo="report"');
    expect(body).not.toMatch(/at \w+ \(|node:internal/);
  });

  it('a PDF that is not one: the report says ERR_DOCUMENT_MALFORMED', async () => {
    const { status, body } = await upload({
      document: new Uint8Array(Buffer.from('%PDF-1.7\n1 0 obj << /Kids [[[[[')),
    });
    expect(status).toBe(200);
    expect(attr(body, 'data-valid')).toBe('false');
    expect(body).toContain('ERR_DOCUMENT_MALFORMED');
  });
});

describe('demo portal: 署名を検証, its bounds', () => {
  it('verifications at once are bounded: beyond the limit, busy at once', async () => {
    const checker = createDocumentChecker({ trust: () => trust.documentTrust()(), maxConcurrent: 1 });
    const [first, second] = await Promise.all([
      checker.check(signedPdf, undefined),
      checker.check(signedPdf, undefined),
    ]);
    expect(first).toMatchObject({ format: 'pades', report: { valid: true } });
    expect(second).toEqual({ failure: 'busy' });
    // Once the first has ended, there is room again.
    expect(await checker.check(signedPdf, undefined)).toMatchObject({ format: 'pades' });
  });

  it('a verification still waiting at the time limit (here: a CRL that never comes) is answered as such', async () => {
    const stalled: CrlFetcher = {
      get: () => new Promise(() => undefined),
      refreshDue: async () => undefined,
      startSchedule: () => () => undefined,
      cachedUrls: [],
    };
    const checker = createDocumentChecker({
      trust: () => ({ ...trust.documentTrust()(), crls: [], fetchCrls: true, crlFetcher: stalled }),
      timeLimitMs: 500,
    });
    expect(await checker.check(signedPdf, undefined)).toEqual({ failure: 'timeout' });
  });

  it('over the size limit: 413 with the limit named', async () => {
    const big = new Uint8Array(MAX_UPLOAD_BYTES + 1);
    const { status, body } = await upload({ document: big });
    expect(status).toBe(413);
    expect(body).toContain('ファイルが大きすぎます');
  });

  it('a cross-site form post is refused', async () => {
    const { status, body } = await upload({ document: signedPdf }, { 'Sec-Fetch-Site': 'cross-site' });
    expect(status).toBe(403);
    expect(body).toContain('別のサイトからの送信は受け付けていません');
  });

  it('the signing routes need a login: no pending signature for anonymous callers', async () => {
    const page = await fetch(`${portal.origin}/referral`, { redirect: 'manual' });
    expect(page.status).toBe(303);
    const prepare = await fetch(`${portal.origin}/referral/prepare`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Sec-Fetch-Site': 'same-origin' },
      body: JSON.stringify({ certificate: Buffer.from(card.certificate).toString('base64') }),
    });
    expect(prepare.status).toBe(401);
  });
});
