import { execFileSync } from 'node:child_process';
import { verify, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CardBackend, CardToken } from '../../native-host/card/card-token.js';
import { createPkcs11Backend } from '../../native-host/pkcs11/index.js';
import type { ErrorCode } from '../../protocol/errors.js';
import { HpkiError } from '../../protocol/errors.js';
import { buildSignedContent, digestInfoSha256 } from '../../protocol/signed-data.js';
import type { AuthKeyPair, ExportedToken } from '../../scripts/dev/softhsm-export.js';
import { exportToPkcs11Token, SOFTHSM2_MODULE } from '../../scripts/dev/softhsm-export.js';
import { readShared, readSharedPemDer } from '../helpers/shared.js';
import { systemToolsPresent } from '../helpers/system-tools.js';

/**
 * The PKCS#11 backend against a real SoftHSM2 token holding the shared test vectors' doctor
 * certificate and key, with the JAHIS labels a vendor HPKI module uses.
 */

const available = systemToolsPresent('pkcs11-softhsm.test.ts', [SOFTHSM2_MODULE, '/usr/bin/softhsm2-util']);
const PIN = '1234';

interface Vector {
  origin: string;
  challenge: string;
  token: { signature: string };
}
const vectors = (JSON.parse(readShared('test-vectors', 'vectors.json')) as { vectors: Vector[] }).vectors;

const doctor: AuthKeyPair = {
  certificate: readSharedPemDer('test-vectors', 'ee.pem'),
  privateKeyPkcs8: readSharedPemDer('test-vectors', 'ee.key'),
  caCertificates: [readSharedPemDer('test-vectors', 'root.pem'), readSharedPemDer('test-vectors', 'authca.pem')],
};

let work: string;
let backend: CardBackend | undefined;
let token: CardToken | undefined;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'pkcs11-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));
afterEach(async () => {
  await token?.close();
  await backend?.close();
  token = undefined;
  backend = undefined;
});

async function exported(name: string, pair: AuthKeyPair, jahisLabels = true): Promise<ExportedToken> {
  const t = await exportToPkcs11Token(pair, { dir: join(work, name), pin: PIN, jahisLabels });
  process.env.SOFTHSM2_CONF = t.conf;
  return t;
}

async function rejection(promise: Promise<unknown>): Promise<HpkiError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof HpkiError) return err;
    throw err;
  }
  throw new Error('expected a rejection');
}

function expectCode(err: HpkiError, code: ErrorCode): void {
  expect(err.code).toBe(code);
  expect(err.message).not.toContain(PIN);
}

describe.skipIf(!available)('PKCS#11 backend over SoftHSM2', () => {
  it('lists the token as a reader with an HPKI card, and reads the certificate chain without a PIN', async () => {
    const t = await exported('jahis', doctor);
    backend = createPkcs11Backend({ module: t.module });
    const readers = await backend.listReaders();
    expect(readers).toContainEqual({ name: t.reader, cardPresent: true, cardType: 'hpki' });

    const opened = await backend.openToken(t.reader);
    token = opened.token;
    expect(opened.reader).toBe(t.reader);
    expect(token.cardType).toBe('hpki');
    const certs = await token.readCertificate();
    expect(Buffer.from(certs.certificate).equals(Buffer.from(doctor.certificate))).toBe(true);
    // Stored root first; read back nearest first (issuing CA, then root).
    expect(certs.intermediates.map((d) => Buffer.from(d).toString('base64'))).toEqual(
      [readSharedPemDer('test-vectors', 'authca.pem'), readSharedPemDer('test-vectors', 'root.pem')].map((d) =>
        Buffer.from(d).toString('base64'),
      ),
    );
    expect(await token.pinStatus()).toEqual({ retriesLeft: 15, maxRetries: 15 });
  });

  it('a wrong PIN is ERR_HPKI_PIN_INCORRECT with the retries the flags allow; the right PIN signs the test vector exactly', async () => {
    const t = await exported('sign', doctor);
    backend = createPkcs11Backend({ module: t.module });
    token = (await backend.openToken()).token;

    const wrong = await rejection(token.verifyPin('9999'));
    expectCode(wrong, 'ERR_HPKI_PIN_INCORRECT');
    expect(wrong.retriesLeft).toBeGreaterThan(0);
    expect(wrong.retriesLeft).toBeLessThanOrEqual(15);
    expect((await token.pinStatus()).retriesLeft).toBe(wrong.retriesLeft);

    // Signing before a verified PIN never reaches the card.
    const vector = vectors[0];
    if (vector === undefined) throw new Error('no test vector');
    const content = buildSignedContent({
      origin: vector.origin,
      challenge: vector.challenge,
      certificate: doctor.certificate,
    });
    expectCode(await rejection(token.sign(digestInfoSha256(content))), 'ERR_HPKI_INTERNAL');

    await token.verifyPin(PIN);
    const signature = await token.sign(digestInfoSha256(content));
    const publicKey = new X509Certificate(Buffer.from(doctor.certificate)).publicKey;
    expect(verify('sha256', content, publicKey, signature)).toBe(true);
    // RSASSA-PKCS1-v1_5 is deterministic: the token must produce the vector's very bytes.
    expect(Buffer.from(signature).toString('base64')).toBe(vector.token.signature);

    // Only a SHA-256 DigestInfo may be signed.
    expectCode(await rejection(token.sign(new Uint8Array(51))), 'ERR_HPKI_INTERNAL');
    expectCode(await rejection(token.sign(content)), 'ERR_HPKI_INTERNAL');
  });

  it('a login left by another session of the process is not this PIN: a wrong PIN fails and cannot sign, the right one signs', async () => {
    const t = await exported('already-logged-in', doctor);
    backend = createPkcs11Backend({ module: t.module });
    // PKCS#11 login state belongs to the token for the whole process: an earlier session logged in.
    const earlier = (await backend.openToken()).token;
    await earlier.verifyPin(PIN);
    token = (await backend.openToken()).token;
    const content = buildSignedContent({
      origin: 'https://example.jp',
      challenge: 'y'.repeat(43),
      certificate: doctor.certificate,
    });
    try {
      const wrong = await rejection(token.verifyPin('9999'));
      expectCode(wrong, 'ERR_HPKI_PIN_INCORRECT');
      expectCode(await rejection(token.sign(digestInfoSha256(content))), 'ERR_HPKI_INTERNAL');
      // The earlier login was ended too: no session of the process signs on it any more.
      await expect(earlier.sign(digestInfoSha256(content))).rejects.toBeInstanceOf(HpkiError);

      await token.verifyPin(PIN);
      const signature = await token.sign(digestInfoSha256(content));
      const publicKey = new X509Certificate(Buffer.from(doctor.certificate)).publicKey;
      expect(verify('sha256', content, publicKey, signature)).toBe(true);
    } finally {
      await earlier.close();
    }
  });

  it('without JAHIS labels, pairs certificate and key by CKA_ID and knows HPKI by its policy', async () => {
    const t = await exported('generic', doctor, false);
    backend = createPkcs11Backend({ module: t.module });
    token = (await backend.openToken()).token;
    expect(Buffer.from((await token.readCertificate()).certificate).equals(Buffer.from(doctor.certificate))).toBe(true);
    await token.verifyPin(PIN);
    const content = buildSignedContent({
      origin: 'https://example.jp',
      challenge: 'x'.repeat(43),
      certificate: doctor.certificate,
    });
    const signature = await token.sign(digestInfoSha256(content));
    const publicKey = new X509Certificate(Buffer.from(doctor.certificate)).publicKey;
    expect(verify('sha256', content, publicKey, signature)).toBe(true);
  });

  it('a token whose certificate is not HPKI (like a My Number card in OpenSC) is ERR_HPKI_UNSUPPORTED_CARD', async () => {
    const dir = join(work, 'other-keys');
    execFileSync('mkdir', ['-p', dir]);
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-subj',
        '/CN=Not HPKI',
        '-days',
        '2',
        '-keyout',
        join(dir, 'k.pem'),
        '-out',
        join(dir, 'c.pem'),
      ],
      { stdio: 'ignore' },
    );
    const pem = (file: string): Uint8Array => {
      const body = readFileSync(join(dir, file), 'utf8').replace(/-----[A-Z ]+-----|\s+/g, '');
      return new Uint8Array(Buffer.from(body, 'base64'));
    };
    const t = await exported(
      'other',
      { certificate: pem('c.pem'), privateKeyPkcs8: pem('k.pem'), caCertificates: [] },
      false,
    );
    backend = createPkcs11Backend({ module: t.module });
    expect(await backend.listReaders()).toContainEqual({ name: t.reader, cardPresent: true, cardType: 'unknown' });
    expectCode(await rejection(backend.openToken()), 'ERR_HPKI_UNSUPPORTED_CARD');
  });

  it('an unknown reader name is ERR_HPKI_NO_READER; a missing module is ERR_HPKI_INTERNAL', async () => {
    const t = await exported('names', doctor);
    backend = createPkcs11Backend({ module: t.module });
    expectCode(await rejection(backend.openToken('no such reader')), 'ERR_HPKI_NO_READER');
    await backend.close();
    backend = createPkcs11Backend({ module: join(work, 'missing-module.so') });
    expectCode(await rejection(backend.listReaders()), 'ERR_HPKI_INTERNAL');
  });
});
