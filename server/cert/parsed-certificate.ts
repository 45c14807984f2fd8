import type { KeyObject } from 'node:crypto';
import { createPublicKey, hash } from 'node:crypto';
import type { DecodedCertificate } from '../../protocol/certificate-der.js';
import { decodeCertificate, RSA_ENCRYPTION_OID } from '../../protocol/certificate-der.js';
import type {
  BasicConstraintsValue,
  KeyUsageBits,
  NameConstraintsValue,
} from '../../protocol/certificate-extensions.js';
import {
  decodeAuthorityKeyIdentifierValue,
  decodeBasicConstraints,
  decodeExtendedKeyUsage,
  decodeKeyUsageMask,
  decodeNameConstraints,
  decodeSubjectKeyIdentifier,
  EXT,
  keyUsageBits,
} from '../../protocol/certificate-extensions.js';
import type { DistributionPoint } from '../../protocol/distribution-points.js';
import { decodeCrlDistributionPoints } from '../../protocol/distribution-points.js';
import { HpkiError } from '../../protocol/errors.js';
import type { GeneralName } from '../../protocol/general-names.js';
import { decodeGeneralNames } from '../../protocol/general-names.js';
import type { HpkiCertificateInfo } from '../../protocol/hpki-certificate.js';
import { describeCertificate } from '../../protocol/hpki-certificate.js';
import type { DistinguishedName } from '../../protocol/x500-name.js';
import { nameKey, nameToString } from '../../protocol/x500-name.js';
import { createExpiringMap } from '../shared/index.js';
import { certificateProfileProblems, PROCESSED_EXTENSIONS } from './certificate-profile.js';
import { createSightingFilter } from './sighting-filter.js';
import type { VerificationKey } from './signature.js';

/**
 * A certificate decoded once with everything path validation and revocation need, so that CA
 * certificates (and recently seen end-entity certificates) are never parsed twice. Every extension
 * the verifier recognizes is decoded here, critical or not (RFC 5280 §4.2: a recognized extension
 * must be processed), and a malformed one makes the certificate malformed.
 */
export interface ParsedCertificate {
  decoded: DecodedCertificate;
  info: HpkiCertificateInfo;
  /** Lowercase hex SHA-256 of the DER: identity of this exact certificate. */
  sha256: string;
  /** Name keys (x500-name.ts nameKey): computed on first use for the subject. */
  readonly subjectKey: string;
  issuerKey: string;
  /** The subject as `C=JP, O=…, CN=…`, made on first use (messages, the CLI). */
  readonly subjectText: string;
  /** subject and issuer match (RFC 5280 "self-issued"). */
  selfIssued: boolean;
  keyUsage: KeyUsageBits | undefined;
  /** All nine KeyUsage bits (`1 << KEY_USAGE_BIT.x`), when the extension is present. */
  keyUsageMask: number | undefined;
  basicConstraints: BasicConstraintsValue | undefined;
  isCa: boolean;
  subjectKeyId: string | undefined;
  authorityKeyId: string | undefined;
  subjectAltNames: GeneralName[] | undefined;
  nameConstraints: NameConstraintsValue | undefined;
  extKeyUsage: string[] | undefined;
  /** Empty when the certificate has no CRLDP extension. */
  crlDistributionPoints: DistributionPoint[];
  /** Critical extensions this verifier does not process: their presence makes a path untrusted. */
  unknownCriticalExtensions: string[];
  /** RFC 5280 §4 rules the certificate breaks (certificate-profile.ts); any makes a path untrusted. */
  profileProblems: string[];
  /** Whether the key of the issuer with this SHA-256 verified this certificate's signature (trust-store.ts). */
  readonly issuerSignatures: Map<string, boolean>;
  /** The subject public key, imported on first use (never for a key the key policy refuses). */
  readonly publicKey: KeyObject | undefined;
  /** The key for a signature check: the imported public key (cheap to import, see importKey). */
  verificationKey(): VerificationKey | undefined;
}

function extension<T>(decoded: DecodedCertificate, oid: string, decode: (value: Uint8Array) => T): T | undefined {
  const ext = decoded.extensions.get(oid);
  if (ext === undefined) return undefined;
  try {
    return decode(ext.value);
  } catch (err) {
    throw new HpkiError('ERR_TOKEN_MALFORMED', `certificate extension ${oid} is malformed`, { cause: err });
  }
}

const base64Url = (bytes: Uint8Array): string =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');

/** rsaEncryption with NULL parameters (RFC 3279 §2.3.1): the key is exactly its modulus and exponent. */
function plainRsa(decoded: DecodedCertificate): boolean {
  const params = decoded.publicKeyParameters;
  return (
    decoded.publicKeyAlgorithm === RSA_ENCRYPTION_OID &&
    params?.length === 2 &&
    params[0] === 0x05 &&
    params[1] === 0x00
  );
}

/**
 * The subject key as a KeyObject. A plain RSA key is built from its modulus and exponent, already
 * read from the DER, as a JWK: OpenSSL 3 takes about 140 µs to decode an SPKI (its decoder
 * framework), more than a whole RSA-2048 verification, and about 8 µs to build the same key from
 * n and e (docs/verifier-speed.md). Any other key goes through the SPKI decoder.
 */
function importKey(decoded: DecodedCertificate): KeyObject | undefined {
  try {
    const rsa = decoded.rsaKey;
    if (rsa !== undefined && plainRsa(decoded)) {
      return createPublicKey({
        key: { kty: 'RSA', n: base64Url(rsa.modulus), e: base64Url(rsa.exponentOctets) },
        format: 'jwk',
      });
    }
    const spki = decoded.subjectPublicKeyInfo;
    return createPublicKey({
      key: Buffer.from(spki.buffer, spki.byteOffset, spki.byteLength),
      format: 'der',
      type: 'spki',
    });
  } catch {
    return undefined;
  }
}

function sameShape(a: DistinguishedName, b: DistinguishedName): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const ra = a[i]!;
    const rb = b[i]!;
    if (ra.length !== rb.length) return false;
    if (ra.length === 1 && ra[0]!.type !== rb[0]!.type) return false;
  }
  return true;
}

export function sha256Hex(bytes: Uint8Array): string {
  return hash('sha256', bytes, 'hex');
}

/**
 * Decodes a DER certificate; bad DER or a malformed recognized extension → HpkiError
 * ERR_TOKEN_MALFORMED. `sha256` is the DER's hash when the caller already has it.
 */
export function parseCertificate(der: Uint8Array, sha256: string = sha256Hex(der)): ParsedCertificate {
  const decoded = decodeCertificate(der);
  const info = describeCertificate(decoded);
  const issuerKey = nameKey(decoded.issuer);
  let subjectKey: string | undefined;
  let subjectText: string | undefined;
  const keyUsageMask = extension(decoded, EXT.keyUsage, decodeKeyUsageMask);
  const basicConstraints = extension(decoded, EXT.basicConstraints, decodeBasicConstraints);
  let publicKey: KeyObject | undefined;
  let imported = false;
  const parsed: ParsedCertificate = {
    decoded,
    info,
    sha256,
    get subjectKey() {
      subjectKey ??= nameKey(decoded.subject);
      return subjectKey;
    },
    issuerKey,
    get subjectText() {
      subjectText ??= nameToString(decoded.subject);
      return subjectText;
    },
    // Names whose RDNs differ in number or attribute types never match, whatever the values.
    selfIssued: sameShape(decoded.subject, decoded.issuer) && nameKey(decoded.subject) === issuerKey,
    keyUsage: keyUsageMask === undefined ? undefined : keyUsageBits(keyUsageMask),
    keyUsageMask,
    basicConstraints,
    isCa: basicConstraints?.ca === true,
    subjectKeyId: extension(decoded, EXT.subjectKeyIdentifier, decodeSubjectKeyIdentifier),
    authorityKeyId: extension(decoded, EXT.authorityKeyIdentifier, decodeAuthorityKeyIdentifierValue)?.keyId,
    subjectAltNames: extension(decoded, EXT.subjectAltName, (v) => decodeGeneralNames(v, 'subjectAltName')),
    nameConstraints: extension(decoded, EXT.nameConstraints, decodeNameConstraints),
    extKeyUsage: extension(decoded, EXT.extKeyUsage, decodeExtendedKeyUsage),
    crlDistributionPoints: extension(decoded, EXT.crlDistributionPoints, decodeCrlDistributionPoints) ?? [],
    unknownCriticalExtensions: [...decoded.extensions.values()]
      .filter((e) => e.critical && !PROCESSED_EXTENSIONS.has(e.oid))
      .map((e) => e.oid),
    profileProblems: [],
    issuerSignatures: new Map(),
    get publicKey() {
      if (!imported) {
        publicKey = importKey(decoded);
        imported = true;
      }
      return publicKey;
    },
    verificationKey() {
      return this.publicKey;
    },
  };
  parsed.profileProblems = certificateProfileProblems(parsed, (oid, decode) => extension(decoded, oid, decode));
  return parsed;
}

/**
 * A bounded cache of parsed certificates keyed by their DER (least recently used out first), so a
 * returning holder's certificate costs a map lookup. A certificate is kept from its second sighting
 * on (sighting-filter.ts): one seen once, as on a morning of first logins, is parsed and let go.
 */
export interface CertificateCache {
  get(der: Uint8Array): ParsedCertificate;
  /** Whether `cert` is the instance this cache keeps (a certificate seen before). */
  keeps(cert: ParsedCertificate): boolean;
  readonly size: number;
}

export function createCertificateCache(maxEntries = 1024): CertificateCache {
  const entries = createExpiringMap<ParsedCertificate>({
    maxEntries,
    now: Date.now,
    touchOnGet: true,
    whenFull: 'evict-oldest',
  });
  const sightings = createSightingFilter(4 * maxEntries);
  return {
    get(der) {
      // Keyed by the DER's SHA-256, which the parsed certificate needs anyway: a short key, computed once.
      const key = sha256Hex(der);
      const hit = entries.get(key);
      if (hit !== undefined) return hit;
      // Used for this one request only: the caller's bytes serve, no copy is made.
      if (!sightings.seenBefore(key)) return parseCertificate(der, key);
      const parsed = parseCertificate(der.slice(), key);
      entries.set(key, parsed, Number.POSITIVE_INFINITY);
      return parsed;
    },
    keeps: (cert) => entries.get(cert.sha256) === cert,
    get size() {
      return entries.size;
    },
  };
}
