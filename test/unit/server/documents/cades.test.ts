import { execFile } from 'node:child_process';
import { constants, createPrivateKey, type KeyObject, privateEncrypt } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SignedData } from '@peculiar/asn1-cms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateMockPki, type MockPki, writeCurrentCrls } from '../../../../native-host/mock-pki/index.js';
import { createCardFile, loadCardFile, readKeyPair } from '../../../../native-host/virtual-card/index.js';
import { readChildren, readSingle } from '../../../../protocol/der.js';
import * as w from '../../../../protocol/der-writer.js';
import { buildDigestInfo, type HashAlgorithm } from '../../../../protocol/digest-info.js';
import { createTestPki, makeCrl } from '../../../../scripts/dev/test-pki.js';
import { startTestTsa, type TestTsa } from '../../../../scripts/dev/test-tsa.js';
import { parseCertificate } from '../../../../server/cert/parsed-certificate.js';
import { digest } from '../../../../server/documents/cms/algorithms.js';
import { assembleSignedData, encodeSignedData } from '../../../../server/documents/cms/cms-builder.js';
import { encodeSigningCertificateV2 } from '../../../../server/documents/cms/ess.js';
import {
  CMS_OID,
  finishCades,
  parseSignedData,
  prepareCades,
  verifyCades,
} from '../../../../server/documents/cms/index.js';
import { compareDer } from '../../../../server/documents/cms/signed-attributes.js';
import type { DocumentVerifyOptions } from '../../../../server/documents/document-types.js';
import { createTsaClient } from '../../../../server/documents/timestamp/index.js';
import { revocationWords } from '../../../helpers/revocation-words.js';

/**
 * CAdES (issue 23): what prepareCades/finishCades make with a virtual card's signing key is accepted
 * by `openssl cms -verify -cades` and by verifyCades, and both refuse the same tampered copies: a
 * changed byte of the content, a swapped certificate, a missing SigningCertificateV2. CAdES-T with a
 * local TSA: `openssl ts -verify` accepts the embedded token. Several signers are reported each.
 */

const run = promisify(execFile);
const LIMITS = {
  maxBytes: 1 << 20,
  maxDepth: 32,
  maxElements: 10_000,
  maxSigners: 4,
  maxCertificates: 8,
  maxCrls: 0,
  maxAttributes: 8,
};

interface Holder {
  certificate: Uint8Array;
  intermediates: Uint8Array[];
  key: KeyObject;
}

let dir: string;
let pki: MockPki;
let doctor: Holder;
let other: Holder;
let pharmacist: Holder;
let options: DocumentVerifyOptions;
let rootFile: string;
const data = new TextEncoder().encode('診療情報提供書\n紹介先: 検証病院\n');

/** What the card does with a hash: RSASSA-PKCS1-v1_5 over DigestInfo(hash). */
function cardSign(holder: Holder, hashAlgorithm: HashAlgorithm, hash: Uint8Array): Uint8Array {
  return new Uint8Array(
    privateEncrypt({ key: holder.key, padding: constants.RSA_PKCS1_PADDING }, buildDigestInfo(hashAlgorithm, hash)),
  );
}

async function holderOf(name: string, role = 'Medical Doctor'): Promise<Holder> {
  const file = join(dir, `${name}.card`);
  await createCardFile(file, { pki, name, role, pin: '1234' });
  const pair = readKeyPair(loadCardFile(file), 'sign');
  return {
    certificate: pair.certificate,
    intermediates: pair.caCertificates.slice(0, 1),
    key: createPrivateKey({ key: Buffer.from(pair.privateKeyPkcs8), format: 'der', type: 'pkcs8' }),
  };
}

async function signCades(holder: Holder, content: Uint8Array, extra: Parameters<typeof finishCades>[2] = {}) {
  const pending = prepareCades({ data: content, certificate: holder.certificate, intermediates: holder.intermediates });
  return finishCades(pending.state, cardSign(holder, pending.hashAlgorithm, pending.hash), extra);
}

/** `openssl cms -verify -cades` over the detached content; resolves with whether it accepts. */
async function opensslAccepts(cms: Uint8Array, content: Uint8Array): Promise<boolean> {
  const name = `${Math.random().toString(36).slice(2)}`;
  writeFileSync(join(dir, `${name}.p7s`), cms);
  writeFileSync(join(dir, `${name}.txt`), content);
  try {
    // biome-ignore format: the openssl command line reads best on one line
    await run('openssl', ['cms', '-verify', '-cades', '-binary', '-inform', 'DER', '-in', join(dir, `${name}.p7s`), '-content', join(dir, `${name}.txt`), '-CAfile', rootFile, '-purpose', 'any', '-out', '/dev/null']);
    return true;
  } catch {
    return false;
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cades-test-'));
  pki = await loadOrCreateMockPki(join(dir, 'pki'));
  doctor = await holderOf('Nichii Taro');
  other = await holderOf('Betsu Hanako');
  pharmacist = await holderOf('Yakuzai Jiro', 'Pharmacist');
  const crls = await writeCurrentCrls(pki);
  options = { anchors: [pki.root.certificate], crls: [crls.signCaCrl], allowedRoles: 'any' };
  rootFile = join(dir, 'root.pem');
  writeFileSync(
    rootFile,
    `-----BEGIN CERTIFICATE-----\n${Buffer.from(pki.root.certificate).toString('base64')}\n-----END CERTIFICATE-----\n`,
  );
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('CAdES-BES made with the card', () => {
  it('is accepted by openssl cms -verify -cades and by verifyCades, which reports the signer', async () => {
    const cms = await signCades(doctor, data);
    expect(await opensslAccepts(cms, data)).toBe(true);
    const report = await verifyCades(cms, { ...options, data });
    expect(report).toMatchObject({
      valid: true,
      format: 'cades',
      level: 'BES',
      hcRole: 'Medical Doctor',
      holder: { name: 'Nichii Taro' },
      revocation: 'good',
    });
    expect(report.chain).toHaveLength(3);
    expect(Math.abs(Date.parse(report.signingTime ?? '') - Date.now())).toBeLessThan(60_000);
    expect(report.signatures).toHaveLength(1);
  });

  it('has the signed attributes CAdES wants, DER-sorted, and the card chain in certificates', async () => {
    const cms = await signCades(doctor, data);
    const parsed = parseSignedData(cms, LIMITS);
    const types = parsed.signedData.signerInfos[0]!.signedAttrs!.map((a) => a.attrType).sort();
    expect(types).toEqual(
      [CMS_OID.contentType, CMS_OID.messageDigest, CMS_OID.signingTime, CMS_OID.signingCertificateV2].sort(),
    );
    expect(parsed.eContent).toBeUndefined();
    expect(parsed.certificates).toHaveLength(2);
    const raw = parsed.signedAttributes[0]!;
    expect(raw[0]).toBe(0xa0);
    // DER SET OF: the attributes in ascending order of their encodings (X.690 §11.6), as the file holds them.
    const set = raw.slice();
    set[0] = 0x31;
    const encodings = readChildren(set, readSingle(set, 0x31)).map((el) => set.subarray(el.start, el.end));
    expect(encodings).toHaveLength(4);
    for (let i = 1; i < encodings.length; i++) expect(compareDer(encodings[i - 1]!, encodings[i]!)).toBeLessThan(0);
  });
});

describe('tampered copies, refused by openssl and verifyCades alike', () => {
  it('is refused by both after one byte of the content changes', async () => {
    const cms = await signCades(doctor, data);
    const changed = data.slice();
    changed[3]! ^= 0x01;
    expect(await opensslAccepts(cms, changed)).toBe(false);
    const report = await verifyCades(cms, { ...options, data: changed });
    expect(report).toMatchObject({ valid: false, error: 'ERR_DOCUMENT_MODIFIED' });
  });

  it('is refused by both when the certificate is swapped', async () => {
    const pending = prepareCades({ data, certificate: doctor.certificate, intermediates: doctor.intermediates });
    const signature = cardSign(doctor, 'SHA-256', pending.hash);
    const signedAttributes = JSON.parse(new TextDecoder().decode(pending.state)).signedAttributes as string;
    // The same signed attributes and signature, under another doctor's certificate (same CA).
    const swapped = await assembleSignedData({
      hashAlgorithm: 'SHA-256',
      signedAttributes: new Uint8Array(Buffer.from(signedAttributes, 'base64')),
      signature,
      certificate: parseCertificate(other.certificate),
      intermediates: other.intermediates,
    });
    expect(await opensslAccepts(swapped, data)).toBe(false);
    expect(await verifyCades(swapped, { ...options, data })).toMatchObject({
      valid: false,
      error: 'ERR_SIGNATURE_INVALID',
    });
    // finishCades itself refuses a signature that is not by the prepared certificate's key.
    await expect(finishCades(pending.state, cardSign(other, 'SHA-256', pending.hash))).rejects.toMatchObject({
      code: 'ERR_SIGNATURE_INVALID',
    });
  });

  it('is refused by both without SigningCertificateV2, even when correctly signed', async () => {
    const certificate = parseCertificate(doctor.certificate);
    const attr = (type: string, value: Uint8Array) => w.sequence(w.objectIdentifier(type), w.set(value));
    const signedAttributes = w.set(
      ...[
        attr(CMS_OID.contentType, w.objectIdentifier(CMS_OID.data)),
        attr(CMS_OID.messageDigest, w.octetString(digest('SHA-256', data))),
        attr(CMS_OID.signingTime, w.time(new Date())),
      ].sort(compareDer),
    );
    const cms = await assembleSignedData({
      hashAlgorithm: 'SHA-256',
      signedAttributes,
      signature: cardSign(doctor, 'SHA-256', digest('SHA-256', signedAttributes)),
      certificate,
      intermediates: doctor.intermediates,
    });
    expect(await opensslAccepts(cms, data)).toBe(false);
    expect(await verifyCades(cms, { ...options, data })).toMatchObject({
      valid: false,
      error: 'ERR_SIGNED_ATTRIBUTE_INVALID',
    });
    // With it, the same construction passes both: the refusal is the attribute's.
    const withV2 = w.set(
      ...[
        ...[attr(CMS_OID.signingCertificateV2, encodeSigningCertificateV2(certificate))],
        ...[
          attr(CMS_OID.contentType, w.objectIdentifier(CMS_OID.data)),
          attr(CMS_OID.messageDigest, w.octetString(digest('SHA-256', data))),
        ],
      ].sort(compareDer),
    );
    const good = await assembleSignedData({
      hashAlgorithm: 'SHA-256',
      signedAttributes: withV2,
      signature: cardSign(doctor, 'SHA-256', digest('SHA-256', withV2)),
      certificate,
      intermediates: doctor.intermediates,
    });
    expect(await opensslAccepts(good, data)).toBe(true);
    expect((await verifyCades(good, { ...options, data })).valid).toBe(true);
  });

  it('signs SHA-384 and SHA-512 too', async () => {
    for (const hashAlgorithm of ['SHA-384', 'SHA-512'] as const) {
      const pending = prepareCades({
        data,
        certificate: doctor.certificate,
        intermediates: doctor.intermediates,
        hashAlgorithm,
      });
      const cms = await finishCades(pending.state, cardSign(doctor, hashAlgorithm, pending.hash));
      expect(await opensslAccepts(cms, data)).toBe(true);
      expect((await verifyCades(cms, { ...options, data })).valid).toBe(true);
    }
  });

  it('refuses a wrong role, an untrusted root and a revoked-less fail-closed check with their codes', async () => {
    const cms = await signCades(pharmacist, data);
    expect(await verifyCades(cms, { ...options, data, allowedRoles: ['Medical Doctor'] })).toMatchObject({
      valid: false,
      error: 'ERR_ROLE_NOT_ALLOWED',
      hcRole: 'Pharmacist',
    });
    const stranger = createTestPki();
    expect(await verifyCades(cms, { ...options, data, anchors: [stranger.root.certificate] })).toMatchObject({
      valid: false,
      error: 'ERR_CERT_UNTRUSTED',
    });
    expect(await verifyCades(cms, { ...options, data, crls: [] })).toMatchObject({
      valid: false,
      error: 'ERR_REVOCATION_UNKNOWN',
    });
  });
});

describe('the report says how revocation was settled, in the words XAdES and PAdES use too', () => {
  it('good from a current CRL; unknown without one under soft-fail; not-checked when off or refused first', async () => {
    const cms = await signCades(doctor, data);
    const changed = data.slice();
    changed[0]! ^= 0x01;
    const { said, expected } = await revocationWords((c) =>
      verifyCades(cms, {
        ...options,
        crls: c.withCrls ? options.crls : [],
        revocation: c.revocation,
        data: c.changed ? changed : data,
      }),
    );
    expect(said).toEqual(expected);
  });
});

describe('several signers', () => {
  it('reports each signer; the file is valid only when every one is', async () => {
    const a = parseSignedData(await signCades(doctor, data), {
      maxBytes: 1 << 20,
      maxDepth: 32,
      maxElements: 10_000,
      maxSigners: 4,
      maxCertificates: 8,
      maxCrls: 0,
      maxAttributes: 8,
    });
    const b = parseSignedData(await signCades(pharmacist, data), {
      maxBytes: 1 << 20,
      maxDepth: 32,
      maxElements: 10_000,
      maxSigners: 4,
      maxCertificates: 8,
      maxCrls: 0,
      maxAttributes: 8,
    });
    const both = new SignedData({ ...a.signedData, signerInfos: a.signedData.signerInfos });
    both.signerInfos.push(b.signedData.signerInfos[0]!);
    const cms = encodeSignedData(both, [...a.certificates, b.certificates[0]!]);
    expect(await opensslAccepts(cms, data)).toBe(true);
    const report = await verifyCades(cms, { ...options, data });
    expect(report.valid).toBe(true);
    expect(report.signatures.map((s) => s.hcRole)).toEqual(['Medical Doctor', 'Pharmacist']);
    expect(report.hcRole).toBe('Pharmacist');
    const doctorsOnly = await verifyCades(cms, { ...options, data, allowedRoles: ['Medical Doctor'] });
    expect(doctorsOnly.valid).toBe(false);
    expect(doctorsOnly.signatures.map((s) => s.valid)).toEqual([true, false]);
    // Only the inner signature fails: the top level is the outer one's, but says why the file is not valid.
    const pharmacistsOnly = await verifyCades(cms, { ...options, data, allowedRoles: ['Pharmacist'] });
    expect(pharmacistsOnly).toMatchObject({ valid: false, error: 'ERR_ROLE_NOT_ALLOWED', hcRole: 'Pharmacist' });
    expect(pharmacistsOnly.signatures.map((s) => [s.valid, s.error])).toEqual([
      [false, 'ERR_ROLE_NOT_ALLOWED'],
      [true, undefined],
    ]);
    // More than 16 signers is refused before any is checked.
    const many = new SignedData({ ...a.signedData, signerInfos: a.signedData.signerInfos });
    for (let i = 0; i < 17; i++) many.signerInfos.push(a.signedData.signerInfos[0]!);
    expect(await verifyCades(encodeSignedData(many, a.certificates), { ...options, data })).toMatchObject({
      valid: false,
      error: 'ERR_DOCUMENT_MALFORMED',
      signatures: [],
    });
  });
});

describe('CAdES-T with a local TSA', () => {
  let tsa: TestTsa;
  let tsaPki: ReturnType<typeof createTestPki>;
  beforeAll(async () => {
    tsaPki = createTestPki();
    tsa = await startTestTsa({ tsa: tsaPki.issueTsa(), chain: [tsaPki.root.certificate] });
  });
  afterAll(async () => tsa?.stop());

  it('embeds a token openssl ts -verify accepts over the signature value, and verifyCades reports level T', async () => {
    const cms = await signCades(doctor, data, { timestamper: createTsaClient({ url: tsa.url }) });
    expect(await opensslAccepts(cms, data)).toBe(true);
    const parsed = parseSignedData(cms, LIMITS);
    const signer = parsed.signedData.signerInfos[0]!;
    const token = signer.unsignedAttrs?.find((a) => a.attrType === CMS_OID.signatureTimeStampToken)?.attrValues[0];
    writeFileSync(join(dir, 'cades-t.tst'), new Uint8Array(token!));
    writeFileSync(join(dir, 'cades-t.sig'), new Uint8Array(signer.signature.buffer));
    // biome-ignore format: one command line
    const { stdout } = await run('openssl', ['ts', '-verify', '-in', join(dir, 'cades-t.tst'), '-token_in', '-data', join(dir, 'cades-t.sig'), '-CAfile', tsa.caFile]);
    expect(stdout).toMatch(/Verification: OK/);
    const tsaCrl = makeCrl({
      issuer: tsaPki.root.name,
      signingKey: tsaPki.root.key,
      thisUpdate: new Date(Date.now() - 60_000),
      nextUpdate: new Date(Date.now() + 86_400_000),
    });
    const report = await verifyCades(cms, {
      ...options,
      crls: [...(options.crls ?? []), tsaCrl],
      tsaAnchors: [tsaPki.root.certificate],
      data,
    });
    expect(report).toMatchObject({ valid: true, level: 'T', timestamp: { tsa: expect.stringMatching(/Test TSA/) } });
    // The TSA's root is not trusted: the signature is not valid, and says why.
    expect(await verifyCades(cms, { ...options, data })).toMatchObject({
      valid: false,
      level: 'T',
      error: 'ERR_TSA_UNTRUSTED',
    });
  });
});
