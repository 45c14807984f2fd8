import { createHash, createPrivateKey, sign } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateMockPki, type MockPki, writeCurrentCrls } from '../../../../native-host/mock-pki/index.js';
import { createCardFile, loadCardFile, readKeyPair } from '../../../../native-host/virtual-card/index.js';
import {
  createSignatureVerifier,
  type RawSignature,
  type SignatureVerifierOptions,
} from '../../../../server/verify/index.js';

/**
 * The site-side check of a raw document signature (issue 22, build item 5): valid signatures over
 * SHA-256/384/512 pass with the signer's identity; a tampered hash, signature, algorithm or an input
 * outside the bounds, the authentication certificate, a revoked card, an untrusted root and a role the
 * site does not admit are each refused with their own code. Signatures are made with node:crypto over
 * the document itself, independently of the host's DigestInfo code.
 */

interface Holder {
  certificate: Uint8Array;
  intermediates: Uint8Array[];
  key: ReturnType<typeof createPrivateKey>;
}

let dir: string;
let pki: MockPki;
let doctor: Holder;
let doctorAuth: Holder;
let revoked: Holder;
let pharmacist: Holder;
let options: SignatureVerifierOptions;

async function card(
  name: string,
  extra: { revoked?: boolean; role?: string } = {},
): Promise<{ sign: Holder; auth: Holder }> {
  const file = join(dir, `${name}.card`);
  await createCardFile(file, { pki, name, role: extra.role ?? 'Medical Doctor', pin: '1234', ...extra });
  const holder = (application: 'auth' | 'sign'): Holder => {
    const pair = readKeyPair(loadCardFile(file), application);
    return {
      certificate: pair.certificate,
      intermediates: pair.caCertificates.slice(0, 1),
      key: createPrivateKey({ key: Buffer.from(pair.privateKeyPkcs8), format: 'der', type: 'pkcs8' }),
    };
  };
  return { sign: holder('sign'), auth: holder('auth') };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'signature-verifier-'));
  pki = await loadOrCreateMockPki(join(dir, 'pki'));
  ({ sign: doctor, auth: doctorAuth } = await card('Nichii Taro'));
  revoked = (await card('Revoked Jiro', { revoked: true })).sign;
  pharmacist = (await card('Yakuzai Hanako', { role: 'Pharmacist' })).sign;
  const crls = await writeCurrentCrls(pki);
  options = { anchors: [pki.root.certificate], crls: [crls.signCaCrl, crls.authCaCrl] };
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const DOCUMENT = Buffer.from('診療情報提供書 2026-12-06');
const NODE_HASH = { 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' } as const;

function signed(holder: Holder, hashAlgorithm: RawSignature['hashAlgorithm'] = 'SHA-256'): RawSignature {
  const node = NODE_HASH[hashAlgorithm];
  return {
    certificate: Buffer.from(holder.certificate).toString('base64'),
    intermediates: holder.intermediates.map((c) => Buffer.from(c).toString('base64')),
    hashAlgorithm,
    hash: createHash(node).update(DOCUMENT).digest('base64'),
    signature: sign(node, DOCUMENT, holder.key).toString('base64'),
  };
}

describe('createSignatureVerifier', () => {
  it.each(['SHA-256', 'SHA-384', 'SHA-512'] as const)('accepts a valid signature over a %s hash', async (alg) => {
    const result = await createSignatureVerifier(options).verify({
      ...signed(doctor, alg),
      signatureAlgorithm: `RS${alg.slice(4)}`,
    });
    expect(result).toMatchObject({
      hcRole: 'Medical Doctor',
      holder: { name: 'Nichii Taro' },
      hashAlgorithm: alg,
      signatureAlgorithm: `RS${alg.slice(4)}`,
    });
  });

  it('takes bytes as well as base64', async () => {
    const input = signed(doctor);
    const bytes = (b64: string | Uint8Array) => (typeof b64 === 'string' ? Buffer.from(b64, 'base64') : b64);
    await expect(
      createSignatureVerifier(options).verify({
        ...input,
        certificate: bytes(input.certificate),
        hash: bytes(input.hash),
        signature: bytes(input.signature),
      }),
    ).resolves.toMatchObject({ hcRole: 'Medical Doctor' });
  });

  const tampered: [string, (s: RawSignature) => RawSignature, string][] = [
    [
      'another document',
      (s) => ({ ...s, hash: createHash('sha256').update('other').digest('base64') }),
      'ERR_SIGNATURE_INVALID',
    ],
    [
      'a flipped signature bit',
      (s) => {
        const bytes = Buffer.from(s.signature as string, 'base64');
        bytes[100]! ^= 1;
        return { ...s, signature: bytes.toString('base64') };
      },
      'ERR_SIGNATURE_INVALID',
    ],
    ['the hash under another algorithm name', (s) => ({ ...s, hashAlgorithm: 'SHA-384' }), 'ERR_TOKEN_MALFORMED'],
    ['a signatureAlgorithm that does not match', (s) => ({ ...s, signatureAlgorithm: 'RS512' }), 'ERR_TOKEN_MALFORMED'],
    ['a signature that is not base64', (s) => ({ ...s, signature: 'not base64!' }), 'ERR_TOKEN_MALFORMED'],
    [
      'an oversized signature',
      (s) => ({ ...s, signature: Buffer.alloc(4096).toString('base64') }),
      'ERR_TOKEN_MALFORMED',
    ],
    [
      'a certificate that is not one',
      (s) => ({ ...s, certificate: Buffer.from('hello').toString('base64') }),
      'ERR_TOKEN_MALFORMED',
    ],
    [
      'an unknown hash algorithm',
      (s) => ({ ...s, hashAlgorithm: 'MD5' as RawSignature['hashAlgorithm'] }),
      'ERR_TOKEN_MALFORMED',
    ],
    [
      'too many intermediates',
      (s) => ({ ...s, intermediates: Array(5).fill(s.intermediates![0]) }),
      'ERR_TOKEN_MALFORMED',
    ],
  ];
  it.each(tampered)('refuses %s', async (_name, change, code) => {
    await expect(createSignatureVerifier(options).verify(change(signed(doctor)))).rejects.toMatchObject({ code });
  });

  it('refuses the authentication certificate, even with a good signature by its key', async () => {
    await expect(createSignatureVerifier(options).verify(signed(doctorAuth))).rejects.toMatchObject({
      code: 'ERR_CERT_PURPOSE',
    });
  });

  it('refuses a revoked signing certificate, and fails closed without a CRL', async () => {
    await expect(createSignatureVerifier(options).verify(signed(revoked))).rejects.toMatchObject({
      code: 'ERR_CERT_REVOKED',
    });
    await expect(
      createSignatureVerifier({ anchors: [pki.root.certificate] }).verify(signed(doctor)),
    ).rejects.toMatchObject({ code: 'ERR_REVOCATION_UNKNOWN' });
  });

  it('refuses a certificate that does not chain to the configured root', async () => {
    await expect(
      createSignatureVerifier({ ...options, anchors: [pki.authCa.certificate] }).verify({
        ...signed(doctor),
        intermediates: [],
      }),
    ).rejects.toMatchObject({ code: 'ERR_CERT_UNTRUSTED' });
  });

  it('checks the hcRole: a pharmacist is refused where doctors only are admitted', async () => {
    await expect(createSignatureVerifier(options).verify(signed(pharmacist))).rejects.toMatchObject({
      code: 'ERR_ROLE_NOT_ALLOWED',
    });
    await expect(
      createSignatureVerifier({ ...options, allowedRoles: ['Pharmacist'] }).verify(signed(pharmacist)),
    ).resolves.toMatchObject({ hcRole: 'Pharmacist' });
  });
});
