import type { ParsedCertificate } from '../cert/parsed-certificate.js';
import type { ParsedCrl } from './crl.js';
import { isCrlFresh } from './crl.js';
import { crlCoversCertificate } from './crl-scope.js';

/**
 * Revocation of a validated path by CRL (PROTOCOL.md §5 step 5). The end entity needs a current
 * CRL from its issuer; a CA certificate is checked only when CRLs of its issuer that cover it (the
 * MHLW ARLs) were configured or fetched. A CRL counts when its issuer name matches, the issuing CA's
 * key verifies it, its scope covers the certificate, it is usable, and it was issued by `at`
 * (a list from the future says nothing about that moment).
 */

export type CertificateRevocationStatus = 'good' | 'revoked' | 'unknown' | 'not-checked';

export interface CertificateRevocation {
  subject: string;
  status: CertificateRevocationStatus;
  /** Why the status is what it is, for logs and the CLI. */
  detail: string;
}

export interface PathRevocation {
  /** revoked if any certificate is; else unknown if any is; else good for the end entity. */
  status: 'good' | 'revoked' | 'unknown';
  certificates: CertificateRevocation[];
}

/** Where CRLs for one certificate come from: configured files, fetched CRLDP URIs. */
export interface CrlProvider {
  /** Synchronous when nothing needs fetching, which keeps a warm validation off the microtask queue. */
  crlsFor(cert: ParsedCertificate, endEntity: boolean): readonly ParsedCrl[] | Promise<readonly ParsedCrl[]>;
  signedBy(crl: ParsedCrl, issuer: ParsedCertificate): boolean;
}

function checkOne(
  cert: ParsedCertificate,
  issuer: ParsedCertificate,
  crls: readonly ParsedCrl[],
  at: Date,
  signedBy: CrlProvider['signedBy'],
  required: boolean,
): CertificateRevocation {
  const subject = cert.subjectText;
  if (crls.length === 0) {
    const detail = 'no CRL of its issuer';
    return required ? { subject, status: 'unknown', detail } : { subject, status: 'not-checked', detail };
  }
  const t = at.getTime();
  const applicable = crls.filter(
    (crl) => crl.unusable === undefined && crl.thisUpdate.getTime() <= t && crlCoversCertificate(crl, cert) && signedBy(crl, issuer),
  );
  const hit = applicable.map((crl) => crl.revoked.get(cert.decoded.serialNumberHex)).find((e) => e !== undefined);
  if (hit !== undefined) {
    return { subject, status: 'revoked', detail: `revoked at ${hit.revocationDate.toISOString()}${hit.reason === undefined ? '' : ` (reason ${hit.reason})`}` };
  }
  const fresh = applicable.find((crl) => isCrlFresh(crl, at));
  if (fresh !== undefined) return { subject, status: 'good', detail: `not on the CRL of ${fresh.thisUpdate.toISOString()}` };
  if (applicable.length > 0) return { subject, status: 'unknown', detail: 'only stale CRLs (past nextUpdate)' };
  const detail = whyNoCrlApplies(cert, issuer, crls, at, signedBy);
  return required ? { subject, status: 'unknown', detail } : { subject, status: 'not-checked', detail };
}

function whyNoCrlApplies(
  cert: ParsedCertificate,
  issuer: ParsedCertificate,
  crls: readonly ParsedCrl[],
  at: Date,
  signedBy: CrlProvider['signedBy'],
): string {
  const unusable = crls.find((crl) => crl.unusable !== undefined);
  if (unusable?.unusable !== undefined) return unusable.unusable;
  const inScope = crls.filter((crl) => crlCoversCertificate(crl, cert));
  if (inScope.length === 0) return 'no CRL of its issuer covers it (distribution point)';
  if (inScope.every((crl) => crl.thisUpdate.getTime() > at.getTime())) return 'its CRLs were issued after the validation time';
  if (!inScope.some((crl) => signedBy(crl, issuer))) return 'its CRLs are not signed by the issuing CA';
  return 'no usable CRL';
}

/** `path` is end entity first, trust anchor last (a self-signed anchor is its own issuer). */
export async function checkPathRevocation(path: readonly ParsedCertificate[], provider: CrlProvider, at: Date): Promise<PathRevocation> {
  const certificates: CertificateRevocation[] = [];
  for (let i = 0; i < path.length; i++) {
    const cert = path[i]!;
    const issuer = path[i + 1] ?? (cert.selfIssued ? cert : undefined);
    if (issuer === undefined) {
      certificates.push({ subject: cert.subjectText, status: 'not-checked', detail: 'trust anchor without a known issuer' });
      continue;
    }
    const found = provider.crlsFor(cert, i === 0);
    const crls = Array.isArray(found) ? (found as readonly ParsedCrl[]) : await found;
    certificates.push(checkOne(cert, issuer, crls, at, provider.signedBy, i === 0));
  }
  const statuses = certificates.map((c) => c.status);
  const status = statuses.includes('revoked') ? 'revoked' : statuses.includes('unknown') ? 'unknown' : 'good';
  return { status, certificates };
}
