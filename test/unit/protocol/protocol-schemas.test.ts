import { createHash, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { dispatch } from '../../../native-host/host/dispatcher.js';
import { HpkiError, isHpkiError, wireErrorSchema } from '../../../protocol/errors.js';
import { parseHostResponse } from '../../../protocol/messages.js';
import { sameOriginPathSchema } from '../../../protocol/origin.js';
import { createCountingBackend } from '../../helpers/counting-backend.js';
import { readSharedPemDer } from '../../helpers/shared.js';

describe('get-certificate tells the extension what to show, so that it parses no certificate', () => {
  it('certificateSha256, issuer and notAfter agree with the certificate, and pass the extension parser', async () => {
    const der = readSharedPemDer('test-vectors', 'ee.pem');
    const answer = await dispatch({ id: 1, command: 'get-certificate' }, async () => createCountingBackend(der));
    const parsed = parseHostResponse('get-certificate', answer);
    if (parsed === undefined || !('result' in parsed)) throw new Error(`not a result: ${JSON.stringify(answer)}`);
    const x509 = new X509Certificate(der);
    expect(parsed.result.certificateSha256).toBe(createHash('sha256').update(der).digest('hex'));
    expect(parsed.result.notAfter).toBe(new Date(x509.validTo).toISOString());
    expect(x509.issuer).toContain(`CN=${parsed.result.issuer}`);
  });

  it('the extension refuses a get-certificate result without them', () => {
    const bare = {
      reader: 'r',
      cardType: 'hpki',
      certificate: 'AAAA',
      intermediates: [],
      holder: { name: 'n', role: 'r' },
      pinRetriesLeft: 15,
      pinMaxRetries: 15,
    };
    expect(parseHostResponse('get-certificate', { id: 1, result: bare })).toBeUndefined();
  });
});

describe('the wire error', () => {
  it('carries retriesLeft exactly on ERR_HPKI_PIN_INCORRECT', () => {
    expect(wireErrorSchema.safeParse({ code: 'ERR_HPKI_PIN_INCORRECT', message: 'm', retriesLeft: 3 }).success).toBe(
      true,
    );
    expect(wireErrorSchema.safeParse({ code: 'ERR_HPKI_PIN_INCORRECT', message: 'm' }).success).toBe(false);
    expect(wireErrorSchema.safeParse({ code: 'ERR_HPKI_NO_CARD', message: 'm', retriesLeft: 3 }).success).toBe(false);
    expect(wireErrorSchema.safeParse({ code: 'ERR_NOT_A_CODE', message: 'm' }).success).toBe(false);
    expect(wireErrorSchema.safeParse({ code: 'ERR_HPKI_NO_CARD', message: 'x'.repeat(1025) }).success).toBe(false);
  });

  it('HpkiError.toWire always follows it, cutting long messages', () => {
    for (const error of [
      new HpkiError('ERR_HPKI_PIN_INCORRECT', 'wrong', { retriesLeft: 2 }),
      new HpkiError('ERR_HPKI_PIN_INCORRECT', 'count unknown'),
      new HpkiError('ERR_HPKI_INTERNAL', 'y'.repeat(5000)),
      new HpkiError('ERR_CERT_REVOKED', 'revoked', { retriesLeft: 5 }),
    ]) {
      expect(wireErrorSchema.safeParse(error.toWire()).success, error.code).toBe(true);
    }
  });

  it('isHpkiError narrows by code for sites', () => {
    const err: unknown = new HpkiError('ERR_HPKI_PIN_INCORRECT', 'wrong', { retriesLeft: 4 });
    expect(isHpkiError(err)).toBe(true);
    expect(isHpkiError(err, 'ERR_HPKI_PIN_BLOCKED')).toBe(false);
    if (!isHpkiError(err, 'ERR_HPKI_PIN_INCORRECT')) throw new Error('expected a wrong-PIN error');
    const left: number = err.retriesLeft;
    expect(left).toBe(4);
    expect(isHpkiError(new Error('plain'))).toBe(false);
  });
});

describe('same-origin paths (descriptor URLs, login redirects): one rule, one bound', () => {
  it('takes a path on this origin, up to 2048 characters', () => {
    expect(sameOriginPathSchema.safeParse('/hpki/login').success).toBe(true);
    expect(sameOriginPathSchema.safeParse(`/${'a'.repeat(2047)}`).success).toBe(true);
    expect(sameOriginPathSchema.safeParse(`/${'a'.repeat(2048)}`).success).toBe(false);
  });

  it('refuses what a browser would read as another origin', () => {
    for (const path of [
      '//evil.example/',
      '/\\evil.example',
      'https://evil.example/',
      'relative',
      '/a b',
      '/a\tb',
      '',
    ]) {
      expect(sameOriginPathSchema.safeParse(path).success, JSON.stringify(path)).toBe(false);
    }
  });
});
