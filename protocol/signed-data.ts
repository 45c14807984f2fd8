import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes as concat } from './bytes.js';
import { digestInfoAlgorithm } from './digest-info.js';

/**
 * The content signed for a login (PROTOCOL.md §3), in the manner of a TLS 1.3 CertificateVerify:
 * 64 spaces, a context string, a zero byte, then three fixed-length hashes.
 */

export const SIGNATURE_CONTEXT = 'HPKI Login 1.0, client CertificateVerify';

/** DER prefix of DigestInfo { sha256, NULL } before the 32-byte hash (RFC 8017 §9.2 note 1). */
export const SHA256_DIGEST_INFO_PREFIX = Uint8Array.of(
  0x30,
  0x31,
  0x30,
  0x0d,
  0x06,
  0x09,
  0x60,
  0x86,
  0x48,
  0x01,
  0x65,
  0x03,
  0x04,
  0x02,
  0x01,
  0x05,
  0x00,
  0x04,
  0x20,
);

export const DIGEST_INFO_LENGTH = SHA256_DIGEST_INFO_PREFIX.length + 32;

const encoder = new TextEncoder();

export function sha256Bytes(data: Uint8Array | string): Uint8Array {
  return sha256(typeof data === 'string' ? encoder.encode(data) : data);
}

/** A SHA-256 function: the pure one by default; Node code may pass its native one for speed. */
export type Sha256 = (data: Uint8Array) => Uint8Array;

export interface SignedContentInput {
  /** The page's origin as the browser serializes it. */
  origin: string;
  /** The challenge exactly as the site issued it. */
  challenge: string;
  /** The DER of the certificate whose key signs. */
  certificate: Uint8Array;
}

const CONTENT_PREFIX = concat([new Uint8Array(64).fill(0x20), encoder.encode(SIGNATURE_CONTEXT), Uint8Array.of(0)]);

/**
 * The §3 content from the three SHA-256 values, for callers that already hold some of them (a
 * server's own origin, a certificate it has seen before).
 */
export function signedContentFromHashes(hashes: {
  origin: Uint8Array;
  challenge: Uint8Array;
  certificate: Uint8Array;
}): Uint8Array {
  if (hashes.origin.length !== 32 || hashes.challenge.length !== 32 || hashes.certificate.length !== 32) {
    throw new RangeError('each hash must be 32 bytes');
  }
  return concat([CONTENT_PREFIX, hashes.origin, hashes.challenge, hashes.certificate]);
}

export function buildSignedContent(input: SignedContentInput, hash: Sha256 = sha256): Uint8Array {
  return signedContentFromHashes({
    origin: hash(encoder.encode(input.origin)),
    challenge: hash(encoder.encode(input.challenge)),
    certificate: hash(input.certificate),
  });
}

/** DigestInfo(SHA-256(content)), what a card that pads itself signs. */
export function digestInfoSha256(content: Uint8Array): Uint8Array {
  return concat([SHA256_DIGEST_INFO_PREFIX, sha256Bytes(content)]);
}

/** True when `block` is exactly a SHA-256 DigestInfo. The card signs anything; the host checks. */
export function isSha256DigestInfo(block: Uint8Array): boolean {
  if (block.length !== DIGEST_INFO_LENGTH) return false;
  return SHA256_DIGEST_INFO_PREFIX.every((b, i) => block[i] === b);
}

/** EMSA-PKCS1-v1_5 encoding (RFC 8017 §9.2) of a DigestInfo into a block of the key's length. */
export function emsaPkcs1v15(digestInfo: Uint8Array, keyLengthBytes: number): Uint8Array {
  const padLength = keyLengthBytes - digestInfo.length - 3;
  if (padLength < 8) throw new RangeError('key too short for this DigestInfo');
  return concat([Uint8Array.of(0x00, 0x01), new Uint8Array(padLength).fill(0xff), Uint8Array.of(0x00), digestInfo]);
}

/**
 * Extracts the DigestInfo from an EMSA-PKCS1-v1_5 block, or returns undefined when the block is not
 * exactly `00 01 FF…FF 00 DigestInfo` with at least 8 bytes of padding and a DigestInfo of SHA-256,
 * SHA-384 or SHA-512 (digest-info.ts).
 */
export function parseEmsaPkcs1v15(block: Uint8Array): Uint8Array | undefined {
  if (block.length < DIGEST_INFO_LENGTH + 11 || block[0] !== 0x00 || block[1] !== 0x01) return undefined;
  let separator = 2;
  while (separator < block.length && block[separator] === 0xff) separator++;
  if (separator < 10 || block[separator] !== 0x00) return undefined;
  const digestInfo = block.subarray(separator + 1);
  return digestInfoAlgorithm(digestInfo) === undefined ? undefined : digestInfo;
}
