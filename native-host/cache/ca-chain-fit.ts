import { createHash, X509Certificate } from 'node:crypto';
import { type DecodedCertificate, decodeCertificate } from '../../protocol/certificate-der.js';
import {
  decodeAuthorityKeyIdentifier,
  decodeSubjectKeyIdentifier,
  EXT,
} from '../../protocol/certificate-extensions.js';

/**
 * When CA certificates belong to an end-entity certificate: the key the CA cache files them under
 * (the end entity's issuer name and authority key identifier) and the check made before a cached
 * chain is used: each CA's subject is its child's issuer, its key identifier is the child's authority
 * key identifier, and its key verifies the child's signature.
 */

function decoded(der: Uint8Array): DecodedCertificate | undefined {
  try {
    return decodeCertificate(der);
  } catch {
    return undefined;
  }
}

function extension(cert: DecodedCertificate, oid: string): Uint8Array | undefined {
  return cert.extensions.get(oid)?.value;
}

function authorityKeyId(cert: DecodedCertificate): string | undefined {
  const value = extension(cert, EXT.authorityKeyIdentifier);
  try {
    return value === undefined ? undefined : decodeAuthorityKeyIdentifier(value);
  } catch {
    return undefined;
  }
}

function subjectKeyId(cert: DecodedCertificate): string | undefined {
  const value = extension(cert, EXT.subjectKeyIdentifier);
  try {
    return value === undefined ? undefined : decodeSubjectKeyIdentifier(value);
  } catch {
    return undefined;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * The cache key of an end-entity certificate's CA chain: SHA-256 over its issuer Name and its
 * authority key identifier, as hex. Undefined without an authority key identifier (every HPKI
 * certificate has one): such a chain is not cached.
 */
export function caCacheKey(endEntity: Uint8Array): string | undefined {
  const cert = decoded(endEntity);
  const aki = cert === undefined ? undefined : authorityKeyId(cert);
  if (cert === undefined || aki === undefined) return undefined;
  return createHash('sha256').update(cert.issuerDer).update(Uint8Array.of(0)).update(aki, 'utf8').digest('hex');
}

function issues(parent: DecodedCertificate, child: DecodedCertificate): boolean {
  if (!sameBytes(parent.subjectDer, child.issuerDer)) return false;
  const aki = authorityKeyId(child);
  if (aki !== undefined && subjectKeyId(parent) !== aki) return false;
  try {
    return new X509Certificate(child.der).verify(new X509Certificate(parent.der).publicKey);
  } catch {
    return false;
  }
}

/** Whether `caCertificates` (nearest first) is the chain of `endEntity`: each one issued the one before it. */
export function caChainFits(endEntity: Uint8Array, caCertificates: readonly Uint8Array[]): boolean {
  const ee = decoded(endEntity);
  if (ee === undefined || caCertificates.length === 0 || authorityKeyId(ee) === undefined) return false;
  let child = ee;
  for (const der of caCertificates) {
    const parent = decoded(der);
    if (parent === undefined || !issues(parent, child)) return false;
    child = parent;
  }
  return true;
}
