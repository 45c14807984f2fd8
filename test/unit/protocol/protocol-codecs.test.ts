import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBase64Strict, decodeBase64UrlStrict, encodeBase64, encodeBase64Url } from '../../../protocol/base64.js';
import { isValidChallenge, isValidPinFormat } from '../../../protocol/challenge.js';
import { errorFromWire, HpkiError } from '../../../protocol/errors.js';
import { assertSecureOrigin, isLoopbackOrigin, isSecureOrigin } from '../../../protocol/origin.js';
import { decodeToken, encodeToken, MAX_TOKEN_BYTES } from '../../../protocol/token.js';

describe('strict base64', () => {
  it('round-trips any bytes like Node does', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const std = encodeBase64(bytes);
        expect(std).toBe(Buffer.from(bytes).toString('base64'));
        expect(decodeBase64Strict(std)).toEqual(bytes);
        const url = encodeBase64Url(bytes);
        expect(url).toBe(Buffer.from(bytes).toString('base64url'));
        expect(decodeBase64UrlStrict(url)).toEqual(bytes);
      }),
    );
  });
  it.each(['QQ', 'QQ=', 'QR==', 'QQ==\n', ' QQ==', 'Q===', 'QQ-_', 'QUJD=', '===='])('refuses %j', (text) => {
    expect(decodeBase64Strict(text)).toBeUndefined();
  });
  it.each(['QR', 'QQ==', 'Q', 'QQ+/'])('base64url refuses %j', (text) => {
    expect(decodeBase64UrlStrict(text)).toBeUndefined();
  });
});

describe('origins (PROTOCOL.md §6)', () => {
  it.each([
    'https://harenet.example.jp',
    'https://example.jp:8443',
    'http://localhost',
    'http://localhost:8787',
    'http://127.0.0.1:3000',
    'http://[::1]:9000',
  ])('accepts %s', (origin) => {
    expect(isSecureOrigin(origin)).toBe(true);
    expect(assertSecureOrigin(origin)).toBe(origin);
  });
  it.each([
    'http://example.jp',
    'http://localhost.evil.example',
    'http://127.0.0.2',
    'https://example.jp/',
    'https://example.jp/path',
    'https://EXAMPLE.jp',
    'https://example.jp:443',
    'ftp://example.jp',
    'chrome-extension://abcdef',
    'null',
    '',
    'https://user@example.jp',
  ])('refuses %s', (origin) => {
    expect(isSecureOrigin(origin)).toBe(false);
    expect(() => assertSecureOrigin(origin)).toThrowError(
      expect.objectContaining({ code: 'ERR_HPKI_INSECURE_ORIGIN' }),
    );
  });
  it('knows loopback', () => {
    expect(isLoopbackOrigin('http://localhost:1')).toBe(true);
    expect(isLoopbackOrigin('https://example.jp')).toBe(false);
  });
});

describe('challenge and PIN formats', () => {
  it('accepts 43–128 base64url characters only', () => {
    expect(isValidChallenge('a'.repeat(43))).toBe(true);
    expect(isValidChallenge('a'.repeat(128))).toBe(true);
    expect(isValidChallenge('a'.repeat(42))).toBe(false);
    expect(isValidChallenge('a'.repeat(129))).toBe(false);
    expect(isValidChallenge(`${'a'.repeat(42)}=`)).toBe(false);
    expect(isValidChallenge(`${'a'.repeat(42)}+`)).toBe(false);
  });
  it('accepts 4–16 printable ASCII PINs only', () => {
    expect(isValidPinFormat('1234')).toBe(true);
    expect(isValidPinFormat('abcdefghijklmnop')).toBe(true);
    expect(isValidPinFormat('123')).toBe(false);
    expect(isValidPinFormat('12345678901234567')).toBe(false);
    expect(isValidPinFormat('12 34')).toBe(false);
    expect(isValidPinFormat('１２３４')).toBe(false);
  });
});

describe('token codec (PROTOCOL.md §4)', () => {
  const parts = {
    certificate: new Uint8Array([0x30, 2, 1, 2]),
    intermediates: [new Uint8Array([0x30, 3])],
    signature: new Uint8Array(256).fill(7),
  };
  const malformed = expect.objectContaining({ code: 'ERR_TOKEN_MALFORMED' });

  it('round-trips', () => {
    const token = encodeToken(parts);
    const decoded = decodeToken(JSON.stringify(token));
    expect(decoded.certificate).toEqual(parts.certificate);
    expect(decoded.intermediates).toEqual(parts.intermediates);
    expect(decoded.signature).toEqual(parts.signature);
    expect(decodeToken(token).token).toEqual(token);
  });
  it('refuses other formats, algorithms, extra fields, loose base64, non-JSON and oversized input', () => {
    const token = encodeToken(parts);
    expect(() => decodeToken({ ...token, format: 'hpki-login:2' })).toThrowError(malformed);
    expect(() => decodeToken({ ...token, algorithm: 'none' })).toThrowError(malformed);
    expect(() => decodeToken({ ...token, algorithm: 'PS256' })).toThrowError(malformed);
    expect(() => decodeToken({ ...token, extra: 1 })).toThrowError(malformed);
    expect(() => decodeToken({ ...token, signature: `${token.signature}\n` })).toThrowError(malformed);
    expect(() => decodeToken({ ...token, certificate: token.certificate.replace(/=+$/, '') })).toThrowError(malformed);
    expect(() => decodeToken('{"format":')).toThrowError(malformed);
    expect(() => decodeToken(null)).toThrowError(malformed);
    expect(() => decodeToken({ ...token, signature: 'A'.repeat(MAX_TOKEN_BYTES) })).toThrowError(malformed);
    expect(() => decodeToken('x'.repeat(MAX_TOKEN_BYTES + 1))).toThrowError(malformed);
  });
  it('bounds a token object by its JSON length, to the byte, as it bounds the JSON text', () => {
    const token = encodeToken(parts);
    const withCertificateOf = (n: number) => ({
      ...token,
      intermediates: [token.intermediates[0]!, 'AAAA'],
      certificate: 'A'.repeat(n),
    });
    // The longest certificate field whose token still fits, stepping by whole base64 groups.
    let n = 4;
    while (JSON.stringify(withCertificateOf(n + 4)).length <= MAX_TOKEN_BYTES) n += 4;
    const fits = withCertificateOf(n);
    const over = withCertificateOf(n + 4);
    expect(JSON.stringify(fits).length).toBeLessThanOrEqual(MAX_TOKEN_BYTES);
    expect(JSON.stringify(over).length).toBeGreaterThan(MAX_TOKEN_BYTES);
    expect(decodeToken(fits).certificate).toHaveLength((n / 4) * 3);
    expect(decodeToken(JSON.stringify(fits)).certificate).toHaveLength((n / 4) * 3);
    expect(() => decodeToken(over)).toThrowError(/larger than/);
    expect(() => decodeToken(JSON.stringify(over))).toThrowError(/larger than/);
  });
});

describe('errors', () => {
  it('carry their code and retries across the wire', () => {
    const wire = new HpkiError('ERR_HPKI_PIN_INCORRECT', 'wrong PIN', { retriesLeft: 14 }).toWire();
    expect(wire).toEqual({ code: 'ERR_HPKI_PIN_INCORRECT', message: 'wrong PIN', retriesLeft: 14 });
    const back = errorFromWire(JSON.parse(JSON.stringify(wire)) as typeof wire);
    expect(back.code).toBe('ERR_HPKI_PIN_INCORRECT');
    expect(back.retriesLeft).toBe(14);
    expect(errorFromWire({ code: 'ERR_NOPE', message: 'x' }).code).toBe('ERR_HPKI_INTERNAL');
  });
});
