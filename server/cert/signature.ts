import type { KeyObject } from 'node:crypto';
import { verify } from 'node:crypto';
import type { AlgorithmIdentifierDer } from '../../protocol/certificate-der.js';

/**
 * Signatures on certificates and CRLs: RSASSA-PKCS1-v1_5 only (what HPKI CAs use), SHA-256 and its
 * larger siblings, and SHA-1 for CAs that signed before 2014. Node's synchronous `crypto.verify`
 * over the exact signed bytes keeps a validation in one tick. Keys reach this point only after the
 * key policy (key-policy.ts) accepted them.
 */

const RSA_PKCS1_HASHES: Readonly<Record<string, string>> = {
  '1.2.840.113549.1.1.5': 'sha1',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
};

/** Absent, or DER NULL (05 00), as RFC 4055 writes them for RSASSA-PKCS1-v1_5. */
function parametersAllowed(parameters: Uint8Array | undefined): boolean {
  return parameters === undefined || (parameters.length === 2 && parameters[0] === 0x05 && parameters[1] === 0x00);
}

/** True for the signature algorithms this verifier can check. */
export function isSupportedSignatureAlgorithm(algorithm: AlgorithmIdentifierDer): boolean {
  return RSA_PKCS1_HASHES[algorithm.oid] !== undefined && parametersAllowed(algorithm.parameters);
}

/** A KeyObject, or a DER SubjectPublicKeyInfo that crypto.verify imports for one use. */
export type VerificationKey = KeyObject | { key: Buffer; format: 'der'; type: 'spki' };

function isRsa(key: VerificationKey): boolean {
  // DER keys come only from certificates whose key the key policy accepted as RSA.
  return 'asymmetricKeyType' in key ? key.asymmetricKeyType === 'rsa' : true;
}

/** Verifies `signature` over `data` with the algorithm named in the signed object. */
export function verifySignedData(
  data: Uint8Array,
  algorithm: AlgorithmIdentifierDer,
  signature: Uint8Array,
  key: VerificationKey | undefined,
): boolean {
  const hash = RSA_PKCS1_HASHES[algorithm.oid];
  if (hash === undefined || !parametersAllowed(algorithm.parameters) || key === undefined || !isRsa(key)) return false;
  try {
    return verify(hash, data, key, signature);
  } catch {
    return false;
  }
}

/**
 * How many signatures one validation may still verify (cached results are free). It bounds what a
 * token full of plausible but wrong CA certificates can cost: about one verification per certificate
 * of the longest path, plus a couple of wrong turns.
 */
export interface SignatureBudget {
  remaining: number;
}

export function createSignatureBudget(checks: number): SignatureBudget {
  return { remaining: checks };
}
