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
import type { KeyPolicy } from './key-policy.js';
import { keyPolicyProblem } from './key-policy.js';
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
  /** keyPolicyProblem of this certificate's key under `policy`, remembered for the last policy asked about. */
  keyProblem(policy: KeyPolicy): string | undefined;
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
 * The parsed certificate as a class: the subject's name key, its display text and its public key
 * are made on first use by getters on the prototype. (An object literal with getters made closures
 * per certificate, and V8 kept those literals alive through scavenges: a loop of parses promoted
 * megabytes to the old generation, docs/verifier-speed.md.)
 */
class Parsed implements ParsedCertificate {
  decoded: DecodedCertificate;
  info: HpkiCertificateInfo;
  sha256: string;
  issuerKey: string;
  selfIssued: boolean;
  keyUsage: KeyUsageBits | undefined;
  keyUsageMask: number | undefined;
  basicConstraints: BasicConstraintsValue | undefined;
  isCa: boolean;
  subjectKeyId: string | undefined;
  authorityKeyId: string | undefined;
  subjectAltNames: GeneralName[] | undefined;
  nameConstraints: NameConstraintsValue | undefined;
  extKeyUsage: string[] | undefined;
  crlDistributionPoints: DistributionPoint[];
  unknownCriticalExtensions: string[];
  profileProblems: string[] = [];
  readonly issuerSignatures = new Map<string, boolean>();
  #subjectKey: string | undefined = undefined;
  #subjectText: string | undefined = undefined;
  #publicKey: KeyObject | undefined = undefined;
  #imported = false;
  #keyPolicy: KeyPolicy | undefined = undefined;
  #keyProblem: string | undefined = undefined;

  constructor(decoded: DecodedCertificate, sha256: string) {
    this.decoded = decoded;
    this.info = describeCertificate(decoded);
    this.sha256 = sha256;
    this.issuerKey = nameKey(decoded.issuer);
    // Names whose RDNs differ in number or attribute types never match, whatever the values.
    this.selfIssued = sameShape(decoded.subject, decoded.issuer) && this.subjectKey === this.issuerKey;
    const keyUsageMask = extension(decoded, EXT.keyUsage, decodeKeyUsageMask);
    this.keyUsageMask = keyUsageMask;
    this.keyUsage = keyUsageMask === undefined ? undefined : keyUsageBits(keyUsageMask);
    this.basicConstraints = extension(decoded, EXT.basicConstraints, decodeBasicConstraints);
    this.isCa = this.basicConstraints?.ca === true;
    this.subjectKeyId = extension(decoded, EXT.subjectKeyIdentifier, decodeSubjectKeyIdentifier);
    this.authorityKeyId = extension(decoded, EXT.authorityKeyIdentifier, decodeAuthorityKeyIdentifierValue)?.keyId;
    this.subjectAltNames = extension(decoded, EXT.subjectAltName, decodeSubjectAltNames);
    this.nameConstraints = extension(decoded, EXT.nameConstraints, decodeNameConstraints);
    this.extKeyUsage = extension(decoded, EXT.extKeyUsage, decodeExtendedKeyUsage);
    this.crlDistributionPoints = extension(decoded, EXT.crlDistributionPoints, decodeCrlDistributionPoints) ?? [];
    this.unknownCriticalExtensions = unknownCritical(decoded);
  }

  get subjectKey(): string {
    this.#subjectKey ??= nameKey(this.decoded.subject);
    return this.#subjectKey;
  }

  get subjectText(): string {
    this.#subjectText ??= nameToString(this.decoded.subject);
    return this.#subjectText;
  }

  get publicKey(): KeyObject | undefined {
    if (!this.#imported) {
      this.#publicKey = importKey(this.decoded);
      this.#imported = true;
    }
    return this.#publicKey;
  }

  verificationKey(): VerificationKey | undefined {
    return this.publicKey;
  }

  keyProblem(policy: KeyPolicy): string | undefined {
    if (this.#keyPolicy !== policy) {
      this.#keyProblem = keyPolicyProblem(this.decoded, policy);
      this.#keyPolicy = policy;
    }
    return this.#keyProblem;
  }
}

const decodeSubjectAltNames = (value: Uint8Array): GeneralName[] => decodeGeneralNames(value, 'subjectAltName');

/** OIDs of the critical extensions this verifier does not process. */
function unknownCritical(decoded: DecodedCertificate): string[] {
  const out: string[] = [];
  for (const e of decoded.extensions.values()) if (e.critical && !PROCESSED_EXTENSIONS.has(e.oid)) out.push(e.oid);
  return out;
}

/**
 * Decodes a DER certificate; bad DER or a malformed recognized extension → HpkiError
 * ERR_TOKEN_MALFORMED. `sha256` is the DER's hash when the caller already has it.
 */
export function parseCertificate(der: Uint8Array, sha256: string = sha256Hex(der)): ParsedCertificate {
  const decoded = decodeCertificate(der);
  const parsed = new Parsed(decoded, sha256);
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
  /**
   * The certificate whose DER `decode(text)` gives (undefined when it does not decode). A kept
   * certificate is also found by the exact text it came in: equal texts are equal bytes, so a
   * returning holder's token costs neither the base64 decoding nor the hash.
   */
  getEncoded(text: string, decode: (text: string) => Uint8Array | undefined): ParsedCertificate | undefined;
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
  // Kept certificates by the text they came in, as many as the cache keeps; an alias whose
  // certificate the cache has let go is dropped when next read, or pushed out by newer ones.
  const byText = new Map<string, ParsedCertificate>();
  const get = (der: Uint8Array): ParsedCertificate => {
    // Keyed by the DER's SHA-256, which the parsed certificate needs anyway: a short key, computed once.
    const key = sha256Hex(der);
    const hit = entries.get(key);
    if (hit !== undefined) return hit;
    // Used for this one request only: the caller's bytes serve, no copy is made.
    if (!sightings.seenBefore(key)) return parseCertificate(der, key);
    const parsed = parseCertificate(der.slice(), key);
    entries.set(key, parsed, Number.POSITIVE_INFINITY);
    return parsed;
  };
  const keeps = (cert: ParsedCertificate): boolean => entries.get(cert.sha256) === cert;
  return {
    get,
    getEncoded(text, decode) {
      const known = byText.get(text);
      if (known !== undefined) {
        if (keeps(known)) return known;
        byText.delete(text);
      }
      const der = decode(text);
      if (der === undefined) return undefined;
      const parsed = get(der);
      if (keeps(parsed)) {
        if (byText.size >= maxEntries) byText.delete(byText.keys().next().value as string);
        // A copy of its own: a string from JSON.parse may be a slice of the whole request body, which
        // the cache must not keep alive. (The text decoded strictly, so it is ASCII: latin1 is exact.)
        byText.set(Buffer.from(text, 'latin1').toString('latin1'), parsed);
      }
      return parsed;
    },
    keeps,
    get size() {
      return entries.size;
    },
  };
}

/**
 * The key to check a signature by `certificate` with, once the key policy admits it (its answer kept
 * on the certificate) and it imports: else ERR_SIGNATURE_INVALID saying why. Every signature the
 * verifier checks by an end entity (a login token, a raw signature, a document) goes through it.
 */
export function usableKey(certificate: ParsedCertificate, policy: KeyPolicy): VerificationKey {
  const problem = certificate.keyProblem(policy);
  const key = problem === undefined ? certificate.verificationKey() : undefined;
  if (key === undefined)
    throw new HpkiError('ERR_SIGNATURE_INVALID', `certificate key is not usable: ${problem ?? 'it does not import'}`);
  return key;
}
