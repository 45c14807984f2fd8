import { concatBytes } from './bytes.js';

/**
 * DigestInfo (RFC 8017 §9.2 note 1) for the hashes a site may ask the card's signing key to sign
 * (PROTOCOL.md §11). The card signs whatever block it gets (HPKI-CARD.md §2), so the host builds the
 * DigestInfo itself from the algorithm and a hash of exactly that algorithm's length.
 */

export const HASH_ALGORITHMS = ['SHA-256', 'SHA-384', 'SHA-512'] as const;
export type HashAlgorithm = (typeof HASH_ALGORITHMS)[number];

/** The JOSE name of RSASSA-PKCS1-v1_5 with each hash. */
export const SIGNATURE_ALGORITHMS = { 'SHA-256': 'RS256', 'SHA-384': 'RS384', 'SHA-512': 'RS512' } as const;
export type SignatureAlgorithm = (typeof SIGNATURE_ALGORITHMS)[HashAlgorithm];

/** Node's (OpenSSL's) name of each hash, for `createHash` and `crypto.verify`. */
export const NODE_HASH_NAMES = { 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' } as const;
export type NodeHashName = (typeof NODE_HASH_NAMES)[HashAlgorithm];

export const HASH_LENGTHS: Readonly<Record<HashAlgorithm, number>> = { 'SHA-256': 32, 'SHA-384': 48, 'SHA-512': 64 };

/** The DER before the hash: SEQUENCE { SEQUENCE { OID, NULL }, OCTET STRING (length) }. */
const PREFIXES: Readonly<Record<HashAlgorithm, Uint8Array>> = {
  'SHA-256': hex('3031300d060960864801650304020105000420'),
  'SHA-384': hex('3041300d060960864801650304020205000430'),
  'SHA-512': hex('3051300d060960864801650304020305000440'),
};

function hex(text: string): Uint8Array {
  return Uint8Array.from(text.match(/../g) ?? [], (pair) => Number.parseInt(pair, 16));
}

/** DigestInfo(hash) for `algorithm`; RangeError when the hash is not of that algorithm's length. */
export function buildDigestInfo(algorithm: HashAlgorithm, hash: Uint8Array): Uint8Array {
  if (hash.length !== HASH_LENGTHS[algorithm])
    throw new RangeError(`a ${algorithm} hash is ${HASH_LENGTHS[algorithm]} bytes`);
  return concatBytes([PREFIXES[algorithm], hash]);
}

/** Which algorithm's DigestInfo `block` is exactly, or undefined when it is none of them. */
export function digestInfoAlgorithm(block: Uint8Array): HashAlgorithm | undefined {
  return HASH_ALGORITHMS.find((algorithm) => {
    const prefix = PREFIXES[algorithm];
    return block.length === prefix.length + HASH_LENGTHS[algorithm] && prefix.every((b, i) => block[i] === b);
  });
}
