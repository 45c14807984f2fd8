import { describe, expect, it } from 'vitest';
import {
  DerError,
  decodeBigInteger,
  decodeOid,
  decodeTime,
  integerHex,
  integerKey,
  memoizedDecoder,
  readSingle,
} from '../../../protocol/der.js';

/** The strict DER primitives the certificate and CRL readers stand on. */

const time = (tag: number, text: string): Date => {
  const bytes = Uint8Array.of(tag, text.length, ...new TextEncoder().encode(text));
  return decodeTime(bytes, readSingle(bytes, tag));
};

describe('times (RFC 5280 §4.1.2.5)', () => {
  it('maps UTCTime years 50–99 to 19xx and 00–49 to 20xx; reads GeneralizedTime up to 9999', () => {
    expect(time(0x17, '500101000000Z').toISOString()).toBe('1950-01-01T00:00:00.000Z');
    expect(time(0x17, '491231235959Z').toISOString()).toBe('2049-12-31T23:59:59.000Z');
    expect(time(0x18, '99991231235959Z').toISOString()).toBe('9999-12-31T23:59:59.000Z');
    expect(time(0x18, '00500101000000Z').getUTCFullYear()).toBe(50);
  });

  it('refuses anything but digits, Zulu and real dates', () => {
    for (const [tag, text] of [
      [0x17, '5001010000Z'],
      [0x17, '500101000000+'],
      [0x17, '50010100000aZ'],
      [0x18, '20240230000000Z'],
      [0x18, '20241301000000Z'],
      [0x18, '20240101240000Z'],
    ] as const) {
      expect(() => time(tag, text)).toThrow(DerError);
    }
  });
});

describe('INTEGER', () => {
  it('keys keep the sign; display strips the sign octet; non-minimal encodings are refused', () => {
    expect(integerKey(Uint8Array.of(0x00, 0xff))).toBe('00ff');
    expect(integerKey(Uint8Array.of(0xff))).toBe('ff');
    expect(integerHex(Uint8Array.of(0x00, 0xff))).toBe('ff');
    expect(integerHex(Uint8Array.of(0xff))).toBe('-01');
    expect(decodeBigInteger(Uint8Array.of(0xff, 0x00))).toBe(-256n);
    expect(() => integerKey(Uint8Array.of(0x00, 0x7f))).toThrow(/not minimally encoded/);
    expect(() => integerKey(Uint8Array.of(0xff, 0x80))).toThrow(/not minimally encoded/);
    expect(() => integerKey(new Uint8Array())).toThrow(/empty INTEGER/);
  });
});

describe('caches', () => {
  it('decode OIDs the same from the cache as the first time, and tell apart values of equal hash input length', () => {
    const rsa = Uint8Array.of(0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01);
    expect(decodeOid(rsa)).toBe('1.2.840.113549.1.1.1');
    expect(decodeOid(rsa.slice())).toBe('1.2.840.113549.1.1.1');
    expect(decodeOid(Uint8Array.of(0x55, 0x04, 0x03))).toBe('2.5.4.3');
    expect(decodeOid(Uint8Array.of(0x55, 0x04, 0x06))).toBe('2.5.4.6');
  });

  it('a memoized decoder answers by content and never from a different value', () => {
    let calls = 0;
    const decode = memoizedDecoder((v: Uint8Array) => {
      calls++;
      return v.reduce((a, b) => a + b, 0);
    });
    expect(decode(Uint8Array.of(1, 2, 3))).toBe(6);
    expect(decode(Uint8Array.of(1, 2, 3))).toBe(6);
    expect(calls).toBe(1);
    expect(decode(Uint8Array.of(3, 2, 1))).toBe(6);
    expect(calls).toBe(2);
    const input = Uint8Array.of(9, 9);
    expect(decode(input)).toBe(18);
    input[0] = 1; // the cache kept its own copy
    expect(decode(input)).toBe(10);
  });
});
