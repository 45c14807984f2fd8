import { sign } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TestKey } from '../../../../scripts/dev/test-pki.js';
import {
  crlExt,
  der,
  ext,
  generateTestKey,
  hasExtension,
  makeCertificate,
  OID,
} from '../../../../scripts/dev/test-pki.js';
import type { RulePki } from '../../../helpers/rule-pki.js';
import { createRulePki, generalized, rsaSha256, utc } from '../../../helpers/rule-pki.js';

/**
 * One test per CRL rule of RFC 5280 §5 in docs/rfc5280.md: a CRL that breaks exactly that rule
 * (or, for a rule the verifier deliberately does not enforce, one that shows it is accepted), as
 * the only CRL for a sound end entity under fail-closed revocation. A CRL that cannot be read is
 * skipped; one that reads but breaks a rule deciding what it says is not used; either way the end
 * entity has no usable CRL and the answer is ERR_REVOCATION_UNKNOWN, never "good".
 */

const DAY = 86_400_000;
const text = new TextEncoder();
let r: RulePki;
let ee: Uint8Array;
let otherKey: TestKey;

beforeAll(() => {
  r = createRulePki();
  ee = r.ee();
  otherKey = generateTestKey();
});

const check = (crls: readonly Uint8Array[], extra: Parameters<RulePki['outcome']>[2] = {}): Promise<string> =>
  r.outcome(ee, [], { crls, revocation: 'fail-closed', ...extra });
const notUsed = (section: string): RegExp =>
  new RegExp(`^ERR_REVOCATION_UNKNOWN: .*RFC 5280 §${section.replace(/\./g, '\\.')}[ :(]`);
/** The CRL was left out unread, so the end entity has no CRL at all. */
const skipped = (reason: RegExp): RegExp =>
  new RegExp(`^ERR_REVOCATION_UNKNOWN: .*no CRL of its issuer \\[CRL skipped: .*${reason.source}`);
const EE_SERIAL = 0x4242;

interface RawCrl {
  /** Version INTEGER value (1 = v2, the default); false leaves it out (v1). */
  version?: number | false;
  innerAlgorithm?: Uint8Array;
  outerAlgorithm?: Uint8Array;
  issuer?: Uint8Array;
  thisUpdate?: Uint8Array;
  nextUpdate?: Uint8Array | null;
  entries?: Uint8Array | undefined;
  extensions?: Uint8Array[];
  unusedBits?: number;
  signingKey?: TestKey;
  /** Without cRLNumber (§5.2.3); otherwise a v2 CRL whose extensions have none gets cRLNumber 1. */
  noNumber?: boolean;
}

function withNumber(spec: RawCrl): Uint8Array[] | undefined {
  const exts = spec.extensions ?? [];
  if (spec.noNumber === true || spec.version === false || hasExtension(exts, '2.5.29.20')) return spec.extensions;
  return [...exts, crlExt.number(1)];
}

/** A CRL written field by field (makeCrl cannot break the outer structure). */
function rawCrl(spec: RawCrl): Uint8Array {
  const now = r.pki.now;
  const extensions = withNumber(spec);
  const tbs = der.seq(
    ...(spec.version === false ? [] : [der.int(spec.version ?? 1)]),
    spec.innerAlgorithm ?? rsaSha256(),
    spec.issuer ?? r.pki.authCa.name,
    spec.thisUpdate ?? der.time(new Date(now.getTime() - DAY)),
    ...(spec.nextUpdate === null ? [] : [spec.nextUpdate ?? der.time(new Date(now.getTime() + 3 * DAY))]),
    ...(spec.entries === undefined ? [] : [spec.entries]),
    ...(extensions === undefined ? [] : [der.explicit(0, der.seq(...extensions))]),
  );
  const signature = new Uint8Array(sign('sha256', tbs, (spec.signingKey ?? r.pki.authCa.key).privateKey));
  return der.seq(tbs, spec.outerAlgorithm ?? rsaSha256(), der.bitString(signature, spec.unusedBits ?? 0));
}

const entry = (serial: number, extensions: Uint8Array[] = []): Uint8Array =>
  der.seq(der.int(serial), der.time(r.pki.now), ...(extensions.length ? [der.seq(...extensions)] : []));
const reason = (code: number, critical = false): Uint8Array =>
  ext.make('2.5.29.21', critical, der.tlv(0x0a, Uint8Array.of(code)));
const number = (n: number): Uint8Array => crlExt.number(n);
const aki = (): Uint8Array => ext.aki(r.pki.authCa.key.keyId);

describe('the base CRL', () => {
  it('a sound CRL makes the end entity good, and one listing it revoked', async () => {
    expect(await check([rawCrl({ extensions: [aki(), number(1)] })])).toBe('valid');
    expect(await check([rawCrl({ entries: der.seq(entry(EE_SERIAL)), extensions: [aki(), number(1)] })])).toMatch(
      /^ERR_CERT_REVOKED/,
    );
  });
});

describe('§5.1 CRL fields', () => {
  it('§5.1 not DER (trailing bytes) → skipped and reported', async () => {
    expect(await check([Uint8Array.of(...rawCrl({}), 0)])).toMatch(skipped(/CRL is not valid DER/));
  });

  it('§5.1.1.2 signatureAlgorithm must equal tbsCertList.signature, parameters included → skipped', async () => {
    expect(await check([rawCrl({ outerAlgorithm: der.seq(der.oid('1.2.840.113549.1.1.11')) })])).toMatch(
      skipped(/inner and outer/),
    );
  });

  it('§5.1.1.3 a signature BIT STRING with unused bits → skipped; a signature by another key → not used', async () => {
    expect(await check([rawCrl({ unusedBits: 1 })])).toMatch(skipped(/BIT STRING with unused bits/));
    expect(await check([rawCrl({ signingKey: otherKey })])).toMatch(
      /^ERR_REVOCATION_UNKNOWN: .*does not verify with the key/,
    );
  });

  it('§5.1.2.1 version present but not v2, or extensions without version → skipped; a v1 CRL is read', async () => {
    expect(await check([rawCrl({ version: 2 })])).toMatch(skipped(/unsupported CRL version/));
    expect(await check([rawCrl({ version: false, extensions: [number(1)] })])).toMatch(
      skipped(/extensions in a version 1 CRL/),
    );
    // Read and used to revoke; without a cRLNumber (§5.2.3) it never makes a certificate good.
    expect(await check([rawCrl({ version: false })])).toMatch(notUsed('5.2.3'));
    expect(await check([rawCrl({ version: false, entries: der.seq(entry(EE_SERIAL)) })])).toMatch(/^ERR_CERT_REVOKED/);
  });

  it('§5.1.2.3 an empty issuer → no CRL of the issuer; a CRL of another issuer says nothing', async () => {
    expect(await check([rawCrl({ issuer: der.seq() })])).toMatch(/^ERR_REVOCATION_UNKNOWN: .*no CRL of its issuer/);
    expect(await check([rawCrl({ issuer: r.pki.root.name, signingKey: r.pki.root.key })])).toMatch(
      /^ERR_REVOCATION_UNKNOWN: .*no CRL of its issuer/,
    );
  });

  it('§5.1.2.4–5 times in Zulu with seconds → else skipped', async () => {
    expect(await check([rawCrl({ thisUpdate: utc('3005310000Z') })])).toMatch(skipped(/CRL is not valid DER/));
    expect(await check([rawCrl({ nextUpdate: generalized('20300604000000.1Z') })])).toMatch(
      skipped(/CRL is not valid DER/),
    );
  });

  it('§5.1.2.4 (not enforced) GeneralizedTime before 2050 is accepted', async () => {
    expect(await check([rawCrl({ nextUpdate: generalized('20300604000000Z') })])).toBe('valid');
  });

  it('§5.1.2.5 without nextUpdate a CRL is never current; past nextUpdate it is stale', async () => {
    expect(await check([rawCrl({ nextUpdate: null })])).toMatch(/^ERR_REVOCATION_UNKNOWN: .*only stale/);
    expect(
      await check([
        rawCrl({
          thisUpdate: der.time(new Date(r.pki.now.getTime() - 5 * DAY)),
          nextUpdate: der.time(new Date(r.pki.now.getTime() - DAY)),
        }),
      ]),
    ).toMatch(/only stale/);
  });

  it('§5.1.2.6 an empty revokedCertificates list must be absent → not used', async () => {
    expect(await check([rawCrl({ entries: der.seq() })])).toMatch(notUsed('5.1.2.6'));
  });

  it('§5.1.2.6 entries match by serial number with its sign', async () => {
    const negative = r.ee((s) => ({ ...s, serial: der.tlv(0x02, Uint8Array.of(0xff)) }));
    const crl = rawCrl({ entries: der.seq(der.seq(der.tlv(0x02, Uint8Array.of(0x00, 0xff)), der.time(r.pki.now))) });
    expect(await r.outcome(negative, [], { crls: [crl], revocation: 'fail-closed' })).toBe('valid');
  });
});

describe('§5.2 CRL extensions', () => {
  it('§5.2 an unknown critical CRL extension → not used; a non-critical one is ignored', async () => {
    expect(await check([rawCrl({ extensions: [ext.make('1.2.3.4', true, der.null())] })])).toMatch(notUsed('5.2'));
    expect(await check([rawCrl({ extensions: [ext.make('1.2.3.4', false, der.null())] })])).toBe('valid');
  });

  it('§5.2.1 (presence not enforced) a CRL without authorityKeyIdentifier is used', async () => {
    expect(await check([rawCrl({ extensions: [number(1)] })])).toBe('valid');
    expect(await check([rawCrl({ extensions: [aki(), number(1)] })])).toBe('valid');
  });

  it('§5.2.3 a CRL without cRLNumber is not relied on for "good", yet its revocations count', async () => {
    expect(await check([rawCrl({ extensions: [aki()], noNumber: true })])).toMatch(notUsed('5.2.3'));
    expect(await check([rawCrl({ extensions: [aki(), number(1)] })])).toBe('valid');
    const listing = der.seq(entry(EE_SERIAL, [reason(1)]));
    expect(await check([rawCrl({ entries: listing, extensions: [aki()], noNumber: true })])).toMatch(
      /^ERR_CERT_REVOKED/,
    );
    // Soft-fail lets the unknown status through, never the listed revocation.
    expect(
      await check([rawCrl({ entries: listing, extensions: [aki()], noNumber: true })], { revocation: 'soft-fail' }),
    ).toMatch(/^ERR_CERT_REVOKED/);
    expect(await check([rawCrl({ extensions: [aki()], noNumber: true })], { revocation: 'soft-fail' })).toBe('valid');
  });

  it('§5.2.1 authorityKeyIdentifier marked critical → not used', async () => {
    expect(
      await check([
        rawCrl({ extensions: [ext.make('2.5.29.35', true, der.seq(der.implicit(0, r.pki.authCa.key.keyId)))] }),
      ]),
    ).toMatch(notUsed('5.2.1'));
  });

  it('§5.2.1 the authorityKeyIdentifier picks the signer: a CRL naming another key is not taken for the CA', async () => {
    expect(await check([rawCrl({ extensions: [ext.aki(otherKey.keyId)] })])).toMatch(/another key identifier/);
  });

  it('§5.2.2 an issuerAltName that does not decode → skipped', async () => {
    expect(await check([rawCrl({ extensions: [ext.make('2.5.29.18', false, der.seq())] })])).toMatch(
      skipped(/CRL is not valid DER/),
    );
  });

  it('§5.2.3 cRLNumber marked critical, negative, or longer than 20 octets → not used', async () => {
    expect(await check([rawCrl({ extensions: [ext.make('2.5.29.20', true, der.int(1))] })])).toMatch(notUsed('5.2.3'));
    expect(
      await check([rawCrl({ extensions: [ext.make('2.5.29.20', false, der.tlv(0x02, Uint8Array.of(0xff)))] })]),
    ).toMatch(notUsed('5.2.3'));
    expect(
      await check([rawCrl({ extensions: [ext.make('2.5.29.20', false, der.int('7f'.padEnd(44, '0')))] })]),
    ).toMatch(notUsed('5.2.3'));
  });

  it('§5.2.4 deltaCRLIndicator not critical, or a delta without its own number or numbered at its base → not used', async () => {
    const base = rawCrl({ extensions: [aki(), number(1)] });
    const delta = (exts: Uint8Array[]) =>
      rawCrl({ entries: der.seq(entry(EE_SERIAL, [reason(1)])), extensions: [aki(), ...exts] });
    // Each broken delta is ignored, so the base alone answers (good); a sound one revokes.
    expect(await check([base, delta([number(2), ext.make('2.5.29.27', false, der.int(1))])])).toBe('valid');
    expect(await check([base, delta([ext.make('2.5.29.27', true, der.int(1))])])).toBe('valid');
    expect(await check([base, delta([number(1), ext.make('2.5.29.27', true, der.int(1))])])).toBe('valid');
    expect(await check([base, delta([number(2), ext.make('2.5.29.27', true, der.int(1))])])).toMatch(
      /^ERR_CERT_REVOKED/,
    );
  });

  it('§5.2.4 a delta applies only to a base of its scope, authority key and numbers, signed by the same key', async () => {
    const base = rawCrl({ extensions: [aki(), number(5)] });
    const delta = (exts: Uint8Array[], signingKey?: TestKey) =>
      rawCrl({
        entries: der.seq(entry(EE_SERIAL, [reason(1)])),
        extensions: [aki(), ...exts],
        ...(signingKey ? { signingKey } : {}),
      });
    const indicator = (n: number) => ext.make('2.5.29.27', true, der.int(n));
    expect(await check([base, delta([number(6), indicator(5)])])).toMatch(/^ERR_CERT_REVOKED/);
    expect(await check([base, delta([number(7), indicator(6)])])).toBe('valid'); // base older than the delta's base
    expect(await check([base, delta([number(6), indicator(5), crlExt.idp({ onlyUser: true })])])).toBe('valid'); // other scope
    expect(await check([base, delta([number(6), indicator(5)], otherKey)])).toBe('valid'); // other key
    expect(await check([delta([number(6), indicator(5)])])).toMatch(/only delta CRLs/);
  });

  it('§5.2.5 the issuing distribution point is processed whether critical or not', async () => {
    expect(await check([rawCrl({ extensions: [crlExt.idp({ onlyCa: true, critical: false })] })])).toMatch(
      /no CRL of its issuer covers it/,
    );
    expect(await check([rawCrl({ extensions: [crlExt.idp({ onlyUser: true, critical: false })] })])).toBe('valid');
  });

  it('§5.2.5 more than one onlyContains… flag, or an empty IDP → not used', async () => {
    expect(await check([rawCrl({ extensions: [crlExt.idp({ onlyCa: true, onlyUser: true })] })])).toMatch(
      /ERR_REVOCATION_UNKNOWN/,
    );
    const both = rawCrl({
      extensions: [
        ext.make(
          '2.5.29.28',
          true,
          der.seq(der.implicit(1, Uint8Array.of(0xff)), der.implicit(5, Uint8Array.of(0xff))),
        ),
      ],
    });
    expect(await check([both])).toMatch(notUsed('5.2.5'));
    expect(await check([rawCrl({ extensions: [ext.make('2.5.29.28', true, der.seq())] })])).toMatch(notUsed('5.2.5'));
  });

  it('§5.2.5 (DER) a DEFAULT FALSE flag written out → skipped', async () => {
    expect(
      await check([rawCrl({ extensions: [ext.make('2.5.29.28', true, der.seq(der.implicit(1, Uint8Array.of(0))))] })]),
    ).toMatch(skipped(/DEFAULT FALSE/));
  });

  it('§5.2.6 freshestCRL marked critical, in a delta, or with reasons → not used', async () => {
    const point = der.seq(
      der.explicit(0, der.explicit(0, der.implicit(6, text.encode('http://crl.example.jp/delta.crl')))),
    );
    expect(await check([rawCrl({ extensions: [ext.make('2.5.29.46', true, der.seq(point))] })])).toMatch(
      notUsed('5.2.6'),
    );
    const withReasons = der.seq(
      der.explicit(0, der.explicit(0, der.implicit(6, text.encode('http://crl.example.jp/d.crl')))),
      der.tlv(0x81, Uint8Array.of(6, 0x40)),
    );
    expect(await check([rawCrl({ extensions: [ext.make('2.5.29.46', false, der.seq(withReasons))] })])).toMatch(
      notUsed('5.2.6'),
    );
    const base = rawCrl({ extensions: [aki(), number(1)] });
    const deltaWithFreshest = rawCrl({
      entries: der.seq(entry(EE_SERIAL, [reason(1)])),
      extensions: [
        aki(),
        number(2),
        ext.make('2.5.29.27', true, der.int(1)),
        ext.make('2.5.29.46', false, der.seq(point)),
      ],
    });
    expect(await check([base, deltaWithFreshest])).toBe('valid');
  });

  it('§5.2.7 authorityInfoAccess marked critical or with a method other than caIssuers → not used', async () => {
    const aia = (critical: boolean, method: string) =>
      ext.make(
        '1.3.6.1.5.5.7.1.1',
        critical,
        der.seq(der.seq(der.oid(method), der.implicit(6, text.encode('http://ca.example.jp/ca.cer')))),
      );
    expect(await check([rawCrl({ extensions: [aia(true, '1.3.6.1.5.5.7.48.2')] })])).toMatch(notUsed('5.2.7'));
    expect(await check([rawCrl({ extensions: [aia(false, '1.3.6.1.5.5.7.48.1')] })])).toMatch(notUsed('5.2.7'));
    expect(await check([rawCrl({ extensions: [aia(false, '1.3.6.1.5.5.7.48.2')] })])).toBe('valid');
  });
});

describe('§5.3 CRL entry extensions', () => {
  it('§5.3 an unknown critical entry extension → not used; a non-critical one is ignored', async () => {
    expect(await check([rawCrl({ entries: der.seq(entry(1, [ext.make('1.2.3.4', true, der.null())])) })])).toMatch(
      notUsed('5.3'),
    );
    expect(await check([rawCrl({ entries: der.seq(entry(1, [ext.make('1.2.3.4', false, der.null())])) })])).toBe(
      'valid',
    );
  });

  it('§5.3.1 an undefined reason code (7, 11) → not used', async () => {
    expect(await check([rawCrl({ entries: der.seq(entry(1, [reason(7)])) })])).toMatch(notUsed('5.3.1'));
    expect(await check([rawCrl({ entries: der.seq(entry(1, [reason(11)])) })])).toMatch(notUsed('5.3.1'));
  });

  it('§5.3.1 removeFromCRL in a complete CRL → not used; in a delta it releases a hold', async () => {
    expect(await check([rawCrl({ entries: der.seq(entry(EE_SERIAL, [reason(8)])) })])).toMatch(notUsed('5.3.1'));
    const held = rawCrl({ entries: der.seq(entry(EE_SERIAL, [reason(6)])), extensions: [aki(), number(1)] });
    expect(await check([held])).toMatch(/^ERR_CERT_REVOKED: .*reason 6/);
    const released = rawCrl({
      entries: der.seq(entry(EE_SERIAL, [reason(8)])),
      extensions: [aki(), number(2), ext.make('2.5.29.27', true, der.int(1))],
    });
    expect(await check([held, released])).toBe('valid');
  });

  it('§5.3.2 an invalidityDate that is not GeneralizedTime → skipped', async () => {
    const invalidity = ext.make('2.5.29.24', false, utc('300101000000Z'));
    expect(await check([rawCrl({ entries: der.seq(entry(1, [invalidity])) })])).toMatch(
      skipped(/CRL is not valid DER/),
    );
  });

  it('§5.3.3 certificateIssuer not critical, or in a CRL that is not indirect → not used', async () => {
    const issuer = (critical: boolean) => ext.make('2.5.29.29', critical, der.seq(der.explicit(4, r.pki.authCa.name)));
    const indirect = ext.make('2.5.29.28', true, der.seq(der.implicit(4, Uint8Array.of(0xff))));
    expect(await check([rawCrl({ entries: der.seq(entry(1, [issuer(true)])) })])).toMatch(notUsed('5.3.3'));
    expect(await check([rawCrl({ entries: der.seq(entry(1, [issuer(false)])), extensions: [indirect] })])).toMatch(
      notUsed('5.3.3'),
    );
  });

  it('§5.3.3 in an indirect CRL an entry belongs to the last named certificate issuer', async () => {
    const issuer = (name: Uint8Array) => ext.make('2.5.29.29', true, der.seq(der.explicit(4, name)));
    const indirect = ext.make('2.5.29.28', true, der.seq(der.implicit(4, Uint8Array.of(0xff))));
    // EE_SERIAL listed under another issuer, then the CRL issuer again with another serial.
    const listedElsewhere = rawCrl({
      entries: der.seq(entry(EE_SERIAL, [issuer(r.pki.root.name)]), entry(7, [issuer(r.pki.authCa.name)])),
      extensions: [indirect],
    });
    expect(await check([listedElsewhere])).toBe('valid');
    const carried = rawCrl({
      entries: der.seq(entry(7, [issuer(r.pki.root.name)]), entry(8, [issuer(r.pki.authCa.name)]), entry(EE_SERIAL)),
      extensions: [indirect],
    });
    expect(await check([carried])).toMatch(/^ERR_CERT_REVOKED/);
  });
});

describe('§5.1.1.3 separate CRL-signing keys (the CRL issuer’s own certificate and path)', () => {
  it('§4.2.1.3, §6.3.3 f a CRL signer without keyUsage is unrestricted, so it may sign CRLs; one whose keyUsage lacks cRLSign may not', async () => {
    const crlKey = generateTestKey();
    const signer = (keyUsage: Uint8Array[]) =>
      makeCertificate({
        serial: 0x5252,
        issuer: r.pki.root.name,
        subject: r.pki.authCa.name,
        notBefore: new Date(r.pki.now.getTime() - DAY),
        notAfter: new Date(r.pki.now.getTime() + DAY),
        subjectKey: crlKey,
        signingKey: r.pki.root.key,
        extensions: [...keyUsage, ext.ski(crlKey.keyId), ext.aki(r.pki.root.key.keyId)],
      });
    const crl = rawCrl({ signingKey: crlKey, extensions: [ext.aki(crlKey.keyId), number(1)] });
    const withSigner = (cert: Uint8Array) => check([crl], { intermediates: [r.pki.authCa.certificate, cert] });
    expect(await withSigner(signer([]))).toBe('valid');
    expect(await withSigner(signer([ext.keyUsage([6])]))).toBe('valid');
    expect(await withSigner(signer([ext.keyUsage([0])]))).toMatch(/^ERR_REVOCATION_UNKNOWN: .*may not sign CRLs/);
  });

  it('a CRL signed by a separate cRLSign-only certificate of the CA, issued by the root, is used', async () => {
    const crlKey = generateTestKey();
    const crlSigner = makeCertificate({
      serial: 0x5151,
      issuer: r.pki.root.name,
      subject: r.pki.authCa.name,
      notBefore: new Date(r.pki.now.getTime() - DAY),
      notAfter: new Date(r.pki.now.getTime() + DAY),
      subjectKey: crlKey,
      signingKey: r.pki.root.key,
      extensions: [
        ext.keyUsage([6]),
        ext.ski(crlKey.keyId),
        ext.aki(r.pki.root.key.keyId),
        ext.policies([OID.authCaPolicy]),
      ],
    });
    const crl = rawCrl({ signingKey: crlKey, extensions: [ext.aki(crlKey.keyId), number(1)] });
    expect(await check([crl], { intermediates: [r.pki.authCa.certificate, crlSigner] })).toBe('valid');
    // Without its certificate, nothing known verifies the list.
    expect(await check([crl])).toMatch(/^ERR_REVOCATION_UNKNOWN/);
    // Its own revocation is checked against the root's CRL.
    const rootCrl = rawCrl({
      issuer: r.pki.root.name,
      signingKey: r.pki.root.key,
      entries: der.seq(entry(0x5151, [reason(1)])),
    });
    expect(await check([crl, rootCrl], { intermediates: [r.pki.authCa.certificate, crlSigner] })).toMatch(
      /the CRL signer .* is revoked/,
    );
  });
});
