import { execFile } from 'node:child_process';
import { createHash, sign } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  CMSVersion,
  DigestAlgorithmIdentifiers,
  EncapsulatedContent,
  EncapsulatedContentInfo,
  IssuerAndSerialNumber,
  SignedData,
  SignerIdentifier,
  SignerInfo,
  SignerInfos,
} from '@peculiar/asn1-cms';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { MessageImprint, TSTInfo } from '@peculiar/asn1-tsp';
import { AlgorithmIdentifier, Name } from '@peculiar/asn1-x509';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, makeCrl, type TestCert, type TestPki } from '../../../../scripts/dev/test-pki.js';
import { startTestTsa, type TestTsa } from '../../../../scripts/dev/test-tsa.js';
import { parseCertificate } from '../../../../server/cert/index.js';
import { attributesOf, encodeSignedData } from '../../../../server/documents/cms/cms-builder.js';
import { CMS_OID } from '../../../../server/documents/cms/index.js';
import { encodeSignedAttributes } from '../../../../server/documents/cms/signed-attributes.js';
import type { DocumentVerifyOptions } from '../../../../server/documents/document-types.js';
import {
  buildTsaRequest,
  createTsaClient,
  readTsaResponse,
  verifyTimestampToken,
} from '../../../../server/documents/timestamp/index.js';
import {
  readSample,
  readSamplePemDer,
  SIGNED_SAMPLES_NOTE,
  SIGNED_SAMPLES_PRESENT,
} from '../../../helpers/signed-samples.js';

/**
 * RFC 3161 (issue 23): the client against a real TSA (`openssl ts -reply` behind HTTP), whose tokens
 * `openssl ts -verify` accepts; the verifier accepts them and refuses another imprint, another TSA
 * anchor, a changed byte, a TSA certificate whose EKU is not critical; the client refuses a TSA that
 * fails, answers garbage, too much or nothing; a real token of a MEDIS test TSA verifies.
 */

const run = promisify(execFile);
const sha256 = (data: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(data).digest());

let dir: string;
let pki: TestPki;
let tsaCert: TestCert;
let tsa: TestTsa;
let options: DocumentVerifyOptions;
const stamped = new TextEncoder().encode('the signature value a timestamp covers');
let token: Uint8Array;

function rootCrl(p: TestPki): Uint8Array {
  return makeCrl({
    issuer: p.root.name,
    signingKey: p.root.key,
    thisUpdate: new Date(Date.now() - 3_600_000),
    nextUpdate: new Date(Date.now() + 86_400_000),
  });
}

/** A TimeStampToken over `data` signed by `tsa` as RFC 3161 says (ESS SigningCertificateV2 included). */
function craftToken(tsa: TestCert, chain: readonly Uint8Array[], data: Uint8Array): Uint8Array {
  const info = new TSTInfo({
    version: 1,
    policy: '1.3.6.1.4.1.99999.1.1',
    messageImprint: new MessageImprint({
      hashAlgorithm: new AlgorithmIdentifier({ algorithm: '2.16.840.1.101.3.4.2.1' }),
      hashedMessage: new OctetString(sha256(data)),
    }),
    serialNumber: Uint8Array.of(1).buffer,
    genTime: new Date(Math.floor(Date.now() / 1000) * 1000),
  });
  const tstInfo = new Uint8Array(AsnConvert.serialize(info));
  const certificate = parseCertificate(tsa.certificate);
  const attrs = encodeSignedAttributes({
    contentType: CMS_OID.tstInfo,
    hashAlgorithm: 'SHA-256',
    messageDigest: sha256(tstInfo),
    certificate,
    signingTime: null,
  });
  const signature = new Uint8Array(sign('sha256', attrs, tsa.key.privateKey));
  const signer = new SignerInfo({
    version: CMSVersion.v1,
    sid: new SignerIdentifier({
      issuerAndSerialNumber: new IssuerAndSerialNumber({
        issuer: AsnConvert.parse(certificate.decoded.issuerDer, Name),
        serialNumber: Uint8Array.from(Buffer.from(certificate.decoded.serialKey, 'hex')).buffer,
      }),
    }),
    digestAlgorithm: new AlgorithmIdentifier({ algorithm: '2.16.840.1.101.3.4.2.1' }),
    signedAttrs: attributesOf(attrs),
    signatureAlgorithm: new AlgorithmIdentifier({ algorithm: '1.2.840.113549.1.1.11', parameters: null }),
    signature: new OctetString(signature),
  });
  const signedData = new SignedData({
    version: CMSVersion.v3,
    digestAlgorithms: new DigestAlgorithmIdentifiers([
      new AlgorithmIdentifier({ algorithm: '2.16.840.1.101.3.4.2.1' }),
    ]),
    encapContentInfo: new EncapsulatedContentInfo({
      eContentType: CMS_OID.tstInfo,
      eContent: new EncapsulatedContent({ single: new OctetString(tstInfo) }),
    }),
    signerInfos: new SignerInfos([signer]),
  });
  return encodeSignedData(signedData, [tsa.certificate, ...chain]);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'timestamp-test-'));
  pki = createTestPki();
  tsaCert = pki.issueTsa();
  tsa = await startTestTsa({ tsa: tsaCert, chain: [pki.root.certificate] });
  options = { anchors: [pki.root.certificate], crls: [rootCrl(pki)] };
  token = await createTsaClient({ url: tsa.url })('SHA-256', sha256(stamped));
});

afterAll(async () => {
  await tsa?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the TSA client and openssl ts -verify', () => {
  it('gets a token that openssl ts -verify accepts over the stamped data', async () => {
    writeFileSync(join(dir, 'token.der'), token);
    writeFileSync(join(dir, 'data.bin'), stamped);
    const { stdout } = await run('openssl', [
      'ts',
      '-verify',
      '-in',
      join(dir, 'token.der'),
      '-token_in',
      '-data',
      join(dir, 'data.bin'),
      '-CAfile',
      tsa.caFile,
    ]);
    expect(stdout).toMatch(/Verification: OK/);
    writeFileSync(join(dir, 'other.bin'), 'other data');
    await expect(
      run('openssl', [
        'ts',
        '-verify',
        '-in',
        join(dir, 'token.der'),
        '-token_in',
        '-data',
        join(dir, 'other.bin'),
        '-CAfile',
        tsa.caFile,
      ]),
    ).rejects.toThrow(/message imprint mismatch/);
  });

  it('asks with a fresh nonce and certReq, and refuses an answer to another request', async () => {
    const first = buildTsaRequest('SHA-256', sha256(stamped));
    const second = buildTsaRequest('SHA-256', sha256(stamped));
    expect(Buffer.from(first.nonce).equals(Buffer.from(second.nonce))).toBe(false);
    const response = await fetch(tsa.url, {
      method: 'POST',
      headers: { 'content-type': 'application/timestamp-query' },
      body: first.der,
    });
    const bytes = new Uint8Array(await response.arrayBuffer());
    expect(readTsaResponse(bytes, first).length).toBeGreaterThan(100);
    expect(() => readTsaResponse(bytes, second)).toThrow(expect.objectContaining({ code: 'ERR_TSA_REFUSED' }));
    const otherDigest = { ...first, digest: sha256(new Uint8Array([1])) };
    expect(() => readTsaResponse(bytes, otherDigest)).toThrow(/another imprint/);
  });

  it('refuses a TSA that fails, answers garbage, too much, or nothing in time', async () => {
    const digest = sha256(stamped);
    tsa.misbehave('fail');
    await expect(createTsaClient({ url: tsa.url })('SHA-256', digest)).rejects.toMatchObject({
      code: 'ERR_TSA_UNAVAILABLE',
    });
    tsa.misbehave('garbage');
    await expect(createTsaClient({ url: tsa.url })('SHA-256', digest)).rejects.toMatchObject({
      code: 'ERR_TSA_REFUSED',
    });
    tsa.misbehave('none');
    await expect(createTsaClient({ url: tsa.url, maxResponseBytes: 100 })('SHA-256', digest)).rejects.toMatchObject({
      code: 'ERR_TSA_UNAVAILABLE',
      message: expect.stringMatching(/larger than 100 bytes/),
    });
    tsa.misbehave('slow');
    const started = Date.now();
    await expect(createTsaClient({ url: tsa.url, timeoutMs: 300 })('SHA-256', digest)).rejects.toMatchObject({
      code: 'ERR_TSA_UNAVAILABLE',
      message: expect.stringMatching(/within 300 ms/),
    });
    expect(Date.now() - started).toBeLessThan(3000);
    tsa.misbehave('none');
    expect(() => createTsaClient({ url: 'ftp://example.test/' })).toThrow(/http or https/);
  });
});

describe('verifyTimestampToken', () => {
  it('accepts the token over the stamped data and says when and who', async () => {
    const result = await verifyTimestampToken(token, stamped, options);
    expect(result.hashAlgorithm).toBe('SHA-256');
    expect(result.tsa).toMatch(/CN=Test TSA/);
    expect(Math.abs(result.time.getTime() - Date.now())).toBeLessThan(60_000);
  });

  it('refuses other data (a changed imprint)', async () => {
    const other = new TextEncoder().encode('the signature value a timestamp covers!');
    await expect(verifyTimestampToken(token, other, options)).rejects.toMatchObject({
      code: 'ERR_TIMESTAMP_INVALID',
      message: expect.stringMatching(/message imprint differs/),
    });
  });

  it('refuses a TSA chain that ends at no TSA anchor', async () => {
    const other = createTestPki();
    await expect(
      verifyTimestampToken(token, stamped, { ...options, tsaAnchors: [other.root.certificate] }),
    ).rejects.toMatchObject({
      code: 'ERR_TSA_UNTRUSTED',
    });
    await expect(
      verifyTimestampToken(token, stamped, { ...options, anchors: [other.root.certificate] }),
    ).rejects.toMatchObject({
      code: 'ERR_TSA_UNTRUSTED',
    });
    // With TSA anchors given, the ordinary anchors do not count for the TSA.
    const result = await verifyTimestampToken(token, stamped, {
      ...options,
      anchors: [other.root.certificate],
      tsaAnchors: [pki.root.certificate],
    });
    expect(result.tsa).toMatch(/Test TSA/);
  });

  it('refuses every single changed byte of the signed part, with a clear code', async () => {
    // Changing a byte anywhere is either unreadable, another imprint, a signature that fails, or another certificate.
    const positions = [20, 60, 100, token.length - 300, token.length - 40, token.length - 1];
    for (const at of positions) {
      const bad = token.slice();
      bad[at]! ^= 0x01;
      await expect(verifyTimestampToken(bad, stamped, options)).rejects.toMatchObject({
        code: expect.stringMatching(/^ERR_TIMESTAMP_INVALID$|^ERR_TSA_UNTRUSTED$/),
      });
    }
  });

  it('refuses a TSA certificate whose extended key usage is not critical, or not for time stamping only', async () => {
    // openssl ts -reply will not sign with such a certificate, so these tokens are made here.
    const good = craftToken(pki.issueTsa(), [pki.root.certificate], stamped);
    expect((await verifyTimestampToken(good, stamped, options)).tsa).toMatch(/Test TSA/);
    const cases = [
      [{ ekuCritical: false }, /no critical extended key usage/],
      [{ extKeyUsage: ['1.3.6.1.5.5.7.3.4'] }, /not for time stamping only/],
      [{ extKeyUsage: ['1.3.6.1.5.5.7.3.8', '1.3.6.1.5.5.7.3.4'] }, /not for time stamping only/],
    ] as const;
    for (const [tsaOptions, message] of cases) {
      const token = craftToken(pki.issueTsa(tsaOptions), [pki.root.certificate], stamped);
      await expect(verifyTimestampToken(token, stamped, options)).rejects.toMatchObject({
        code: 'ERR_TSA_UNTRUSTED',
        message: expect.stringMatching(message),
      });
    }
  });

  it('refuses what is not a token at all', async () => {
    for (const bad of [new Uint8Array(0), new Uint8Array([0x30, 0x80, 0, 0]), new Uint8Array(300_000), stamped]) {
      await expect(verifyTimestampToken(bad, stamped, options)).rejects.toMatchObject({
        code: 'ERR_TIMESTAMP_INVALID',
      });
    }
  });
});

describe.skipIf(!SIGNED_SAMPLES_PRESENT)('a real token of a test TSA (MEDIS e-prescription sample)', () => {
  it('verifies the SignatureTimeStamp of Prescription-004_01.xml over its canonical SignatureValue', async () => {
    const xml = readSample('Prescription-004_01.xml').toString('utf8');
    const encapsulated = /<xa:EncapsulatedTimeStamp[^>]*>([^<]*)</.exec(xml)?.[1] ?? '';
    const realToken = new Uint8Array(Buffer.from(encapsulated.replace(/\s+/g, ''), 'base64'));
    const value = /<xs:SignatureValue ([^>]*)>([^<]*)<\/xs:SignatureValue>/.exec(xml);
    // Inclusive C14N 1.0 of the SignatureValue element (XAdES's default for SignatureTimeStamp): the namespaces in scope, sorted.
    const canonical = new TextEncoder().encode(
      `<xs:SignatureValue xmlns:xs="http://www.w3.org/2000/09/xmldsig#" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ${value?.[1]}>${value?.[2]}</xs:SignatureValue>`,
    );
    const real: DocumentVerifyOptions = {
      anchors: [readSamplePemDer('mhlw-hpki-root-ca-v2.pem')],
      tsaAnchors: [readSamplePemDer('tsa-test-root.pem')],
      revocation: 'soft-fail',
    };
    const result = await verifyTimestampToken(realToken, canonical, real);
    expect(result.time.toISOString()).toBe('2022-09-07T08:18:25.197Z');
    expect(result.hashAlgorithm).toBe('SHA-256');
    await expect(verifyTimestampToken(realToken, stamped, real)).rejects.toMatchObject({
      code: 'ERR_TIMESTAMP_INVALID',
    });
    await expect(
      verifyTimestampToken(realToken, canonical, { ...real, tsaAnchors: [pki.root.certificate] }),
    ).rejects.toMatchObject({ code: 'ERR_TSA_UNTRUSTED' });
    // Its root has no basicConstraints: taken as a name and a key only when named as a TSA anchor, not as an ordinary anchor.
    const { tsaAnchors: _, ...plain } = real;
    await expect(
      verifyTimestampToken(realToken, canonical, { ...plain, anchors: [readSamplePemDer('tsa-test-root.pem')] }),
    ).rejects.toMatchObject({ code: 'ERR_TSA_UNTRUSTED', message: expect.stringMatching(/not a CA certificate/) });
  });
});

describe.skipIf(SIGNED_SAMPLES_PRESENT)('without the signed samples', () => {
  it.skip(SIGNED_SAMPLES_NOTE, () => {});
});
