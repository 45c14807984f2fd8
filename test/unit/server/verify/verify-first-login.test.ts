import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeBase64Strict, encodeBase64 } from '../../../../protocol/base64.js';
import type { TestPki } from '../../../../scripts/dev/test-pki.js';
import { createTestPki, makeCrl } from '../../../../scripts/dev/test-pki.js';
import { sha256Hex } from '../../../../server/cert/parsed-certificate.js';
import { createSightingFilter } from '../../../../server/cert/sighting-filter.js';
import { createTrustStore } from '../../../../server/cert/trust-store.js';
import { parseCrl } from '../../../../server/revocation/crl.js';
import { createCertificateValidator } from '../../../../server/verify/certificate-validator.js';
import { nodeBase64Strict } from '../../../../server/verify/node-base64.js';

/**
 * What keeps a first login cheap: the native strict base64 decoder (it must refuse exactly what the
 * pure one refuses), and caches that keep a certificate, and its validation, only from its second
 * sighting on.
 */

const asArray = (b: Uint8Array | undefined): number[] | undefined => (b === undefined ? undefined : [...b]);

describe('native strict base64', () => {
  it('decodes every canonical encoding as the pure decoder does', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(asArray(nodeBase64Strict(encodeBase64(bytes)))).toEqual([...bytes]);
      }),
      { numRuns: 500 },
    );
  });

  it('refuses exactly what the pure decoder refuses: stray bits, bad padding, other alphabets, whitespace', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_ \n\tÄ\u0141';
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...alphabet), maxLength: 24 }), (text) => {
        expect(asArray(nodeBase64Strict(text))).toEqual(asArray(decodeBase64Strict(text)));
      }),
      { numRuns: 5000 },
    );
    for (const text of ['', '=', '==', 'A===', 'AB==', 'AAB=', 'AA=A', 'QQ==QQ==', 'QQ', ' QQ==', 'QQ==\n', 'QQ-_']) {
      expect(asArray(nodeBase64Strict(text))).toEqual(asArray(decodeBase64Strict(text)));
    }
  });
});

describe('sighting filter', () => {
  it('says "seen before" from the second sighting of a hash on, independently per hash', () => {
    const filter = createSightingFilter(16);
    const a = sha256Hex(Uint8Array.of(1));
    const b = sha256Hex(Uint8Array.of(2));
    expect([filter.seenBefore(a), filter.seenBefore(a), filter.seenBefore(a)]).toEqual([false, true, true]);
    expect(filter.seenBefore(b)).toBe(false);
  });

  it('forgets when its slots are reused, which only costs a cache entry', () => {
    const filter = createSightingFilter(1);
    const a = sha256Hex(Uint8Array.of(1));
    const b = sha256Hex(Uint8Array.of(2));
    filter.seenBefore(a);
    filter.seenBefore(b);
    expect(filter.seenBefore(a)).toBe(false);
  });
});

describe('caches keep what comes back', () => {
  let pki: TestPki;
  beforeAll(() => {
    pki = createTestPki({ now: new Date('2030-06-01T00:00:00Z') });
  });

  it('a certificate is parsed from the caller’s bytes when first seen, and kept as a copy from its second sighting', () => {
    const store = createTrustStore({ anchors: [pki.root.certificate] });
    const der = pki.issueEe().certificate;
    const first = store.parse(der);
    expect(first.decoded.der.buffer).toBe(der.buffer);
    expect(store.keeps(first)).toBe(false);
    const second = store.parse(der);
    expect(second).not.toBe(first);
    expect(second.decoded.der.buffer).not.toBe(der.buffer);
    expect(store.keeps(second)).toBe(true);
    expect(store.parse(der)).toBe(second);
  });

  it('a validation is reused only for a certificate seen before', async () => {
    const validator = createCertificateValidator({
      anchors: [pki.root.certificate],
      intermediates: [pki.authCa.certificate],
      revocation: 'off',
    });
    const der = pki.issueEe().certificate;
    const check = { at: pki.now, purpose: 'auth' as const };
    const once = await validator.validate(validator.parse(der), [], check);
    const twice = await validator.validate(validator.parse(der), [], check);
    const thrice = await validator.validate(validator.parse(der), [], check);
    expect([once.error, twice.error]).toEqual([undefined, undefined]);
    expect(twice).not.toBe(once);
    expect(thrice).toBe(twice);
  });

  it('a kept certificate is found by the exact text it came in, decoded only when the text is new', () => {
    const store = createTrustStore({ anchors: [pki.root.certificate], certificateCacheSize: 2 });
    const der = pki.issueEe().certificate;
    const text = encodeBase64(der);
    let decodes = 0;
    const decode = (t: string): Uint8Array | undefined => {
      decodes++;
      return nodeBase64Strict(t);
    };
    const first = store.parseEncoded(text, decode);
    const kept = store.parseEncoded(text, decode);
    expect(first).not.toBe(kept);
    expect(kept !== undefined && store.keeps(kept)).toBe(true);
    expect(decodes).toBe(2);
    // From now on the text finds it: no decoding, no hash.
    expect(store.parseEncoded(text, decode)).toBe(kept);
    expect(decodes).toBe(2);
    // Texts that are not its exact strict encoding are decoded (and refused) as ever.
    expect(store.parseEncoded(`${text.slice(0, -1)}`, decode)).toBeUndefined();
    expect(store.parseEncoded(` ${text}`, decode)).toBeUndefined();
    expect(decodes).toBe(4);
    // Once the cache lets the certificate go, its text no longer answers for it.
    for (let i = 0; i < 2; i++) {
      const other = pki.issueEe().certificate;
      store.parse(other);
      store.parse(other);
    }
    expect(kept !== undefined && store.keeps(kept)).toBe(false);
    const again = store.parseEncoded(text, decode);
    expect(again).not.toBe(kept);
    expect(again?.sha256).toBe(kept?.sha256);
    expect(decodes).toBe(5);
  });

  it('a validation is answered without a promise when nothing is to be waited for', async () => {
    const crl = makeCrl({
      issuer: pki.authCa.name,
      signingKey: pki.authCa.key,
      thisUpdate: new Date(pki.now.getTime() - 1000),
      nextUpdate: new Date(pki.now.getTime() + 86_400_000),
    });
    const validator = createCertificateValidator({
      anchors: [pki.root.certificate],
      intermediates: [pki.authCa.certificate],
      crls: [crl],
    });
    const der = pki.issueEe().certificate;
    const check = { at: pki.now, purpose: 'auth' as const };
    // A first login with the CRL in hand: path and revocation at once.
    const first = validator.validateNow(validator.parse(der), [], check);
    expect(first).not.toBeInstanceOf(Promise);
    expect(first instanceof Promise ? undefined : first.revocation?.status).toBe('good');
    const kept = validator.parse(der);
    const second = validator.validateNow(kept, [], check);
    expect(validator.validateNow(kept, [], check)).toBe(second);
    expect(await validator.validate(kept, [], check)).toBe(second);
    // A CRL to fetch makes it a promise, with the same answer.
    const fetching = createCertificateValidator({
      anchors: [pki.root.certificate],
      intermediates: [pki.authCa.certificate],
      revocation: 'soft-fail',
      fetchCrls: true,
      crlFetcher: {
        get: async () => parseCrl(crl),
        refreshDue: async () => undefined,
        startSchedule: () => () => undefined,
        cachedUrls: [],
      },
    });
    const withDp = pki.issueEe({ crlUri: 'http://crl.example.jp/auth.crl' }).certificate;
    const later = fetching.validateNow(fetching.parse(withDp), [], check);
    expect(later).toBeInstanceOf(Promise);
    expect((await later).revocation?.status).toBe('good');
  });
});
