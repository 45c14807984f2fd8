import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryBackend } from '../../../../native-host/backends/memory-backend.js';
import { createSeenCertificates } from '../../../../native-host/commands/seen-certificates.js';
import { dispatch } from '../../../../native-host/host/dispatcher.js';
import { loadOrCreateMockPki, type MockPki, writeCurrentCrls } from '../../../../native-host/mock-pki/index.js';
import { createCardFile, loadCardFile, readKeyPair } from '../../../../native-host/virtual-card/index.js';
import * as w from '../../../../protocol/der-writer.js';
import type { HashAlgorithm } from '../../../../protocol/digest-info.js';
import { createTestPki, makeCrl } from '../../../../scripts/dev/test-pki.js';
import { startTestTsa, type TestTsa } from '../../../../scripts/dev/test-tsa.js';
import { parseCertificate } from '../../../../server/cert/parsed-certificate.js';
import { digest } from '../../../../server/documents/cms/algorithms.js';
import { assembleSignedData } from '../../../../server/documents/cms/cms-builder.js';
import { CMS_OID } from '../../../../server/documents/cms/index.js';
import { compareDer } from '../../../../server/documents/cms/signed-attributes.js';
import type { DocumentVerifyOptions } from '../../../../server/documents/document-types.js';
import { finishPades, preparePades, verifyPades } from '../../../../server/documents/pades/index.js';
import { readPendingPades } from '../../../../server/documents/pades/pades-signing.js';
import { PdfDocument } from '../../../../server/documents/pades/pdf-document.js';
import { fillContents, signedBytes } from '../../../../server/documents/pades/signature-field.js';
import { createTsaClient } from '../../../../server/documents/timestamp/index.js';
import { classicPdf, xrefStreamPdf } from '../../../helpers/pdf-samples.js';
import { REPO_ROOT } from '../../../helpers/repo-root.js';

/**
 * PAdES (issue 23) with the virtual card's signing key, through the host's `sign` command: poppler's
 * pdfsig says the signature is valid and covers the whole document, for classic and
 * cross-reference-stream PDFs, and says otherwise after a byte changes or an update is appended;
 * verifyPades agrees on those and on a swapped certificate and a missing SigningCertificateV2; a
 * second signature is a second incremental update and both are reported.
 */

const run = promisify(execFile);
const ORIGIN = 'https://karte.example.jp';
const SIGN_PIN = '5678';

let dir: string;
let pki: MockPki;
let cardPath: string;
let otherCardPath: string;
let options: DocumentVerifyOptions;

interface CardSigner {
  certificate: Uint8Array;
  intermediates: Uint8Array[];
  sign(hashAlgorithm: HashAlgorithm, hash: Uint8Array): Promise<Uint8Array>;
}

/** The card as a site meets it: get-signing-certificate, then sign with the signing PIN, through the host. */
async function cardSigner(path: string): Promise<CardSigner> {
  const backend = createMemoryBackend({ cardPath: path });
  const seen = createSeenCertificates();
  const call = async (message: unknown) =>
    (await dispatch(message, async () => backend, { seen })) as { result?: Record<string, unknown>; error?: unknown };
  const got = await call({ id: 1, command: 'get-signing-certificate' });
  const certificate = Buffer.from(got.result!.certificate as string, 'base64');
  const intermediates = ((got.result!.intermediates as string[] | undefined) ?? []).map((b) =>
    Buffer.from(b, 'base64'),
  );
  const certificateSha256 = createHash('sha256').update(certificate).digest('hex');
  return {
    certificate: new Uint8Array(certificate),
    intermediates: intermediates.map((b) => new Uint8Array(b)),
    async sign(hashAlgorithm, hash) {
      const params = { origin: ORIGIN, hashAlgorithm, hash: Buffer.from(hash).toString('base64'), certificateSha256 };
      const answer = await call({ id: 2, command: 'sign', params: { ...params, pin: SIGN_PIN } });
      if (answer.error !== undefined) throw new Error(JSON.stringify(answer.error));
      return new Uint8Array(Buffer.from(answer.result!.signature as string, 'base64'));
    },
  };
}

async function signPdf(pdf: Uint8Array, signer: CardSigner, extra: { reason?: string } = {}): Promise<Uint8Array> {
  const pending = preparePades({ pdf, certificate: signer.certificate, intermediates: signer.intermediates, ...extra });
  return finishPades(pending.state, await signer.sign(pending.hashAlgorithm, pending.hash));
}

/** pdfsig's report; certificates are not checked there (-nocert): the test PKI is not in an NSS db. */
async function pdfsig(pdf: Uint8Array): Promise<string> {
  const file = join(dir, `${Math.random().toString(36).slice(2)}.pdf`);
  writeFileSync(file, pdf);
  try {
    return (await run('pdfsig', ['-nocert', file])).stdout;
  } catch (err) {
    return String((err as { stdout?: string }).stdout ?? err);
  }
}

function flip(pdf: Uint8Array, at: number): Uint8Array {
  const copy = pdf.slice();
  copy[at] = copy[at]! ^ 0x01;
  return copy;
}

/** An incremental update that nobody signed: a new /Info after the signed revision. */
function appendUpdate(pdf: Uint8Array): Uint8Array {
  const doc = new PdfDocument(pdf);
  const size = doc.trailer.get('Size') as number;
  const startxref = doc.xref.startxref;
  const at = pdf.length;
  const object = `${size} 0 obj\n<< /Title (changed after signing) >>\nendobj\n`;
  const xrefAt = at + object.length;
  const table = `xref\n${size} 1\n${String(at).padStart(10, '0')} 00000 n\r\n`;
  const trailer = `trailer\n<< /Size ${size + 1} /Root 1 0 R /Info ${size} 0 R /Prev ${startxref} >>\nstartxref\n${xrefAt}\n%%EOF\n`;
  return new Uint8Array(Buffer.concat([pdf, Buffer.from(object + table + trailer, 'latin1')]));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pades-test-'));
  pki = await loadOrCreateMockPki(join(dir, 'pki'));
  cardPath = join(dir, 'doctor.card');
  otherCardPath = join(dir, 'other.card');
  await createCardFile(cardPath, { pki, name: 'Nichii Taro', role: 'Medical Doctor', pin: '1234', signPin: SIGN_PIN });
  await createCardFile(otherCardPath, {
    pki,
    name: 'Betsu Hanako',
    role: 'Medical Doctor',
    pin: '1234',
    signPin: SIGN_PIN,
  });
  const crls = await writeCurrentCrls(pki);
  options = { anchors: [pki.root.certificate], crls: [crls.signCaCrl] };
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each([
  ['a classic cross-reference table', classicPdf],
  ['a cross-reference stream and object streams', xrefStreamPdf],
  ['a hybrid cross-reference (a table with /XRefStm)', () => xrefStreamPdf(undefined, true)],
])('PAdES B-B on a PDF with %s', (_layout, make) => {
  let signed: Uint8Array;
  const original = make();

  beforeAll(async () => {
    signed = await signPdf(original, await cardSigner(cardPath), { reason: '診療情報提供書の作成者として' });
  });

  it('keeps the original bytes and is valid and whole for pdfsig and for verifyPades', async () => {
    expect(Buffer.from(signed.subarray(0, original.length)).equals(Buffer.from(original))).toBe(true);
    const out = await pdfsig(signed);
    expect(out).toContain('Signature Validation: Signature is Valid.');
    expect(out).toContain('Signature Type: ETSI.CAdES.detached');
    expect(out).toContain('Total document signed');
    const report = await verifyPades(signed, options);
    expect(report).toMatchObject({
      valid: true,
      format: 'pades',
      level: 'B-B',
      hcRole: 'Medical Doctor',
      holder: { name: 'Nichii Taro' },
      revocation: 'good',
    });
    expect(Math.abs(Date.parse(report.signingTime ?? '') - Date.now())).toBeLessThan(60_000);
    expect(report.signatures).toHaveLength(1);
  });

  it('is invalid for both after one byte of the signed revision changes', async () => {
    // A byte of the original's content stream text.
    const at = Buffer.from(signed).indexOf('Sample referral');
    const changed = flip(signed, at);
    expect(await pdfsig(changed)).toContain('Signature Validation: Digest Mismatch.');
    expect(await verifyPades(changed, options)).toMatchObject({ valid: false, error: 'ERR_DOCUMENT_MODIFIED' });
  });

  it('reports an update appended after signing, as pdfsig does', async () => {
    const appended = appendUpdate(signed);
    const out = await pdfsig(appended);
    expect(out).toContain('Signature Validation: Signature is Valid.');
    expect(out).not.toContain('Total document signed');
    expect(out).toContain('Not total document signed');
    expect(await verifyPades(appended, options)).toMatchObject({ valid: false, error: 'ERR_DOCUMENT_MODIFIED' });
  });

  it('signed twice: two incremental updates, two valid signatures for both', async () => {
    const twice = await signPdf(signed, await cardSigner(otherCardPath));
    expect(Buffer.from(twice.subarray(0, signed.length)).equals(Buffer.from(signed))).toBe(true);
    const out = await pdfsig(twice);
    expect(out).toMatch(/Signature #1:[\s\S]*Signature is Valid[\s\S]*Signature #2:[\s\S]*Signature is Valid/);
    const report = await verifyPades(twice, options);
    expect(report.valid).toBe(true);
    expect(report.signatures.map((s) => s.holder?.name)).toEqual(['Nichii Taro', 'Betsu Hanako']);
    expect(report.holder?.name).toBe('Betsu Hanako');
  });
});

describe('tampered signatures', () => {
  let doctor: CardSigner;
  let other: ReturnType<typeof readKeyPair>;

  beforeAll(async () => {
    doctor = await cardSigner(cardPath);
    other = readKeyPair(loadCardFile(otherCardPath), 'sign');
  });

  it('a swapped certificate: refused by pdfsig and by verifyPades', async () => {
    const pending = preparePades({
      pdf: classicPdf(),
      certificate: doctor.certificate,
      intermediates: doctor.intermediates,
    });
    const signature = await doctor.sign('SHA-256', pending.hash);
    const { prepared, cmsState } = readPendingPades(pending.state);
    const signedAttributes = JSON.parse(new TextDecoder().decode(cmsState)).signedAttributes as string;
    const swapped = await assembleSignedData({
      hashAlgorithm: 'SHA-256',
      signedAttributes: new Uint8Array(Buffer.from(signedAttributes, 'base64')),
      signature,
      certificate: parseCertificate(other.certificate),
      intermediates: other.caCertificates.slice(0, 1),
    });
    const pdf = fillContents(prepared, swapped);
    expect(await pdfsig(pdf)).not.toContain('Signature Validation: Signature is Valid.');
    expect(await verifyPades(pdf, options)).toMatchObject({ valid: false, error: 'ERR_SIGNATURE_INVALID' });
  });

  it('no SigningCertificateV2: refused by verifyPades (pdfsig does not check ESS attributes), valid with it', async () => {
    const pending = preparePades({ pdf: classicPdf(), certificate: doctor.certificate });
    const { prepared } = readPendingPades(pending.state);
    const certificate = parseCertificate(doctor.certificate);
    const attr = (type: string, value: Uint8Array) => w.sequence(w.objectIdentifier(type), w.set(value));
    const base = [
      attr(CMS_OID.contentType, w.objectIdentifier(CMS_OID.data)),
      attr(CMS_OID.messageDigest, w.octetString(digest('SHA-256', signedBytes(prepared.pdf, prepared.byteRange)))),
    ];
    const build = async (attributes: Uint8Array[]) => {
      const signedAttributes = w.set(...attributes.sort(compareDer));
      const cms = await assembleSignedData({
        hashAlgorithm: 'SHA-256',
        signedAttributes,
        signature: await doctor.sign('SHA-256', digest('SHA-256', signedAttributes)),
        certificate,
        intermediates: doctor.intermediates,
      });
      return fillContents(prepared, cms);
    };
    const without = await build([...base]);
    expect(await pdfsig(without)).toContain('Signature Validation: Signature is Valid.');
    expect(await verifyPades(without, options)).toMatchObject({ valid: false, error: 'ERR_SIGNED_ATTRIBUTE_INVALID' });
    const { encodeSigningCertificateV2 } = await import('../../../../server/documents/cms/ess.js');
    const withV2 = await build([...base, attr(CMS_OID.signingCertificateV2, encodeSigningCertificateV2(certificate))]);
    expect((await verifyPades(withV2, options)).valid).toBe(true);
  });

  it('finishPades refuses a signature by another key and a state it did not make', async () => {
    const pending = preparePades({ pdf: classicPdf(), certificate: doctor.certificate });
    const otherSigner = await cardSigner(otherCardPath);
    await expect(finishPades(pending.state, await otherSigner.sign('SHA-256', pending.hash))).rejects.toMatchObject({
      code: 'ERR_SIGNATURE_INVALID',
    });
    await expect(finishPades(new Uint8Array(10), new Uint8Array(256))).rejects.toMatchObject({
      code: 'ERR_HPKI_INVALID_ARGUMENT',
    });
  });
});

describe('PAdES B-T with a local TSA', () => {
  let tsa: TestTsa;
  let tsaPki: ReturnType<typeof createTestPki>;
  beforeAll(async () => {
    tsaPki = createTestPki();
    tsa = await startTestTsa({ tsa: tsaPki.issueTsa(), chain: [tsaPki.root.certificate] });
  });
  afterAll(async () => tsa?.stop());

  it('embeds a signature timestamp: pdfsig says valid and whole, verifyPades reports B-T and the TSA', async () => {
    const doctor = await cardSigner(cardPath);
    const pending = preparePades({
      pdf: xrefStreamPdf(),
      certificate: doctor.certificate,
      intermediates: doctor.intermediates,
    });
    const signature = await doctor.sign(pending.hashAlgorithm, pending.hash);
    const pdf = await finishPades(pending.state, signature, { timestamper: createTsaClient({ url: tsa.url }) });
    const out = await pdfsig(pdf);
    expect(out).toContain('Signature Validation: Signature is Valid.');
    expect(out).toContain('Total document signed');
    const tsaCrl = makeCrl({
      issuer: tsaPki.root.name,
      signingKey: tsaPki.root.key,
      thisUpdate: new Date(Date.now() - 60_000),
      nextUpdate: new Date(Date.now() + 86_400_000),
    });
    const withTsa = { ...options, crls: [...(options.crls ?? []), tsaCrl], tsaAnchors: [tsaPki.root.certificate] };
    const report = await verifyPades(pdf, withTsa);
    expect(report).toMatchObject({ valid: true, level: 'B-T', timestamp: { tsa: expect.stringMatching(/Test TSA/) } });
    expect(Math.abs(Date.parse(report.timestamp!.time) - Date.now())).toBeLessThan(60_000);
    // The TSA's root not trusted: invalid, and it says why.
    expect(await verifyPades(pdf, options)).toMatchObject({ valid: false, level: 'B-T', error: 'ERR_TSA_UNTRUSTED' });
  });
});

describe('the sample 紹介状 of the demo (Chromium print-to-PDF)', () => {
  const SAMPLE = join(REPO_ROOT, 'server/demo/sample-documents/referral-letter-sample.pdf');

  it('is a 診療情報提供書 marked as a sample, and signs: pdfsig valid and whole, verifyPades valid', async () => {
    const { stdout } = await run('pdftotext', [SAMPLE, '-']);
    expect(stdout).toContain('診療情報提供書');
    expect(stdout).toContain('見本');
    const signed = await signPdf(new Uint8Array(readFileSync(SAMPLE)), await cardSigner(cardPath), {
      reason: '紹介状の作成者として署名',
    });
    const out = await pdfsig(signed);
    expect(out).toContain('Signature Validation: Signature is Valid.');
    expect(out).toContain('Total document signed');
    expect(out).toContain('Signer full Distinguished Name');
    expect((await verifyPades(signed, options)).valid).toBe(true);
  });
});

describe('finishing', () => {
  it('refuses a CMS larger than the room prepared for it, and writes nothing', async () => {
    const doctor = await cardSigner(cardPath);
    const pending = preparePades({ pdf: classicPdf(), certificate: doctor.certificate, contentsBytes: 1024 });
    const signature = await doctor.sign(pending.hashAlgorithm, pending.hash);
    await expect(finishPades(pending.state, signature)).rejects.toMatchObject({
      code: 'ERR_HPKI_INVALID_ARGUMENT',
      message: expect.stringMatching(/larger contentsBytes/),
    });
  });
});
