import { beforeAll, describe, expect, it } from 'vitest';
import { der, encodeName, ext, OID } from '../../../../scripts/dev/test-pki.js';
import type { RawCertificate, RulePki } from '../../../helpers/rule-pki.js';
import {
  createRulePki,
  generalized,
  rawCertificate,
  rsaSha256,
  utc,
  withExtension,
} from '../../../helpers/rule-pki.js';

/**
 * One test per certificate rule of RFC 5280 §4 in docs/rfc5280.md: a certificate that breaks
 * exactly that rule (or, for a rule the verifier deliberately does not enforce, one that shows
 * it is accepted). Rules PKITS already breaks are tested in pkits.test.ts.
 */

let r: RulePki;
beforeAll(() => {
  r = createRulePki();
});

const text = new TextEncoder();
const untrusted = (section: string): RegExp =>
  new RegExp(`^ERR_CERT_UNTRUSTED: .*RFC 5280 §${section.replace(/\./g, '\\.')}:`);
const malformed = /^ERR_TOKEN_MALFORMED: /;
type Edit = (spec: RawCertificate) => RawCertificate;
const eeExt =
  (oid: string, replacement: Uint8Array | undefined): Edit =>
  (s) => ({ ...s, extensions: withExtension(s.extensions ?? [], oid, replacement) });
const san = (...names: Uint8Array[]): Uint8Array => ext.make('2.5.29.17', false, der.seq(...names));
const ncExt = (permitted: Uint8Array[], excluded: Uint8Array[] = [], critical = true): Uint8Array =>
  ext.make(
    '2.5.29.30',
    critical,
    der.seq(
      ...(permitted.length ? [der.tlv(0xa0, ...permitted.map((b) => der.seq(b)))] : []),
      ...(excluded.length ? [der.tlv(0xa1, ...excluded.map((b) => der.seq(b)))] : []),
    ),
  );

describe('the base certificates', () => {
  it('a sound end entity and a sound CA path validate (every test below changes one thing)', async () => {
    expect(await r.outcome(r.ee())).toBe('valid');
    const [below, ca] = r.caPath();
    expect(await r.outcome(below, [ca])).toBe('valid');
  });
});

describe('§4.1 basic fields', () => {
  it('§4.1 DER: trailing bytes, indefinite or non-minimal lengths → malformed', async () => {
    const good = r.ee();
    expect(await r.outcome(Uint8Array.of(...good, 0))).toMatch(malformed);
    const longForm = Uint8Array.from([0x30, 0x83, 0, good[2]!, good[3]!, ...good.subarray(4)]);
    expect(await r.outcome(longForm)).toMatch(malformed);
  });

  it('§4.1.1.2 signatureAlgorithm must equal tbsCertificate.signature → malformed', async () => {
    expect(
      await r.outcome(r.ee((s) => ({ ...s, outerAlgorithm: der.seq(der.oid('1.2.840.113549.1.1.12'), der.null()) }))),
    ).toMatch(/inner and outer signature algorithms differ/);
    expect(await r.outcome(r.ee((s) => ({ ...s, outerAlgorithm: der.seq(der.oid('1.2.840.113549.1.1.11')) })))).toMatch(
      /inner and outer signature algorithms differ/,
    );
  });

  it('§4.1.1.3 signatureValue with unused bits → malformed', async () => {
    expect(await r.outcome(r.ee((s) => ({ ...s, unusedBits: 1 })))).toMatch(/BIT STRING with unused bits/);
  });

  it('§4.1.2.1 version other than v1–v3 → malformed', async () => {
    expect(await r.outcome(r.ee((s) => ({ ...s, version: 3 })))).toMatch(/bad version/);
  });

  it('§4.1.2.2 serial numbers up to 20 octets are handled, longer ones refused', async () => {
    expect(await r.outcome(r.ee((s) => ({ ...s, serial: der.int('7f'.padEnd(40, '1')) })))).toBe('valid');
    expect(await r.outcome(r.ee((s) => ({ ...s, serial: der.int('7f'.padEnd(44, '1')) })))).toMatch(
      /serial number too long/,
    );
  });

  it('§4.1.2.2 (not enforced) a negative serial is accepted, and compared with its sign', async () => {
    const negative = r.ee((s) => ({ ...s, serial: der.tlv(0x02, Uint8Array.of(0xff)) }));
    const positive = r.ee((s) => ({ ...s, serial: der.tlv(0x02, Uint8Array.of(0x00, 0xff)) }));
    const crls = [r.crl({ revoked: [{ serial: 'ff', date: r.pki.now }] })];
    expect(await r.outcome(negative, [], { crls, revocation: 'fail-closed' })).toBe('valid');
    expect(await r.outcome(positive, [], { crls, revocation: 'fail-closed' })).toMatch(/^ERR_CERT_REVOKED/);
  });

  it('§4.1.2.2 a serial number of zero → not used; its twin with serial 1 is', async () => {
    expect(await r.outcome(r.ee((s) => ({ ...s, serial: der.tlv(0x02, Uint8Array.of(0)) })))).toMatch(
      untrusted('4.1.2.2'),
    );
    expect(await r.outcome(r.ee((s) => ({ ...s, serial: der.tlv(0x02, Uint8Array.of(1)) })))).toBe('valid');
    const [below, ca] = r.caPath((s) => ({ ...s, serial: der.tlv(0x02, Uint8Array.of(0)) }));
    expect(await r.outcome(below, [ca])).toMatch(untrusted('4.1.2.2'));
  });

  it('§4.1.2.2 a non-minimal serial INTEGER is not DER → malformed', async () => {
    expect(await r.outcome(r.ee((s) => ({ ...s, serial: der.tlv(0x02, Uint8Array.of(0x00, 0x05)) })))).toMatch(
      /INTEGER not minimally encoded/,
    );
  });

  it('§4.1.2.4 an empty issuer name → not used', async () => {
    const [below, ca] = r.caPath((s) => ({ ...s, issuer: der.seq() }));
    expect(await r.outcome(below, [ca])).toMatch(/no issuer found|empty issuer/);
    expect(await r.outcome(r.ee((s) => ({ ...s, issuer: der.seq() })))).toMatch(untrusted('4.1.2.4'));
  });

  it('§4.1.2.4 (not enforced) legacy string types chain by §7.1 comparison', async () => {
    const bmp = der.seq(
      der.set(der.seq(der.oid(OID.c), der.printable('JP'))),
      der.set(der.seq(der.oid(OID.o), der.tlv(0x1e, Buffer.from('Test Medical Association', 'utf16le').swap16()))),
      der.set(
        der.seq(der.oid(OID.cn), der.tlv(0x14, text.encode('HPKI-01-TestAuthCA-forAuthentication-forIndividual'))),
      ),
    );
    expect(await r.outcome(r.ee((s) => ({ ...s, issuer: bmp })))).toBe('valid');
  });

  it('§4.1.2.5 times must be Zulu with seconds and no fractions → malformed', async () => {
    for (const bad of [
      utc('3001010000Z'),
      utc('300101000000+0900'),
      generalized('20300101000000.5Z'),
      utc('300230000000Z'),
    ]) {
      expect(await r.outcome(r.ee((s) => ({ ...s, notBefore: bad })))).toMatch(malformed);
    }
  });

  it('§4.1.2.5 (not enforced) GeneralizedTime before 2050 is accepted', async () => {
    expect(await r.outcome(r.ee((s) => ({ ...s, notBefore: generalized('20200101000000Z') })))).toBe('valid');
  });

  it('§4.1.2.5 the validity period includes notBefore and notAfter themselves', async () => {
    const at = r.pki.now;
    const edge = r.ee((s) => ({ ...s, notBefore: der.time(at), notAfter: der.time(at) }));
    expect(await r.outcome(edge)).toBe('valid');
    const before = r.ee((s) => ({ ...s, notAfter: der.time(new Date(at.getTime() - 1000)) }));
    expect(await r.outcome(before)).toMatch(/^ERR_CERT_EXPIRED/);
  });

  it('§4.1.2.6 a CA with an empty subject → not used', async () => {
    const [, ca] = r.caPath((s) => ({
      ...s,
      subject: der.seq(),
      extensions: [...(s.extensions ?? []), san(der.tlv(0x82, text.encode('ca.example.jp')))],
    }));
    const below = r.ee((s) => ({ ...s, issuer: der.seq(), signingKey: r.caKey }));
    expect(await r.outcome(below, [ca])).toMatch(/ERR_CERT_UNTRUSTED/);
    expect(await r.outcome(ca)).toMatch(untrusted('4.1.2.6'));
  });

  it('§4.1.2.6 an empty subject needs a critical subjectAltName', async () => {
    const name = der.tlv(0x81, text.encode('kisoku@example.jp'));
    expect(
      await r.outcome(r.ee((s) => ({ ...s, subject: der.seq(), extensions: [...(s.extensions ?? []), san(name)] }))),
    ).toMatch(untrusted('4.1.2.6'));
    expect(
      await r.outcome(
        r.ee((s) => ({
          ...s,
          subject: der.seq(),
          extensions: [...(s.extensions ?? []), ext.make('2.5.29.17', true, der.seq(name))],
        })),
      ),
    ).toBe('valid');
  });

  it('§4.1.2.7 an rsaEncryption key without NULL parameters (RFC 3279) → not used', async () => {
    const jwk = r.pki.eeKey.publicKey.export({ format: 'jwk' });
    const rsaKey = der.seq(der.int(Buffer.from(jwk.n ?? '', 'base64url').toString('hex')), der.int(65537));
    const noNull = { ...r.pki.eeKey, spki: der.seq(der.seq(der.oid(OID.rsa)), der.bitString(rsaKey)) };
    expect(await r.outcome(r.ee((s) => ({ ...s, subjectKey: noNull })))).toMatch(/RSA key parameters are not NULL/);
  });

  it('§4.1.2.8 unique identifiers in a v1 certificate → malformed', async () => {
    expect(
      await r.outcome(
        r.ee((s) => ({ ...s, version: 0, extensions: undefined, uniqueIds: [der.tlv(0x81, Uint8Array.of(0, 1))] })),
      ),
    ).toMatch(/unique identifiers need version 2 or 3/);
  });

  it('§4.1.2.9 extensions only in v3, and never an empty list → malformed', async () => {
    expect(await r.outcome(r.ee((s) => ({ ...s, version: 1 })))).toMatch(/extensions need version 3/);
    expect(await r.outcome(r.ee((s) => ({ ...s, extensions: [] })))).toMatch(/extensions: empty list/);
  });
});

describe('§4.2 extensions in general', () => {
  it('§4.2 an unrecognized critical extension → not used; a non-critical one is ignored', async () => {
    expect(await r.outcome(r.ee(eeExt('1.2.3.4', ext.make('1.2.3.4', true, der.null()))))).toMatch(
      /unsupported critical extension 1\.2\.3\.4/,
    );
    expect(await r.outcome(r.ee(eeExt('1.2.3.4', ext.make('1.2.3.4', false, der.null()))))).toBe('valid');
  });

  it('§4.2 the same extension twice → malformed', async () => {
    expect(await r.outcome(r.ee((s) => ({ ...s, extensions: [...(s.extensions ?? []), ext.keyUsage([0])] })))).toMatch(
      /duplicate extension 2\.5\.29\.15/,
    );
  });

  it('§4.2 a recognized extension that does not decode is processed, so refused even when not critical', async () => {
    expect(await r.outcome(r.ee(eeExt('2.5.29.31', ext.make('2.5.29.31', false, der.seq(der.null())))))).toMatch(
      /extension 2\.5\.29\.31 is malformed/,
    );
  });

  it('§4.2 (DER) critical FALSE written out, or a BOOLEAN other than 00/FF → malformed', async () => {
    const explicitFalse = der.seq(
      der.oid('2.5.29.15'),
      der.bool(false),
      der.octet(der.bitString(Uint8Array.of(0x80), 7)),
    );
    expect(await r.outcome(r.ee(eeExt('2.5.29.15', explicitFalse)))).toMatch(/DEFAULT critical FALSE/);
    const oddTrue = der.seq(
      der.oid('2.5.29.15'),
      der.tlv(0x01, Uint8Array.of(1)),
      der.octet(der.bitString(Uint8Array.of(0x80), 7)),
    );
    expect(await r.outcome(r.ee(eeExt('2.5.29.15', oddTrue)))).toMatch(/bad BOOLEAN/);
  });
});

describe('§4.2.1 standard extensions', () => {
  it('§4.2.1.1 authorityKeyIdentifier marked critical → not used', async () => {
    expect(
      await r.outcome(
        r.ee(eeExt('2.5.29.35', ext.make('2.5.29.35', true, der.seq(der.implicit(0, r.pki.authCa.key.keyId))))),
      ),
    ).toMatch(untrusted('4.2.1.1'));
  });

  it('§4.2.1.1 no keyIdentifier in a certificate that is not self-issued → not used', async () => {
    expect(await r.outcome(r.ee(eeExt('2.5.29.35', undefined)))).toMatch(untrusted('4.2.1.1'));
  });

  it('§4.2.1.2 subjectKeyIdentifier marked critical → not used', async () => {
    expect(
      await r.outcome(r.ee(eeExt('2.5.29.14', ext.make('2.5.29.14', true, der.octet(r.pki.eeKey.keyId))))),
    ).toMatch(untrusted('4.2.1.2'));
  });

  it('§4.2.1.2 a CA certificate without subjectKeyIdentifier → not used', async () => {
    const [below, ca] = r.caPath(eeExt('2.5.29.14', undefined));
    expect(await r.outcome(below, [ca])).toMatch(untrusted('4.2.1.2'));
  });

  it('§4.2.1.3 a CA whose key verifies certificates must have keyUsage', async () => {
    const [below, ca] = r.caPath(eeExt('2.5.29.15', undefined));
    expect(await r.outcome(below, [ca])).toMatch(/has no keyUsage \(RFC 5280 §4\.2\.1\.3/);
  });

  it('§4.2.1.3 keyUsage with no bit set → not used', async () => {
    expect(
      await r.outcome(r.ee(eeExt('2.5.29.15', ext.make('2.5.29.15', true, der.bitString(new Uint8Array(), 0))))),
    ).toMatch(untrusted('4.2.1.3'));
  });

  it('§4.2.1.3 keyCertSign without the cA flag → not used', async () => {
    expect(await r.outcome(r.ee(eeExt('2.5.29.15', ext.keyUsage([0, 5]))))).toMatch(untrusted('4.2.1.9'));
  });

  it('§4.2.1.4 a policy OID twice → not used', async () => {
    expect(await r.outcome(r.ee(eeExt('2.5.29.32', ext.policies([OID.authEePolicy, OID.authEePolicy]))))).toMatch(
      untrusted('4.2.1.4'),
    );
  });

  it('§4.2.1.4 a critical certificatePolicies with a qualifier that cannot be interpreted → not used; CPS qualifiers are fine', async () => {
    const withQualifier = (id: string, critical: boolean, policy: string = OID.authEePolicy): Uint8Array =>
      ext.make(
        '2.5.29.32',
        critical,
        der.seq(der.seq(der.oid(policy), der.seq(der.seq(der.oid(id), der.ia5('https://ca.example.jp/cps'))))),
      );
    expect(await r.outcome(r.ee(eeExt('2.5.29.32', withQualifier('1.2.3.4.5', true))))).toMatch(untrusted('4.2.1.4'));
    expect(await r.outcome(r.ee(eeExt('2.5.29.32', withQualifier('1.3.6.1.5.5.7.2.1', true))))).toBe('valid');
    expect(await r.outcome(r.ee(eeExt('2.5.29.32', withQualifier('1.2.3.4.5', false))))).toBe('valid');
    const [below, ca] = r.caPath(eeExt('2.5.29.32', withQualifier('1.2.3.4.5', false, '2.5.29.32.0')));
    expect(await r.outcome(below, [ca])).toMatch(untrusted('4.2.1.4'));
  });

  it('§4.2.1.5 anyPolicy mapped → not used', async () => {
    const mapping = ext.make('2.5.29.33', true, der.seq(der.seq(der.oid('2.5.29.32.0'), der.oid(OID.authEePolicy))));
    const [below, ca] = r.caPath((s) => ({ ...s, extensions: [...(s.extensions ?? []), mapping] }));
    expect(await r.outcome(below, [ca])).toMatch(untrusted('4.2.1.5'));
    const sound = ext.make('2.5.29.33', true, der.seq(der.seq(der.oid(OID.authCaPolicy), der.oid(OID.authEePolicy))));
    const [below2, ca2] = r.caPath((s) => ({ ...s, extensions: [...(s.extensions ?? []), sound] }));
    expect(await r.outcome(below2, [ca2])).toBe('valid');
  });

  it('§4.2.1.6 an empty subjectAltName → malformed', async () => {
    expect(await r.outcome(r.ee(eeExt('2.5.29.17', san())))).toMatch(
      /^ERR_TOKEN_MALFORMED: certificate subjectAltName extension is malformed/,
    );
  });

  it.each([
    ['an empty rfc822Name', der.tlv(0x81, new Uint8Array())],
    ['an empty dNSName', der.tlv(0x82, new Uint8Array())],
    ['dNSName " "', der.tlv(0x82, text.encode(' '))],
    ['a dNSName with a leading period', der.tlv(0x82, text.encode('.kisoku.example.jp'))],
    ['a dNSName with an empty label', der.tlv(0x82, text.encode('kisoku..example.jp'))],
    ['a dNSName with a label ending in a hyphen', der.tlv(0x82, text.encode('kisoku-.example.jp'))],
    ['a dNSName with an underscore', der.tlv(0x82, text.encode('_kisoku.example.jp'))],
    ['a dNSName with a space inside', der.tlv(0x82, text.encode('kisoku taro.example.jp'))],
    ['a dNSName with a wildcard not leftmost', der.tlv(0x82, text.encode('kisoku.*.example.jp'))],
    ['a dNSName longer than 253 octets', der.tlv(0x82, text.encode(Array(5).fill('a'.repeat(60)).join('.')))],
    ['a relative URI', der.tlv(0x86, text.encode('/crl/ca.crl'))],
    ['a URI whose host is not a domain name', der.tlv(0x86, text.encode('https://kisoku_taro.example.jp/'))],
    ['a URI with an authority but no host', der.tlv(0x86, text.encode('file:///etc/hosts'))],
    ['an empty directoryName', der.explicit(4, der.seq())],
    ['an rfc822Name that is not a mailbox', der.tlv(0x81, text.encode('Kisoku Taro <kisoku@example.jp>'))],
    ['a 5-octet iPAddress', der.tlv(0x87, Uint8Array.of(192, 0, 2, 1, 0))],
  ])('§4.2.1.6 subjectAltName with %s → not used', async (_what, name) => {
    expect(await r.outcome(r.ee(eeExt('2.5.29.17', san(name))))).toMatch(untrusted('4.2.1.6'));
  });

  it('§4.2.1.6 well-formed alternative names of every form are accepted', async () => {
    const names = [
      der.tlv(0x81, text.encode('kisoku@example.jp')),
      der.tlv(0x82, text.encode('kisoku.example.jp')),
      der.tlv(0x82, text.encode('*.kisoku.example.jp')),
      der.tlv(0x82, text.encode('1-2.example.jp')),
      der.tlv(0x86, text.encode('https://kisoku.example.jp/')),
      der.tlv(0x86, text.encode('https://user@192.0.2.1:8443/path')),
      der.tlv(0x86, text.encode('https://[2001:db8::1]/')),
      der.tlv(0x86, text.encode('urn:oid:1.2.392.100495')),
      der.tlv(0x87, Uint8Array.of(192, 0, 2, 1)),
      der.explicit(4, r.eeName),
    ];
    expect(await r.outcome(r.ee(eeExt('2.5.29.17', san(...names))))).toBe('valid');
  });

  it('§4.2.1.7 issuerAltName follows the same rules', async () => {
    expect(
      await r.outcome(r.ee(eeExt('2.5.29.18', ext.make('2.5.29.18', false, der.seq(der.tlv(0x82, new Uint8Array())))))),
    ).toMatch(untrusted('4.2.1.7'));
  });

  it('§4.2.1.8 subjectDirectoryAttributes marked critical → not used', async () => {
    expect(
      await r.outcome(r.ee(eeExt('2.5.29.9', ext.make('2.5.29.9', true, ext.hcRoleValue(['Medical Doctor']))))),
    ).toMatch(untrusted('4.2.1.8'));
  });

  it('§4.2.1.9 pathLenConstraint without keyCertSign → not used', async () => {
    const [below, ca] = r.caPath(eeExt('2.5.29.19', ext.basicConstraints(true, 0)));
    expect(await r.outcome(below, [ca])).toBe('valid');
    const [below2, ca2] = r.caPath((s) => ({
      ...s,
      extensions: withExtension(
        withExtension(s.extensions ?? [], '2.5.29.19', ext.basicConstraints(true, 0)),
        '2.5.29.15',
        ext.keyUsage([6]),
      ),
    }));
    expect(await r.outcome(ca2)).toMatch(untrusted('4.2.1.9'));
    expect(await r.outcome(below2, [ca2])).toMatch(/ERR_CERT_UNTRUSTED/);
  });

  it('§4.2.1.9 a negative pathLenConstraint → malformed', async () => {
    const negative = ext.make('2.5.29.19', true, der.seq(der.bool(true), der.tlv(0x02, Uint8Array.of(0xff))));
    const [below, ca] = r.caPath(eeExt('2.5.29.19', negative));
    expect(await r.outcome(below, [ca])).toMatch(malformed);
  });

  it('§4.2.1.9 (not enforced for intermediates, PKITS 4.6.4) an intermediate CA whose basicConstraints is not critical is used', async () => {
    const [below, ca] = r.caPath(eeExt('2.5.29.19', ext.basicConstraints(true, undefined, false)));
    expect(await r.outcome(below, [ca])).toBe('valid');
  });

  it('§4.2.1.9 a trust anchor whose basicConstraints is not critical → no path ends at it', async () => {
    const root = (critical: boolean) =>
      rawCertificate(
        {
          issuer: r.pki.root.name,
          subject: r.pki.root.name,
          subjectKey: r.pki.root.key,
          signingKey: r.pki.root.key,
          serial: der.int(1),
          extensions: [
            ext.basicConstraints(true, undefined, critical),
            ext.keyUsage([5, 6]),
            ext.ski(r.pki.root.key.keyId),
          ],
        },
        r.pki.now,
      );
    expect(await r.outcome(r.ee(), [], { anchors: [root(false)] })).toMatch(untrusted('4.2.1.9'));
    expect(await r.outcome(r.ee(), [], { anchors: [root(true)] })).toBe('valid');
  });

  it('§4.2.1.10 name constraints in an end entity → not used', async () => {
    expect(
      await r.outcome(
        r.ee((s) => ({ ...s, extensions: [...(s.extensions ?? []), ncExt([der.explicit(4, r.eeName)])] })),
      ),
    ).toMatch(untrusted('4.2.1.10'));
  });

  it('§4.2.1.10 empty name constraints, or a minimum or maximum → not used', async () => {
    const [below, ca] = r.caPath((s) => ({
      ...s,
      extensions: [...(s.extensions ?? []), ext.make('2.5.29.30', true, der.seq())],
    }));
    expect(await r.outcome(below, [ca])).toMatch(untrusted('4.2.1.10'));
    const withMax = ext.make(
      '2.5.29.30',
      true,
      der.seq(der.tlv(0xa0, der.seq(der.tlv(0x82, text.encode('example.jp')), der.implicit(1, Uint8Array.of(2))))),
    );
    const [below2, ca2] = r.caPath((s) => ({ ...s, extensions: [...(s.extensions ?? []), withMax] }));
    expect(await r.outcome(below2, [ca2])).toMatch(untrusted('4.2.1.10'));
  });

  it('§4.2.1.10 a URI constraint that is not a host or domain, an iPAddress constraint that is not address and mask → not used', async () => {
    for (const base of [
      der.tlv(0x86, text.encode('https://example.jp/')),
      der.tlv(0x87, Uint8Array.of(192, 0, 2, 0)),
    ]) {
      const [below, ca] = r.caPath((s) => ({ ...s, extensions: [...(s.extensions ?? []), ncExt([base])] }));
      expect(await r.outcome(below, [ca])).toMatch(untrusted('4.2.1.10'));
    }
  });

  it('§4.2.1.10 name constraints not marked critical → not used; the critical twin binds', async () => {
    const japan = der.explicit(4, encodeName([[OID.c, 'JP']]));
    const other = der.explicit(
      4,
      encodeName([
        [OID.c, 'JP'],
        [OID.o, 'Elsewhere'],
      ]),
    );
    const withNc = (permitted: Uint8Array, critical: boolean) =>
      r.caPath((s) => ({ ...s, extensions: [...(s.extensions ?? []), ncExt([permitted], [], critical)] }));
    const [below, ca] = withNc(japan, false);
    expect(await r.outcome(below, [ca])).toMatch(untrusted('4.2.1.10'));
    const [below2, ca2] = withNc(japan, true);
    expect(await r.outcome(below2, [ca2])).toBe('valid');
    const [below3, ca3] = withNc(other, true);
    expect(await r.outcome(below3, [ca3])).toMatch(/outside the permitted subtrees/);
  });

  it.each([
    ['a leading period', '.example.jp'],
    ['an empty label', 'kisoku..example.jp'],
    ['an underscore', 'exa_mple.jp'],
    ['a label starting with a hyphen', '-example.jp'],
    ['a label of 64 octets', `${'a'.repeat(64)}.jp`],
    ['a trailing period', 'example.jp.'],
    ['a wildcard', '*.example.jp'],
    ['nothing', ''],
  ])('§4.2.1.10 a DNS name constraint with %s is not a DNS name → not used', async (_what, value) => {
    const [below, ca] = r.caPath((s) => ({
      ...s,
      extensions: [...(s.extensions ?? []), ncExt([der.tlv(0x82, text.encode(value))])],
    }));
    expect(await r.outcome(below, [ca])).toMatch(untrusted('4.2.1.10'));
  });

  it('§4.2.1.10 DNS constraints: the valid twin, names below it, and a wildcard reaching into an excluded subtree', async () => {
    const dnsSan = (name: string) =>
      withExtension(r.eeExtensions(), '2.5.29.17', san(der.tlv(0x82, text.encode(name))));
    const ca = (permitted: string[], excluded: string[] = []) =>
      r.caPath((s) => ({
        ...s,
        extensions: [
          ...(s.extensions ?? []),
          ncExt(
            permitted.map((d) => der.tlv(0x82, text.encode(d))),
            excluded.map((d) => der.tlv(0x82, text.encode(d))),
          ),
        ],
      }))[1];
    const below = (name: string) =>
      rawCertificate(
        {
          issuer: r.caName,
          subject: r.eeName,
          subjectKey: r.pki.eeKey,
          signingKey: r.caKey,
          extensions: withExtension(dnsSan(name), '2.5.29.35', ext.aki(r.caKey.keyId)),
        },
        r.pki.now,
      );
    const permitted = ca(['a-1.example.jp']);
    expect(await r.outcome(below('a-1.example.jp'), [permitted])).toBe('valid');
    expect(await r.outcome(below('kisoku.A-1.Example.JP'), [permitted])).toBe('valid');
    expect(await r.outcome(below('xa-1.example.jp'), [permitted])).toMatch(/outside the permitted subtrees/);
    const excluding = ca([], ['secret.example.jp']);
    expect(await r.outcome(below('open.example.jp'), [excluding])).toBe('valid');
    expect(await r.outcome(below('*.example.jp'), [excluding])).toMatch(/in an excluded subtree/);
  });

  it('§4.2.1.10 iPAddress constraints, and a URI without a host under a URI constraint', async () => {
    const addIp = (permitted: Uint8Array[], excluded: Uint8Array[]) =>
      r.caPath((s) => ({ ...s, extensions: [...(s.extensions ?? []), ncExt(permitted, excluded)] }));
    const ipName = san(der.tlv(0x87, Uint8Array.of(192, 0, 2, 7)));
    const [, ca] = addIp([der.tlv(0x87, Uint8Array.of(192, 0, 2, 0, 255, 255, 255, 0))], []);
    const below = (name: Uint8Array) =>
      r.ee((s) => ({
        ...s,
        issuer: r.caName,
        signingKey: r.caKey,
        extensions: [...withExtension(s.extensions ?? [], '2.5.29.35', ext.aki(r.caKey.keyId)), name],
      }));
    expect(await r.outcome(below(ipName), [ca])).toBe('valid');
    const [, caExcl] = addIp([], [der.tlv(0x87, Uint8Array.of(192, 0, 2, 0, 255, 255, 255, 0))]);
    expect(await r.outcome(below(ipName), [caExcl])).toMatch(/in an excluded subtree/);
    const [, caUri] = addIp([der.tlv(0x86, text.encode('.example.jp'))], []);
    expect(await r.outcome(below(san(der.tlv(0x86, text.encode('urn:example:kisoku')))), [caUri])).toMatch(
      /cannot be checked against the name constraints/,
    );
  });

  it('§4.2.1.10 a constraint on a form this verifier cannot match refuses certificates with a name of that form', async () => {
    const otherName = der.tlv(0xa0, der.oid('1.3.6.1.4.1.311.20.2.3'), der.explicit(0, der.utf8('kisoku@example.jp')));
    const [, ca] = r.caPath((s) => ({ ...s, extensions: [...(s.extensions ?? []), ncExt([otherName])] }));
    const below = (extra: Uint8Array[]) =>
      r.ee((s) => ({
        ...s,
        issuer: r.caName,
        signingKey: r.caKey,
        extensions: [...withExtension(s.extensions ?? [], '2.5.29.35', ext.aki(r.caKey.keyId)), ...extra],
      }));
    expect(await r.outcome(below([]), [ca])).toBe('valid');
    expect(await r.outcome(below([san(otherName)]), [ca])).toMatch(
      /otherName name under a constraint this verifier cannot process/,
    );
  });

  it('§4.2.1.10 rfc822 constraints apply to a legacy emailAddress when there is no subjectAltName', async () => {
    const [, ca] = r.caPath((s) => ({
      ...s,
      extensions: [...(s.extensions ?? []), ncExt([der.tlv(0x81, text.encode('example.jp'))])],
    }));
    const emailSubject = der.seq(
      der.set(der.seq(der.oid(OID.cn), der.printable('Kisoku Taro'))),
      der.set(der.seq(der.oid('1.2.840.113549.1.9.1'), der.ia5('kisoku@elsewhere.example'))),
    );
    const below = r.ee((s) => ({
      ...s,
      subject: emailSubject,
      issuer: r.caName,
      signingKey: r.caKey,
      extensions: withExtension(s.extensions ?? [], '2.5.29.35', ext.aki(r.caKey.keyId)),
    }));
    expect(await r.outcome(below, [ca])).toMatch(
      /rfc822Name kisoku@elsewhere\.example is outside the permitted subtrees/,
    );
  });

  it('§4.2.1.11 policy constraints → not used (no policy processing to honour them)', async () => {
    const pc = ext.make('2.5.29.36', true, der.seq(der.implicit(0, Uint8Array.of(0))));
    const [below, ca] = r.caPath((s) => ({ ...s, extensions: [...(s.extensions ?? []), pc] }));
    expect(await r.outcome(below, [ca])).toMatch(untrusted('4.2.1.11'));
  });

  it('§4.2.1.12 with extendedKeyUsage, the certificate is used only for a purpose it lists', async () => {
    const eku = (...oids: string[]) => ext.make('2.5.29.37', false, der.seq(...oids.map((o) => der.oid(o))));
    expect(await r.outcome(r.ee(eeExt('2.5.29.37', eku('1.3.6.1.5.5.7.3.1'))), [], { purpose: 'auth' })).toMatch(
      /^ERR_CERT_PURPOSE: .*extended key usage/,
    );
    expect(await r.outcome(r.ee(eeExt('2.5.29.37', eku('1.3.6.1.5.5.7.3.2'))), [], { purpose: 'auth' })).toBe('valid');
    expect(await r.outcome(r.ee(eeExt('2.5.29.37', eku('2.5.29.37.0'))), [], { purpose: 'auth' })).toBe('valid');
  });

  it('§4.2.1.13 a distribution point with reasons only → not used', async () => {
    const reasonsOnly = ext.make('2.5.29.31', false, der.seq(der.seq(der.tlv(0x81, Uint8Array.of(6, 0x40)))));
    expect(await r.outcome(r.ee(eeExt('2.5.29.31', reasonsOnly)))).toMatch(untrusted('4.2.1.13'));
  });

  it('§4.2.1.13 nameRelativeToCRLIssuer with two cRLIssuer names → not used', async () => {
    const rdn = der.tlv(0xa1, der.seq(der.oid(OID.cn), der.printable('CRL1')));
    const dp = der.seq(
      der.explicit(0, rdn),
      der.tlv(0xa2, der.explicit(4, r.pki.root.name), der.explicit(4, r.pki.authCa.name)),
    );
    expect(await r.outcome(r.ee(eeExt('2.5.29.31', ext.make('2.5.29.31', false, der.seq(dp)))))).toMatch(
      untrusted('4.2.1.13'),
    );
  });

  it('§4.2.1.14 inhibitAnyPolicy not critical → not used', async () => {
    const [below, ca] = r.caPath((s) => ({
      ...s,
      extensions: [...(s.extensions ?? []), ext.make('2.5.29.54', false, der.int(0))],
    }));
    expect(await r.outcome(below, [ca])).toMatch(untrusted('4.2.1.14'));
    const [below2, ca2] = r.caPath((s) => ({
      ...s,
      extensions: [...(s.extensions ?? []), ext.make('2.5.29.54', true, der.int(0))],
    }));
    expect(await r.outcome(below2, [ca2])).toBe('valid');
  });

  it('§4.2.1.15 freshestCRL marked critical → not used', async () => {
    const fresh = ext.make(
      '2.5.29.46',
      true,
      der.seq(
        der.seq(der.explicit(0, der.explicit(0, der.implicit(6, text.encode('http://crl.example.jp/delta.crl'))))),
      ),
    );
    expect(await r.outcome(r.ee((s) => ({ ...s, extensions: [...(s.extensions ?? []), fresh] })))).toMatch(
      untrusted('4.2.1.15'),
    );
  });

  it.each([
    ['4.2.2.1', '1.3.6.1.5.5.7.1.1', '1.3.6.1.5.5.7.48.2'],
    ['4.2.2.2', '1.3.6.1.5.5.7.1.11', '1.3.6.1.5.5.7.48.5'],
  ])('§%s authority/subject information access marked critical → not used', async (section, oid, method) => {
    const access = (critical: boolean) =>
      ext.make(
        oid,
        critical,
        der.seq(der.seq(der.oid(method), der.implicit(6, text.encode('http://ca.example.jp/ca.cer')))),
      );
    expect(await r.outcome(r.ee((s) => ({ ...s, extensions: [...(s.extensions ?? []), access(true)] })))).toMatch(
      untrusted(section),
    );
    expect(await r.outcome(r.ee((s) => ({ ...s, extensions: [...(s.extensions ?? []), access(false)] })))).toBe(
      'valid',
    );
  });
});

describe('the builders themselves', () => {
  it('write what they are told (a v1 certificate without extensions parses)', async () => {
    const v1 = rawCertificate(
      {
        version: 0,
        issuer: r.pki.authCa.name,
        subject: r.eeName,
        subjectKey: r.pki.eeKey,
        signingKey: r.pki.authCa.key,
        innerAlgorithm: rsaSha256(),
      },
      r.pki.now,
    );
    // No AKI, so §4.2.1.1 refuses it: it parsed, which is what this checks.
    expect(await r.outcome(v1)).toMatch(untrusted('4.2.1.1'));
  });
});
