import { constants, createHash, X509Certificate as NodeCertificate, publicDecrypt } from 'node:crypto';
import { expect } from 'vitest';
import { KeyUsageFlags, KeyUsagesExtension, X509Certificate } from '../../native-host/mock-pki/x509.js';
import { bytesToHex, decodeBase64Strict } from '../../protocol/base64.js';
import type { NativeClient } from '../../scripts/dev/native-client.js';

/**
 * The host checks of document signing (PROTOCOL.md §11), shared by the PC/SC and PKCS#11 tests. The
 * DigestInfo prefixes are written out here from RFC 8017 §9.2 note 1, independently of the host's.
 */

export const HASHES = [
  { algorithm: 'SHA-256', node: 'sha256', prefix: '3031300d060960864801650304020105000420', jose: 'RS256' },
  { algorithm: 'SHA-384', node: 'sha384', prefix: '3041300d060960864801650304020205000430', jose: 'RS384' },
  { algorithm: 'SHA-512', node: 'sha512', prefix: '3051300d060960864801650304020305000440', jose: 'RS512' },
] as const;

export const SIGN_ORIGIN = 'https://karte.example.jp';

export function der(base64: string): Uint8Array {
  const bytes = decodeBase64Strict(base64);
  if (bytes === undefined) throw new Error('not base64');
  return bytes;
}

export const sha256Hex = (base64: string): string => bytesToHex(createHash('sha256').update(der(base64)).digest());

/** The key usages of a certificate: the signing certificate has nonRepudiation only. */
export function keyUsageOf(base64: string): { nonRepudiation: boolean; digitalSignature: boolean } {
  const usages = new X509Certificate(new Uint8Array(der(base64))).getExtension(KeyUsagesExtension)?.usages ?? 0;
  return {
    nonRepudiation: (usages & KeyUsageFlags.nonRepudiation) !== 0,
    digitalSignature: (usages & KeyUsageFlags.digitalSignature) !== 0,
  };
}

/** Whether `signature` is RSASSA-PKCS1-v1_5 by the certificate's key over DigestInfo(hash). */
export function signsHash(certificate: string, prefix: string, hash: Buffer, signature: string): boolean {
  const key = new NodeCertificate(der(certificate)).publicKey;
  const recovered = publicDecrypt({ key, padding: constants.RSA_PKCS1_PADDING }, der(signature));
  return recovered.toString('hex') === prefix + hash.toString('hex');
}

export interface Certificate {
  certificate: string;
  certificateSha256: string;
  pinRetriesLeft: number;
}

export async function request(
  host: NativeClient,
  command: string,
  params?: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  return host.request({ id: command, command, ...(params === undefined ? {} : { params }) });
}

export async function certificateOf(host: NativeClient, command: 'get-certificate' | 'get-signing-certificate') {
  const answer = await request(host, command);
  expect(answer.error).toBeUndefined();
  return answer.result as Certificate;
}

/** Signs a hash of `document` with each algorithm and checks each signature against the certificate. */
export async function signAllHashes(host: NativeClient, signing: Certificate, pin: string): Promise<void> {
  for (const { algorithm, node, prefix, jose } of HASHES) {
    const hash = createHash(node).update(`紹介状 ${algorithm}`).digest();
    const answer = await request(host, 'sign', {
      origin: SIGN_ORIGIN,
      hashAlgorithm: algorithm,
      hash: hash.toString('base64'),
      certificateSha256: signing.certificateSha256,
      pin,
    });
    expect(answer.error).toBeUndefined();
    const result = answer.result as { signature: string; signatureAlgorithm: string };
    expect(result.signatureAlgorithm).toBe(jose);
    expect(signsHash(signing.certificate, prefix, hash, result.signature)).toBe(true);
    // The same signature over another hash does not verify: the check above can fail.
    expect(signsHash(signing.certificate, prefix, createHash(node).update('other').digest(), result.signature)).toBe(
      false,
    );
  }
}

export function signParams(signing: Certificate, pin: string): Record<string, unknown> {
  return {
    origin: SIGN_ORIGIN,
    hashAlgorithm: 'SHA-256',
    hash: createHash('sha256').update('診断書').digest('base64'),
    certificateSha256: signing.certificateSha256,
    pin,
  };
}
