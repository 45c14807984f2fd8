import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBase64Strict, decodeBase64UrlStrict, encodeBase64 } from '../../../protocol/base64.js';
import { readShared } from '../../helpers/shared.js';

/**
 * The table decoders against an independent reference: a strict grammar plus Node's Buffer round trip
 * (canonical means re-encoding gives the same text). Same bytes for canonical input, undefined for
 * everything else.
 */

const STD_GRAMMAR = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const URL_GRAMMAR = /^[A-Za-z0-9_-]*$/;

function referenceStd(text: string): number[] | undefined {
  if (!STD_GRAMMAR.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? [...bytes] : undefined;
}

function referenceUrl(text: string): number[] | undefined {
  if (!URL_GRAMMAR.test(text) || text.length % 4 === 1) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? [...bytes] : undefined;
}

const asArray = (b: Uint8Array | undefined): number[] | undefined => (b === undefined ? undefined : [...b]);

describe('strict base64 decoding', () => {
  it('decodes every canonical encoding', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(asArray(decodeBase64Strict(encodeBase64(bytes)))).toEqual([...bytes]);
        expect(asArray(decodeBase64UrlStrict(Buffer.from(bytes).toString('base64url')))).toEqual([...bytes]);
      }),
      { numRuns: 500 },
    );
  });

  it('agrees with the reference on arbitrary strings: stray bits, bad padding, other alphabets, whitespace', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_ \nÄ';
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...alphabet), maxLength: 24 }), (text) => {
        expect(asArray(decodeBase64Strict(text))).toEqual(referenceStd(text));
        expect(asArray(decodeBase64UrlStrict(text))).toEqual(referenceUrl(text));
      }),
      { numRuns: 5000 },
    );
    for (const text of [
      '',
      '=',
      '==',
      '====',
      'A===',
      'AA==',
      'AB==',
      'AAA=',
      'AAB=',
      'AAAA',
      'AA=A',
      'A=AA',
      'QQ==QQ==',
      'QQ',
      ' QQ==',
      'QQ==\n',
      'Q\u0141==',
    ]) {
      expect(asArray(decodeBase64Strict(text))).toEqual(referenceStd(text));
    }
  });

  it('decodes the vector tokens certificate like Node', () => {
    const vectors = JSON.parse(readShared('test-vectors', 'vectors.json')) as {
      vectors: { token: { certificate: string } }[];
    };
    for (const v of vectors.vectors) {
      expect(asArray(decodeBase64Strict(v.token.certificate))).toEqual([...Buffer.from(v.token.certificate, 'base64')]);
    }
  });
});
