import type { KeyObject } from 'node:crypto';
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import * as w from '../../protocol/der-writer.js';
import { buildSignedContent } from '../../protocol/signed-data.js';
import type { Token } from '../../protocol/token.js';
import { encodeToken } from '../../protocol/token.js';

/**
 * A small DER writer and certificate/CRL issuer for unit tests of the verifier: it can produce the
 * HPKI profile and every deviation a test needs (critical unknown extensions, missing CA flags, path
 * length limits, old hash algorithms, odd CRL scopes). Keys are Node KeyObjects; signatures are
 * RSASSA-PKCS1-v1_5.
 */

const text = new TextEncoder();

/** The project's DER writer under the short names the issuer code below reads best with. */
export const der = {
  tlv: (tag: number, ...contents: Uint8Array[]): Uint8Array => w.tlvOf(tag, contents),
  seq: (...c: Uint8Array[]): Uint8Array => w.tlvOf(0x30, c),
  set: (...c: Uint8Array[]): Uint8Array => w.tlvOf(0x31, c),
  explicit: (n: number, ...c: Uint8Array[]): Uint8Array => w.tlvOf(0xa0 + n, c),
  implicit: w.implicit,
  bool: w.boolean,
  null: w.nullValue,
  octet: w.octetString,
  bitString: w.bitString,
  utf8: w.utf8String,
  printable: w.printableString,
  ia5: w.ia5String,
  /** INTEGER from a non-negative number or hex magnitude. */
  int: (value: number | string): Uint8Array => w.integerFromHex(typeof value === 'number' ? value.toString(16) : value),
  oid: w.objectIdentifier,
  time: w.time,
};

export const OID = {
  c: '2.5.4.6',
  o: '2.5.4.10',
  ou: '2.5.4.11',
  cn: '2.5.4.3',
  serialNumber: '2.5.4.5',
  rsa: '1.2.840.113549.1.1.1',
  hcRole: '1.0.17090.0.1',
  hpkiRoleScheme: '1.2.392.100495.1.6.1.1',
  authEePolicy: '1.2.392.100495.1.5.1.2.0.1',
  authCaPolicy: '1.2.392.100495.1.5.1.2.3.1',
  signEePolicy: '1.2.392.100495.1.5.1.1.0.1',
  signCaPolicy: '1.2.392.100495.1.5.1.1.3.1',
  timeStamping: '1.3.6.1.5.5.7.3.8',
} as const;

export type Hash = 'sha1' | 'sha256' | 'sha384' | 'sha512';
const SIG_OID: Record<Hash, string> = {
  sha1: '1.2.840.113549.1.1.5',
  sha256: '1.2.840.113549.1.1.11',
  sha384: '1.2.840.113549.1.1.12',
  sha512: '1.2.840.113549.1.1.13',
};

/** A name as [type OID, value] pairs, one attribute per RDN; values as PrintableString when possible. */
export type NameSpec = ReadonlyArray<readonly [string, string]>;

export function encodeName(spec: NameSpec): Uint8Array {
  return der.seq(
    ...spec.map(([type, value]) =>
      der.set(
        der.seq(der.oid(type), /^[A-Za-z0-9 '()+,\-./:=?]*$/.test(value) ? der.printable(value) : der.utf8(value)),
      ),
    ),
  );
}

export interface TestKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  spki: Uint8Array;
  /** SHA-1 of the SPKI (good enough as a key identifier in tests). */
  keyId: Uint8Array;
}

function toTestKey(privateKey: KeyObject): TestKey {
  const publicKey = createPublicKey(privateKey);
  const spki = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }));
  return { privateKey, publicKey, spki, keyId: new Uint8Array(createHash('sha1').update(spki).digest()) };
}

export function generateTestKey(bits = 2048, publicExponent = 65537): TestKey {
  return toTestKey(generateKeyPairSync('rsa', { modulusLength: bits, publicExponent }).privateKey);
}

/**
 * A subject key with `base`'s modulus and another public exponent, as a hostile certificate can
 * carry (Node will not generate exponents this large). Only its SPKI is meaningful: it can be put
 * in a certificate, never sign anything.
 */
export function withPublicExponent(base: TestKey, exponent: bigint): TestKey {
  const n = Buffer.from(base.publicKey.export({ format: 'jwk' }).n ?? '', 'base64url');
  let hex = exponent.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  const rsaPublicKey = der.seq(der.int(n.toString('hex')), der.int(hex));
  const spki = der.seq(der.seq(der.oid(OID.rsa), der.null()), der.bitString(rsaPublicKey));
  return { ...base, spki, keyId: new Uint8Array(createHash('sha1').update(spki).digest()) };
}

export function testKeyFromPem(pem: string): TestKey {
  return toTestKey(createPrivateKey(pem));
}

export const ext = {
  make: (oid: string, critical: boolean, value: Uint8Array): Uint8Array =>
    der.seq(der.oid(oid), ...(critical ? [der.bool(true)] : []), der.octet(value)),
  basicConstraints: (ca: boolean, pathLen?: number, critical = true): Uint8Array =>
    ext.make(
      '2.5.29.19',
      critical,
      der.seq(...(ca ? [der.bool(true)] : []), ...(pathLen === undefined ? [] : [der.int(pathLen)])),
    ),
  /** Bits by number: 0 digitalSignature, 1 nonRepudiation, 5 keyCertSign, 6 cRLSign. */
  keyUsage(bits: readonly number[], critical = true): Uint8Array {
    const top = Math.max(...bits);
    const bytes = new Uint8Array((top >> 3) + 1);
    for (const b of bits) bytes[b >> 3]! |= 0x80 >> (b & 7);
    let unused = 0;
    const last = bytes[bytes.length - 1]!;
    while (unused < 7 && (last & (1 << unused)) === 0) unused++;
    return ext.make('2.5.29.15', critical, der.bitString(bytes, unused));
  },
  policies: (oids: readonly string[], critical = true): Uint8Array =>
    ext.make('2.5.29.32', critical, der.seq(...oids.map((o) => der.seq(der.oid(o))))),
  ski: (keyId: Uint8Array): Uint8Array => ext.make('2.5.29.14', false, der.octet(keyId)),
  aki: (keyId: Uint8Array): Uint8Array => ext.make('2.5.29.35', false, der.seq(der.implicit(0, keyId))),
  hcRoleValue(roles: readonly string[], scheme: string = OID.hpkiRoleScheme): Uint8Array {
    const actor = (role: string): Uint8Array =>
      der.seq(der.explicit(0, der.set(der.explicit(0, der.oid(scheme)), der.explicit(2, der.utf8(role)))));
    return der.seq(der.seq(der.oid(OID.hcRole), der.set(der.set(...roles.map(actor)))));
  },
  hcRole: (role: string): Uint8Array => ext.make('2.5.29.9', false, ext.hcRoleValue([role])),
  extKeyUsage: (purposes: readonly string[], critical = false): Uint8Array =>
    ext.make('2.5.29.37', critical, der.seq(...purposes.map((p) => der.oid(p)))),
  sanDirName: (name: Uint8Array): Uint8Array => ext.make('2.5.29.17', false, der.seq(der.explicit(4, name))),
  /** One distribution point per entry, each a dirName or a URI. */
  crlDp: (points: ReadonlyArray<{ dirName?: Uint8Array; uri?: string }>): Uint8Array =>
    ext.make(
      '2.5.29.31',
      false,
      der.seq(
        ...points.map((p) =>
          der.seq(
            der.explicit(
              0,
              der.explicit(
                0,
                p.dirName !== undefined ? der.explicit(4, p.dirName) : der.implicit(6, text.encode(p.uri ?? '')),
              ),
            ),
          ),
        ),
      ),
    ),
};

export interface CertificateSpec {
  serial: number | string;
  issuer: Uint8Array;
  subject: Uint8Array;
  notBefore: Date;
  notAfter: Date;
  subjectKey: TestKey;
  signingKey: TestKey;
  extensions?: readonly Uint8Array[];
  hash?: Hash;
}

function algorithm(hash: Hash): Uint8Array {
  return der.seq(der.oid(SIG_OID[hash]), der.null());
}

export function makeCertificate(spec: CertificateSpec): Uint8Array {
  const hash = spec.hash ?? 'sha256';
  const exts = spec.extensions ?? [];
  const tbs = der.seq(
    der.explicit(0, der.int(2)),
    der.int(spec.serial),
    algorithm(hash),
    spec.issuer,
    der.seq(der.time(spec.notBefore), der.time(spec.notAfter)),
    spec.subject,
    spec.subjectKey.spki,
    ...(exts.length > 0 ? [der.explicit(3, der.seq(...exts))] : []),
  );
  const signature = new Uint8Array(sign(hash, tbs, spec.signingKey.privateKey));
  return der.seq(tbs, algorithm(hash), der.bitString(signature));
}

export interface RevokedSpec {
  serial: number | string;
  date: Date;
  /** CRLReason code (1 = keyCompromise). */
  reason?: number;
  extraEntryExtensions?: readonly Uint8Array[];
}

export interface CrlSpec {
  issuer: Uint8Array;
  signingKey: TestKey;
  thisUpdate: Date;
  nextUpdate?: Date;
  revoked?: readonly RevokedSpec[];
  extensions?: readonly Uint8Array[];
  hash?: Hash;
  /**
   * The cRLNumber written when `extensions` has none (RFC 5280 §5.2.3: every conforming CRL has
   * one); default thisUpdate in seconds, so later lists number higher. `false` writes none.
   */
  crlNumber?: number | false;
}

/** Whether one of these DER Extension SEQUENCEs has this extnID. */
export function hasExtension(extensions: readonly Uint8Array[], oid: string): boolean {
  const id = der.oid(oid);
  return extensions.some((e) => {
    const start = e[1]! < 0x80 ? 2 : 2 + (e[1]! & 0x7f);
    return Buffer.from(e.subarray(start, start + id.length)).equals(id);
  });
}

function crlExtensions(spec: CrlSpec): readonly Uint8Array[] {
  const exts = spec.extensions ?? [];
  if (spec.crlNumber === false || hasExtension(exts, '2.5.29.20')) return exts;
  return [...exts, crlExt.number(spec.crlNumber ?? Math.floor(spec.thisUpdate.getTime() / 1000))];
}

export function makeCrl(spec: CrlSpec): Uint8Array {
  const hash = spec.hash ?? 'sha256';
  const revoked = spec.revoked ?? [];
  const entries = revoked.map((r) => {
    const entryExts = [
      ...(r.reason === undefined ? [] : [ext.make('2.5.29.21', false, der.tlv(0x0a, Uint8Array.of(r.reason)))]),
      ...(r.extraEntryExtensions ?? []),
    ];
    return der.seq(der.int(r.serial), der.time(r.date), ...(entryExts.length > 0 ? [der.seq(...entryExts)] : []));
  });
  const exts = crlExtensions(spec);
  const tbs = der.seq(
    der.int(1),
    algorithm(hash),
    spec.issuer,
    der.time(spec.thisUpdate),
    ...(spec.nextUpdate === undefined ? [] : [der.time(spec.nextUpdate)]),
    ...(entries.length > 0 ? [der.seq(...entries)] : []),
    ...(exts.length > 0 ? [der.explicit(0, der.seq(...exts))] : []),
  );
  const signature = new Uint8Array(sign(hash, tbs, spec.signingKey.privateKey));
  return der.seq(tbs, algorithm(hash), der.bitString(signature));
}

export const crlExt = {
  number: (n: number): Uint8Array => ext.make('2.5.29.20', false, der.int(n)),
  /** IssuingDistributionPoint with a dirName, as the MHLW ARLs carry it (critical). */
  idp(options: {
    dirName?: Uint8Array;
    uri?: string;
    onlyCa?: boolean;
    onlyUser?: boolean;
    critical?: boolean;
  }): Uint8Array {
    const name =
      options.dirName !== undefined
        ? [der.explicit(0, der.explicit(0, der.explicit(4, options.dirName)))]
        : options.uri !== undefined
          ? [der.explicit(0, der.explicit(0, der.implicit(6, text.encode(options.uri))))]
          : [];
    const flags = [
      ...(options.onlyUser ? [der.implicit(1, Uint8Array.of(0xff))] : []),
      ...(options.onlyCa ? [der.implicit(2, Uint8Array.of(0xff))] : []),
    ];
    return ext.make('2.5.29.28', options.critical ?? true, der.seq(...name, ...flags));
  },
};

export function toPem(bytes: Uint8Array, label: 'CERTIFICATE' | 'X509 CRL'): string {
  const b64 = Buffer.from(bytes)
    .toString('base64')
    .replace(/.{1,64}/g, '$&\n');
  return `-----BEGIN ${label}-----\n${b64}-----END ${label}-----\n`;
}

/** An issued certificate with its key and subject name. */
export interface TestCert {
  certificate: Uint8Array;
  key: TestKey;
  name: Uint8Array;
}

const DAY = 86_400_000;

export interface TestPkiOptions {
  /** Validity of everything is [now − 1 year, now + 5 years] unless given per certificate. */
  now?: Date;
  /** URI put into the EE certificates' CRLDP. */
  crlUri?: string;
}

export interface TestPki {
  now: Date;
  root: TestCert;
  authCa: TestCert;
  /** The directory name the root's CRLDP (RARL) and the CAs' CRLDP (SARL) carry. */
  sarlName: Uint8Array;
  rarlName: Uint8Array;
  eeKey: TestKey;
  issueEe(options?: EeOptions): TestCert;
  issueCa(options: CaOptions): TestCert;
  /** A time-stamping authority's certificate (RFC 3161 §2.3), by default under the root. */
  issueTsa(options?: TsaOptions): TestCert;
}

export interface TsaOptions {
  issuer?: TestCert;
  name?: string;
  /** Default ['1.3.6.1.5.5.7.3.8'] (id-kp-timeStamping). */
  extKeyUsage?: readonly string[];
  /** Default true, as RFC 3161 requires. */
  ekuCritical?: boolean;
}

export interface EeOptions {
  issuer?: TestCert;
  serial?: number;
  name?: string;
  /** The subject's serialNumber (the HPKI holder id); default `TEST<serial>`, null for none. */
  holderId?: string | null;
  role?: string;
  keyUsage?: readonly number[];
  policies?: readonly string[];
  notBefore?: Date;
  notAfter?: Date;
  extraExtensions?: readonly Uint8Array[];
  key?: TestKey;
  crlUri?: string;
}

export interface CaOptions {
  issuer: TestCert;
  name: string;
  serial?: number;
  ca?: boolean;
  pathLen?: number;
  keyUsage?: readonly number[];
  notBefore?: Date;
  notAfter?: Date;
  key?: TestKey;
  hash?: Hash;
  extraExtensions?: readonly Uint8Array[];
  crlDirName?: Uint8Array;
}

const ROOT_NAME: NameSpec = [
  [OID.c, 'JP'],
  [OID.o, 'Test Ministry of Health'],
  [OID.ou, 'Test HPKI Root CA'],
];

/** A TSA certificate (RFC 3161 §2.3: EKU id-kp-timeStamping only, critical) issued by `issuer`. */
function makeTsaCertificate(issuer: TestCert, serial: number, [from, to]: [Date, Date], o: TsaOptions): TestCert {
  const key = generateTestKey();
  const name = encodeName([
    [OID.c, 'JP'],
    [OID.o, 'Test Time Stamping Service'],
    [OID.cn, o.name ?? 'Test TSA'],
  ]);
  const certificate = makeCertificate({
    serial,
    issuer: issuer.name,
    subject: name,
    notBefore: from,
    notAfter: to,
    subjectKey: key,
    signingKey: issuer.key,
    extensions: [
      ext.keyUsage([0, 1]),
      ext.ski(key.keyId),
      ext.aki(issuer.key.keyId),
      ext.extKeyUsage(o.extKeyUsage ?? [OID.timeStamping], o.ekuCritical ?? true),
    ],
  });
  return { certificate, key, name };
}

/** Root → auth CA, plus an EE factory: the HPKI profile with fresh keys (about a second on 2 cores). */
export function createTestPki(options: TestPkiOptions = {}): TestPki {
  const now = options.now ?? new Date();
  const from = new Date(now.getTime() - 365 * DAY);
  const to = new Date(now.getTime() + 5 * 365 * DAY);
  const rootKey = generateTestKey();
  const rootName = encodeName(ROOT_NAME);
  const sarlName = encodeName([...ROOT_NAME, [OID.cn, 'SARL']]);
  const rarlName = encodeName([...ROOT_NAME, [OID.cn, 'RARL']]);
  const root: TestCert = {
    key: rootKey,
    name: rootName,
    certificate: makeCertificate({
      serial: 1,
      issuer: rootName,
      subject: rootName,
      notBefore: from,
      notAfter: new Date(now.getTime() + 20 * 365 * DAY),
      subjectKey: rootKey,
      signingKey: rootKey,
      extensions: [
        ext.basicConstraints(true),
        ext.keyUsage([5, 6]),
        ext.ski(rootKey.keyId),
        ext.crlDp([{ dirName: rarlName }]),
      ],
    }),
  };
  const eeKey = generateTestKey();
  let nextSerial = 0x100;

  const issueCa = (o: CaOptions): TestCert => {
    const key = o.key ?? generateTestKey();
    const name = encodeName([
      [OID.c, 'JP'],
      [OID.o, 'Test Medical Association'],
      [OID.cn, o.name],
    ]);
    const certificate = makeCertificate({
      serial: o.serial ?? nextSerial++,
      issuer: o.issuer.name,
      subject: name,
      notBefore: o.notBefore ?? from,
      notAfter: o.notAfter ?? to,
      subjectKey: key,
      signingKey: o.issuer.key,
      ...(o.hash === undefined ? {} : { hash: o.hash }),
      extensions: [
        ...(o.ca === false ? [] : [ext.basicConstraints(true, o.pathLen)]),
        ext.keyUsage(o.keyUsage ?? [5, 6]),
        ext.ski(key.keyId),
        ext.aki(o.issuer.key.keyId),
        ext.policies([OID.authCaPolicy]),
        ext.crlDp([{ dirName: o.crlDirName ?? sarlName }]),
        ...(o.extraExtensions ?? []),
      ],
    });
    return { certificate, key, name };
  };

  const authCa = issueCa({
    issuer: root,
    name: 'HPKI-01-TestAuthCA-forAuthentication-forIndividual',
    key: generateTestKey(),
  });

  const issueEe = (o: EeOptions = {}): TestCert => {
    const issuer = o.issuer ?? authCa;
    const key = o.key ?? eeKey;
    const serial = o.serial ?? nextSerial++;
    const holderId = o.holderId === undefined ? `TEST${serial}` : o.holderId;
    const name = encodeName([
      [OID.c, 'JP'],
      [OID.cn, o.name ?? 'Shiken Taro'],
      ...(holderId === null ? [] : [[OID.serialNumber, holderId] as const]),
    ]);
    const crlUri = o.crlUri ?? options.crlUri;
    const certificate = makeCertificate({
      serial,
      issuer: issuer.name,
      subject: name,
      notBefore: o.notBefore ?? from,
      notAfter: o.notAfter ?? to,
      subjectKey: key,
      signingKey: issuer.key,
      extensions: [
        ext.keyUsage(o.keyUsage ?? [0]),
        ext.ski(key.keyId),
        ext.aki(issuer.key.keyId),
        ext.policies(o.policies ?? [OID.authEePolicy]),
        ext.hcRole(o.role ?? 'Medical Doctor'),
        ...(crlUri === undefined ? [] : [ext.crlDp([{ uri: crlUri }])]),
        ...(o.extraExtensions ?? []),
      ],
    });
    return { certificate, key, name };
  };

  const issueTsa = (o: TsaOptions = {}): TestCert => makeTsaCertificate(o.issuer ?? root, nextSerial++, [from, to], o);

  return { now, root, authCa, sarlName, rarlName, eeKey, issueEe, issueCa, issueTsa };
}

/** A login token as the native host makes it (PROTOCOL.md §3–§4), signed with `privateKey`. */
export function signLoginToken(options: {
  certificate: Uint8Array;
  /** A KeyObject, PEM text, or PKCS#8 DER. */
  privateKey: KeyObject | string | Uint8Array;
  origin: string;
  challenge: string;
  intermediates?: readonly Uint8Array[];
}): Token {
  const key =
    typeof options.privateKey === 'string'
      ? createPrivateKey(options.privateKey)
      : options.privateKey instanceof Uint8Array
        ? createPrivateKey({ key: Buffer.from(options.privateKey), format: 'der', type: 'pkcs8' })
        : options.privateKey;
  const content = buildSignedContent({
    origin: options.origin,
    challenge: options.challenge,
    certificate: options.certificate,
  });
  return encodeToken({
    certificate: options.certificate,
    intermediates: options.intermediates ?? [],
    signature: new Uint8Array(sign('sha256', content, key)),
  });
}
