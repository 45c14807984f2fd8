import type { KeyObject } from 'node:crypto';
import { createHash, createPublicKey } from 'node:crypto';
import type { DecodedCertificate } from '../../protocol/certificate-der.js';
import { decodeCertificate } from '../../protocol/certificate-der.js';
import type { BasicConstraintsValue, DistributionPointNames, KeyUsageBits } from '../../protocol/certificate-extensions.js';
import {
  EXT,
  decodeAuthorityKeyIdentifier,
  decodeBasicConstraints,
  decodeCrlDistributionPoints,
  decodeSubjectKeyIdentifier,
} from '../../protocol/certificate-extensions.js';
import { HpkiError } from '../../protocol/errors.js';
import type { HpkiCertificateInfo } from '../../protocol/hpki-certificate.js';
import { describeCertificate } from '../../protocol/hpki-certificate.js';
import { nameKey, nameToString } from '../../protocol/x500-name.js';
import { isAcceptableRsaKey } from './signature.js';

/**
 * A certificate decoded once with everything path validation and revocation need, so that CA
 * certificates (and recently seen end-entity certificates) are never parsed twice.
 */
export interface ParsedCertificate {
  decoded: DecodedCertificate;
  info: HpkiCertificateInfo;
  /** Lowercase hex SHA-256 of the DER: identity of this exact certificate. */
  sha256: string;
  subjectKey: string;
  issuerKey: string;
  subjectText: string;
  /** subject and issuer match (RFC 5280 "self-issued"). */
  selfIssued: boolean;
  keyUsage: KeyUsageBits | undefined;
  basicConstraints: BasicConstraintsValue | undefined;
  subjectKeyId: string | undefined;
  authorityKeyId: string | undefined;
  crlDistributionPoints: DistributionPointNames[];
  /** Critical extensions this verifier does not process: their presence makes a path untrusted. */
  unknownCriticalExtensions: string[];
  /** The subject public key, or undefined when Node cannot import it. */
  publicKey: KeyObject | undefined;
  /** The key is RSA of at least MIN_RSA_BITS: usable for the signatures this verifier accepts. */
  acceptableKey: boolean;
}

/**
 * Extensions whose semantics the verifier implements (or that carry no constraint, like SKI), so
 * that being critical is fine. certificatePolicies is here on purpose: HPKI marks it critical, and
 * the EE policy is checked as a separate purpose step (HPKI-CARD.md §7).
 */
const PROCESSED_EXTENSIONS: ReadonlySet<string> = new Set([
  EXT.keyUsage,
  EXT.basicConstraints,
  EXT.certificatePolicies,
  EXT.subjectKeyIdentifier,
  EXT.authorityKeyIdentifier,
  EXT.subjectAltName,
  EXT.subjectDirectoryAttributes,
  EXT.crlDistributionPoints,
]);

function extension<T>(decoded: DecodedCertificate, oid: string, decode: (value: Uint8Array) => T): T | undefined {
  const ext = decoded.extensions.get(oid);
  if (ext === undefined) return undefined;
  try {
    return decode(ext.value);
  } catch (err) {
    throw new HpkiError('ERR_TOKEN_MALFORMED', `certificate extension ${oid} is malformed`, { cause: err });
  }
}

function importKey(spki: Uint8Array): KeyObject | undefined {
  try {
    return createPublicKey({ key: Buffer.from(spki.buffer, spki.byteOffset, spki.byteLength), format: 'der', type: 'spki' });
  } catch {
    return undefined;
  }
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Decodes a DER certificate; bad DER → HpkiError ERR_TOKEN_MALFORMED. */
export function parseCertificate(der: Uint8Array): ParsedCertificate {
  const decoded = decodeCertificate(der);
  const info = describeCertificate(decoded);
  const subjectKey = nameKey(decoded.subject);
  const issuerKey = nameKey(decoded.issuer);
  const publicKey = importKey(decoded.subjectPublicKeyInfo);
  return {
    decoded,
    info,
    sha256: sha256Hex(der),
    subjectKey,
    issuerKey,
    subjectText: nameToString(decoded.subject),
    selfIssued: subjectKey === issuerKey,
    keyUsage: info.keyUsage,
    basicConstraints: extension(decoded, EXT.basicConstraints, decodeBasicConstraints),
    subjectKeyId: extension(decoded, EXT.subjectKeyIdentifier, decodeSubjectKeyIdentifier),
    authorityKeyId: extension(decoded, EXT.authorityKeyIdentifier, decodeAuthorityKeyIdentifier),
    crlDistributionPoints: extension(decoded, EXT.crlDistributionPoints, decodeCrlDistributionPoints) ?? [],
    unknownCriticalExtensions: [...decoded.extensions.values()]
      .filter((e) => e.critical && !PROCESSED_EXTENSIONS.has(e.oid))
      .map((e) => e.oid),
    publicKey,
    acceptableKey: isAcceptableRsaKey(publicKey),
  };
}

/**
 * A bounded cache of parsed certificates keyed by their DER (least recently used out first).
 * Parsing costs about a millisecond; a returning holder's certificate costs a map lookup.
 */
export interface CertificateCache {
  get(der: Uint8Array): ParsedCertificate;
  readonly size: number;
}

export function createCertificateCache(maxEntries = 1024): CertificateCache {
  const entries = new Map<string, ParsedCertificate>();
  return {
    get(der) {
      // The DER itself as the key: cheaper than hashing it, and exact.
      const key = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('latin1');
      const hit = entries.get(key);
      if (hit !== undefined) {
        entries.delete(key);
        entries.set(key, hit);
        return hit;
      }
      const parsed = parseCertificate(der.slice());
      entries.set(key, parsed);
      if (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
      return parsed;
    },
    get size() {
      return entries.size;
    },
  };
}
