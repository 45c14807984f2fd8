import type { KeyObject } from 'node:crypto';
import { createHash, verify } from 'node:crypto';
import type { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { type HashAlgorithm, NODE_HASH_NAMES } from '../../../protocol/digest-info.js';
import { HpkiError } from '../../../protocol/errors.js';

/** The digest and signature algorithms CMS signatures here use (RFC 5754, RFC 8017 §A.2.4). */

export const DIGEST_OIDS: Readonly<Record<HashAlgorithm, string>> = {
  'SHA-256': '2.16.840.1.101.3.4.2.1',
  'SHA-384': '2.16.840.1.101.3.4.2.2',
  'SHA-512': '2.16.840.1.101.3.4.2.3',
};

export const RSA_ENCRYPTION = '1.2.840.113549.1.1.1';

/** sha…WithRSAEncryption, the signatureAlgorithm this library writes. */
export const RSA_SIGNATURE_OIDS: Readonly<Record<HashAlgorithm, string>> = {
  'SHA-256': '1.2.840.113549.1.1.11',
  'SHA-384': '1.2.840.113549.1.1.12',
  'SHA-512': '1.2.840.113549.1.1.13',
};

export function digest(algorithm: HashAlgorithm, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash(NODE_HASH_NAMES[algorithm]).update(data).digest());
}

/** The hash named by a DigestAlgorithmIdentifier; SHA-1 and anything else → `code`. */
export function hashOf(
  id: AlgorithmIdentifier,
  code: 'ERR_DOCUMENT_MALFORMED' | 'ERR_TIMESTAMP_INVALID',
): HashAlgorithm {
  for (const [name, oid] of Object.entries(DIGEST_OIDS) as [HashAlgorithm, string][]) {
    if (oid === id.algorithm) return name;
  }
  throw new HpkiError(code, `digest algorithm ${id.algorithm} is not SHA-256, SHA-384 or SHA-512`);
}

/**
 * RSASSA-PKCS1-v1_5 over `data` with `hash`: the signatureAlgorithm may be rsaEncryption (RFC 5652
 * allows it) or the sha…WithRSAEncryption of the same hash; anything else does not verify.
 */
export function verifyRsaSignature(
  signatureAlgorithm: AlgorithmIdentifier,
  hash: HashAlgorithm,
  key: KeyObject,
  data: Uint8Array,
  signature: Uint8Array,
): boolean {
  const oid = signatureAlgorithm.algorithm;
  if (oid !== RSA_ENCRYPTION && oid !== RSA_SIGNATURE_OIDS[hash]) return false;
  return verifyRsaPkcs1(hash, key, data, signature);
}

/** RSASSA-PKCS1-v1_5 over `data` with `hash`; false for a key that is not RSA and for a signature that cannot be checked. */
export function verifyRsaPkcs1(
  hash: HashAlgorithm,
  key: KeyObject | undefined,
  data: Uint8Array,
  signature: Uint8Array,
): boolean {
  if (key?.asymmetricKeyType !== 'rsa') return false;
  try {
    return verify(NODE_HASH_NAMES[hash], data, key, signature);
  } catch {
    return false;
  }
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
