import { HpkiError } from '../../protocol/errors.js';
import type { HpkiCertificateInfo } from '../../protocol/hpki-certificate.js';

/**
 * What an end-entity certificate may be used for (PROTOCOL.md §5 step 3, §9): `auth` needs the
 * digitalSignature key usage and an authentication policy; `sign` needs nonRepudiation and a
 * signing policy; both need the holder id of the HPKI profile. A policy matches an arc when it is the arc or lies below it.
 */

export type CertificatePurpose = 'auth' | 'sign';

export const DEFAULT_AUTH_POLICY_ARCS: readonly string[] = ['1.2.392.100495.1.5.1.2'];
export const DEFAULT_SIGN_POLICY_ARCS: readonly string[] = ['1.2.392.100495.1.5.1.1'];

export function policyInArcs(policy: string, arcs: readonly string[]): boolean {
  return arcs.some((arc) => policy === arc || policy.startsWith(`${arc}.`));
}

const ANY_EXTENDED_KEY_USAGE = '2.5.29.37.0';

/**
 * Extended key usages that fit each purpose (RFC 5280 §4.2.1.12: with the extension present, the
 * certificate is for the purposes it lists only). HPKI end entities carry none.
 */
const PURPOSE_KEY_USAGES: Readonly<Record<CertificatePurpose, readonly string[]>> = {
  // id-kp-clientAuth: a login is TLS-style client authentication.
  auth: [ANY_EXTENDED_KEY_USAGE, '1.3.6.1.5.5.7.3.2'],
  // id-kp-emailProtection, id-kp-documentSigning (RFC 9336), and the two document-signing arcs in use before it.
  sign: [
    ANY_EXTENDED_KEY_USAGE,
    '1.3.6.1.5.5.7.3.4',
    '1.3.6.1.5.5.7.3.36',
    '1.3.6.1.4.1.311.10.3.12',
    '1.2.840.113583.1.1.5',
  ],
};

/**
 * Throws ERR_CERT_PURPOSE or ERR_CERT_POLICY when the certificate does not fit the purpose.
 * `extKeyUsage` is the certificate's extendedKeyUsage, when it has one.
 */
export function checkPurpose(
  info: HpkiCertificateInfo,
  purpose: CertificatePurpose,
  policyArcs?: readonly string[],
  extKeyUsage?: readonly string[],
): void {
  const ku = info.keyUsage;
  const usable = !info.isCa && (purpose === 'auth' ? ku?.digitalSignature === true : ku?.nonRepudiation === true);
  if (!usable) {
    throw new HpkiError(
      'ERR_CERT_PURPOSE',
      purpose === 'auth'
        ? 'certificate is not an authentication certificate (digitalSignature key usage needed)'
        : 'certificate is not a signing certificate (nonRepudiation key usage needed)',
    );
  }
  if (extKeyUsage !== undefined && !extKeyUsage.some((k) => PURPOSE_KEY_USAGES[purpose].includes(k))) {
    throw new HpkiError(
      'ERR_CERT_PURPOSE',
      `certificate's extended key usage (${extKeyUsage.join(', ')}) does not include ${purpose === 'auth' ? 'client authentication' : 'signing'}`,
    );
  }
  const arcs = policyArcs ?? (purpose === 'auth' ? DEFAULT_AUTH_POLICY_ARCS : DEFAULT_SIGN_POLICY_ARCS);
  if (!info.policies.some((p) => policyInArcs(p, arcs))) {
    throw new HpkiError('ERR_CERT_POLICY', `certificate policy not in ${arcs.join(', ')}`);
  }
  // The HPKI profile names every holder by the subject's serialNumber, and sites key accounts on it
  // (§5 step 8): a certificate without one is outside the profile, refused here with the policy.
  if (info.holderId === undefined || info.holderId === '') {
    throw new HpkiError('ERR_CERT_POLICY', 'certificate has no holder id (subject serialNumber)');
  }
}
