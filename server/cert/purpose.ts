import { HpkiError } from '../../protocol/errors.js';
import type { HpkiCertificateInfo } from '../../protocol/hpki-certificate.js';

/**
 * What an end-entity certificate may be used for (PROTOCOL.md §5 step 3, §9): `auth` needs the
 * digitalSignature key usage and an authentication policy; `sign` needs nonRepudiation and a
 * signing policy. A policy matches an arc when it is the arc or lies below it.
 */

export type CertificatePurpose = 'auth' | 'sign';

export const DEFAULT_AUTH_POLICY_ARCS: readonly string[] = ['1.2.392.100495.1.5.1.2'];
export const DEFAULT_SIGN_POLICY_ARCS: readonly string[] = ['1.2.392.100495.1.5.1.1'];

export function policyInArcs(policy: string, arcs: readonly string[]): boolean {
  return arcs.some((arc) => policy === arc || policy.startsWith(`${arc}.`));
}

/** Throws ERR_CERT_PURPOSE or ERR_CERT_POLICY when the certificate does not fit the purpose. */
export function checkPurpose(info: HpkiCertificateInfo, purpose: CertificatePurpose, policyArcs?: readonly string[]): void {
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
  const arcs = policyArcs ?? (purpose === 'auth' ? DEFAULT_AUTH_POLICY_ARCS : DEFAULT_SIGN_POLICY_ARCS);
  if (!info.policies.some((p) => policyInArcs(p, arcs))) {
    throw new HpkiError('ERR_CERT_POLICY', `certificate policy not in ${arcs.join(', ')}`);
  }
}
