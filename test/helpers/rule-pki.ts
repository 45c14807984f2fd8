import { sign } from 'node:crypto';
import { contentsOf, decodeOid, readChildren, readSingle } from '../../protocol/der.js';
import { HpkiError } from '../../protocol/errors.js';
import type { TestKey, TestPki } from '../../scripts/dev/test-pki.js';
import { createTestPki, der, encodeName, ext, generateTestKey, makeCrl, OID } from '../../scripts/dev/test-pki.js';
import type { CertificateValidatorOptions } from '../../server/verify/index.js';
import { createCertificateValidator } from '../../server/verify/index.js';

/**
 * Certificates and CRLs that break exactly one rule of RFC 5280 §4 or §5, for the tests behind
 * docs/rfc5280.md: a sound end entity under a sound CA under the test root, where any one field,
 * extension or encoding can be replaced. Every builder starts from what passes, so a refusal can
 * only come from the one change.
 */

const DAY = 86_400_000;
const SHA256_RSA = '1.2.840.113549.1.1.11';

export const rsaSha256 = (): Uint8Array => der.seq(der.oid(SHA256_RSA), der.null());
export const utc = (text: string): Uint8Array => der.tlv(0x17, new TextEncoder().encode(text));
export const generalized = (text: string): Uint8Array => der.tlv(0x18, new TextEncoder().encode(text));

export interface RawCertificate {
  /** Version INTEGER value (0 = v1, omitted); default 2 (v3). */
  version?: number;
  serial?: Uint8Array;
  innerAlgorithm?: Uint8Array;
  outerAlgorithm?: Uint8Array;
  issuer: Uint8Array;
  subject: Uint8Array;
  notBefore?: Uint8Array;
  notAfter?: Uint8Array;
  subjectKey: TestKey;
  signingKey: TestKey;
  /** [1]/[2] unique identifier elements, as given. */
  uniqueIds?: Uint8Array[];
  /** Extensions; an empty array writes an empty (invalid) list, undefined writes none. */
  extensions?: Uint8Array[];
  /** The signature BIT STRING's unused-bits octet; default 0. */
  unusedBits?: number;
}

export function rawCertificate(spec: RawCertificate, now: Date): Uint8Array {
  const version = spec.version ?? 2;
  const tbs = der.seq(
    ...(version === 0 ? [] : [der.explicit(0, der.int(version))]),
    spec.serial ?? der.int(0x4242),
    spec.innerAlgorithm ?? rsaSha256(),
    spec.issuer,
    der.seq(
      spec.notBefore ?? der.time(new Date(now.getTime() - DAY)),
      spec.notAfter ?? der.time(new Date(now.getTime() + DAY)),
    ),
    spec.subject,
    spec.subjectKey.spki,
    ...(spec.uniqueIds ?? []),
    ...(spec.extensions === undefined ? [] : [der.explicit(3, der.seq(...spec.extensions))]),
  );
  const signature = new Uint8Array(sign('sha256', tbs, spec.signingKey.privateKey));
  return der.seq(tbs, spec.outerAlgorithm ?? rsaSha256(), der.bitString(signature, spec.unusedBits ?? 0));
}

export interface RulePki {
  pki: TestPki;
  /** A second CA key, for CA certificates under test. */
  caKey: TestKey;
  eeName: Uint8Array;
  caName: Uint8Array;
  /** The sound end entity's extensions under the auth CA. */
  eeExtensions(): Uint8Array[];
  /** The sound CA's extensions (issued by the root, key `caKey`). */
  caExtensions(): Uint8Array[];
  /** An end entity issued by the test auth CA; `change` edits its spec. */
  ee(change?: (spec: RawCertificate) => RawCertificate): Uint8Array;
  /** A CA under the root with `caKey`, and a sound end entity under it: [ee, ca]. */
  caPath(change?: (spec: RawCertificate) => RawCertificate): [Uint8Array, Uint8Array];
  /** Outcome of validating `ee` with `supplied` CAs: 'valid' or `CODE: message`. */
  outcome(
    ee: Uint8Array,
    supplied?: readonly Uint8Array[],
    options?: Partial<CertificateValidatorOptions> & { purpose?: 'auth' | 'sign' },
  ): Promise<string>;
  /** A CRL of the auth CA, current, with these changes. */
  crl(spec?: Partial<Parameters<typeof makeCrl>[0]>): Uint8Array;
}

/** Replaces the extension with `oid` (or adds it), keeping the others' order. */
export function withExtension(
  extensions: Uint8Array[],
  oid: string,
  replacement: Uint8Array | undefined,
): Uint8Array[] {
  const idOf = (e: Uint8Array): string => {
    const [id] = readChildren(e, readSingle(e, 0x30), 3);
    return decodeOid(contentsOf(e, id!));
  };
  const at = extensions.findIndex((e) => idOf(e) === oid);
  if (at < 0) return replacement === undefined ? extensions : [...extensions, replacement];
  return replacement === undefined
    ? extensions.filter((_, i) => i !== at)
    : extensions.map((e, i) => (i === at ? replacement : e));
}

export function createRulePki(): RulePki {
  const pki = createTestPki({ now: new Date('2030-06-01T00:00:00Z') });
  const caKey = generateTestKey();
  const eeName = encodeName([
    [OID.c, 'JP'],
    [OID.cn, 'Kisoku Taro'],
    [OID.serialNumber, 'RULE0001'],
  ]);
  const caName = encodeName([
    [OID.c, 'JP'],
    [OID.o, 'Test Medical Association'],
    [OID.cn, 'Rule CA'],
  ]);
  const eeExtensions = (): Uint8Array[] => [
    ext.keyUsage([0]),
    ext.ski(pki.eeKey.keyId),
    ext.aki(pki.authCa.key.keyId),
    ext.policies([OID.authEePolicy]),
    ext.hcRole('Medical Doctor'),
  ];
  const caExtensions = (): Uint8Array[] => [
    ext.basicConstraints(true),
    ext.keyUsage([5, 6]),
    ext.ski(caKey.keyId),
    ext.aki(pki.root.key.keyId),
    ext.policies([OID.authCaPolicy]),
  ];
  const ee = (change: (spec: RawCertificate) => RawCertificate = (s) => s): Uint8Array =>
    rawCertificate(
      change({
        issuer: pki.authCa.name,
        subject: eeName,
        subjectKey: pki.eeKey,
        signingKey: pki.authCa.key,
        extensions: eeExtensions(),
      }),
      pki.now,
    );
  const caPath = (change: (spec: RawCertificate) => RawCertificate = (s) => s): [Uint8Array, Uint8Array] => {
    const ca = rawCertificate(
      change({
        issuer: pki.root.name,
        subject: caName,
        subjectKey: caKey,
        signingKey: pki.root.key,
        serial: der.int(0x77),
        extensions: caExtensions(),
      }),
      pki.now,
    );
    const below = rawCertificate(
      {
        issuer: caName,
        subject: eeName,
        subjectKey: pki.eeKey,
        signingKey: caKey,
        extensions: withExtension(eeExtensions(), '2.5.29.35', ext.aki(caKey.keyId)),
      },
      pki.now,
    );
    return [below, ca];
  };
  const outcome: RulePki['outcome'] = async (eeDer, supplied = [], options = {}) => {
    const { purpose, ...rest } = options;
    const validator = createCertificateValidator({
      anchors: [pki.root.certificate],
      intermediates: [pki.authCa.certificate],
      revocation: 'off',
      validationCacheMs: 0,
      ...rest,
    });
    // A skipped CRL is named in the outcome, so a test sees why the list was left out.
    const skipped = validator.skipped.crls.map((c) => ` [CRL skipped: ${c.reason}]`).join('');
    try {
      const v = await validator.validate(
        validator.parse(eeDer),
        supplied.map((d) => validator.parse(d)),
        { at: pki.now, ...(purpose ? { purpose } : {}) },
      );
      return (v.error === undefined ? 'valid' : `${v.error.code}: ${v.error.message}`) + skipped;
    } catch (err) {
      if (err instanceof HpkiError) return `${err.code}: ${err.message}`;
      throw err;
    }
  };
  const crl: RulePki['crl'] = (spec = {}) =>
    makeCrl({
      issuer: pki.authCa.name,
      signingKey: pki.authCa.key,
      thisUpdate: new Date(pki.now.getTime() - DAY),
      nextUpdate: new Date(pki.now.getTime() + 3 * DAY),
      ...spec,
    });
  return { pki, caKey, eeName, caName, eeExtensions, caExtensions, ee, caPath, outcome, crl };
}
