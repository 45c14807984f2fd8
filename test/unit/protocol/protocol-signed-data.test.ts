import { constants, publicDecrypt, verify, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { bytesToHex, decodeBase64Strict, hexToBytes } from '../../../protocol/base64.js';
import {
  buildSignedContent,
  digestInfoSha256,
  emsaPkcs1v15,
  isSha256DigestInfo,
  parseEmsaPkcs1v15,
  sha256Bytes,
} from '../../../protocol/signed-data.js';
import { decodeToken } from '../../../protocol/token.js';
import { readShared, readSharedPemDer } from '../../helpers/shared.js';

interface Vector {
  name: string;
  origin: string;
  challenge: string;
  certificateSha256: string;
  signedContentHex: string;
  digestInfoHex: string;
  paddedBlockHex: string;
  token: unknown;
}

const vectors = (JSON.parse(readShared('test-vectors', 'vectors.json')) as { vectors: Vector[] }).vectors;
const certificate = readSharedPemDer('test-vectors', 'ee.pem');
const publicKey = new X509Certificate(certificate).publicKey;

describe('signed content (PROTOCOL.md §3) against the shared vectors', () => {
  it('has vectors to check', () => {
    expect(vectors.length).toBeGreaterThanOrEqual(3);
  });

  for (const v of vectors) {
    describe(v.name, () => {
      const content = buildSignedContent({ origin: v.origin, challenge: v.challenge, certificate });

      it('hashes the certificate like the vector', () => {
        expect(bytesToHex(sha256Bytes(certificate))).toBe(v.certificateSha256);
      });
      it('builds the content byte for byte', () => {
        expect(bytesToHex(content)).toBe(v.signedContentHex);
      });
      it('builds the DigestInfo byte for byte', () => {
        const digestInfo = digestInfoSha256(content);
        expect(bytesToHex(digestInfo)).toBe(v.digestInfoHex);
        expect(isSha256DigestInfo(digestInfo)).toBe(true);
      });
      it('builds the padded block byte for byte and parses it back', () => {
        const block = emsaPkcs1v15(digestInfoSha256(content), 256);
        expect(bytesToHex(block)).toBe(v.paddedBlockHex);
        expect(bytesToHex(parseEmsaPkcs1v15(block)!)).toBe(v.digestInfoHex);
      });
      it('has a token whose signature verifies with ee.pem over our content', () => {
        const decoded = decodeToken(v.token);
        expect(bytesToHex(decoded.certificate)).toBe(bytesToHex(certificate));
        expect(verify('sha256', content, publicKey, decoded.signature)).toBe(true);
        // Raw RSA of the signature gives back exactly our padded block.
        const raw = publicDecrypt({ key: publicKey, padding: constants.RSA_NO_PADDING }, decoded.signature);
        expect(bytesToHex(raw)).toBe(v.paddedBlockHex);
      });
      it('does not verify for another origin or challenge', () => {
        const decoded = decodeToken(v.token);
        const otherOrigin = buildSignedContent({ origin: 'https://evil.example', challenge: v.challenge, certificate });
        const otherChallenge = buildSignedContent({ origin: v.origin, challenge: `${v.challenge}x`, certificate });
        expect(verify('sha256', otherOrigin, publicKey, decoded.signature)).toBe(false);
        expect(verify('sha256', otherChallenge, publicKey, decoded.signature)).toBe(false);
      });
    });
  }
});

describe('EMSA-PKCS1-v1_5 parsing refuses malformed blocks', () => {
  const good = emsaPkcs1v15(digestInfoSha256(new Uint8Array([1, 2, 3])), 256);
  const mutate = (index: number, value: number): Uint8Array => {
    const copy = good.slice();
    copy[index] = value;
    return copy;
  };
  it.each([
    ['leading byte', mutate(0, 0x01)],
    ['block type', mutate(1, 0x02)],
    ['padding byte', mutate(10, 0xfe)],
    ['separator', mutate(256 - 52, 0x01)],
    ['DigestInfo OID', mutate(256 - 51 + 10, 0x00)],
    ['short block', good.subarray(1)],
  ])('%s', (_name, block) => {
    expect(parseEmsaPkcs1v15(block)).toBeUndefined();
  });
  it('refuses a key too short for the DigestInfo', () => {
    expect(() => emsaPkcs1v15(digestInfoSha256(new Uint8Array()), 60)).toThrow(RangeError);
  });
  it('keeps public-key checks honest: the vector key is RSA-2048', () => {
    expect(publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(decodeBase64Strict('AAEC')).toEqual(hexToBytes('000102'));
  });
});
