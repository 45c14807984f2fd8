import type { HpkiError } from '../../protocol/errors.js';
import type { ParsedCertificate } from '../cert/index.js';
import type { PathRevocation } from '../revocation/index.js';

/**
 * The one-object answer of `verify-cert` and `verify-token` (PROTOCOL.md §9). Holder and role are
 * shown whenever the certificate could be read, the chain whenever a path was built, so that a
 * refusal can be understood.
 */
export interface VerificationSummary {
  valid: boolean;
  error?: string;
  hcRole?: string;
  holder?: { name: string; nameJa?: string; id: string };
  /** Subjects from the end entity to the trust anchor. */
  chain?: string[];
  revocation: 'good' | 'revoked' | 'not-checked';
}

export interface VerificationFacts {
  error: HpkiError | undefined;
  certificate: ParsedCertificate | undefined;
  path: ParsedCertificate[] | undefined;
  revocation: PathRevocation | undefined;
}

/**
 * The role, holder and chain of a report, whenever the certificate could be read and a path was built:
 * the same fields in `verify-cert`'s answer and in every signed-document report.
 */
export function signerFields(
  certificate: ParsedCertificate | undefined,
  path: readonly ParsedCertificate[] | undefined,
): Pick<VerificationSummary, 'hcRole' | 'holder' | 'chain'> {
  const info = certificate?.info;
  return {
    ...(info?.hcRole === undefined ? {} : { hcRole: info.hcRole }),
    ...(info === undefined
      ? {}
      : {
          holder: {
            name: info.subjectName,
            ...(info.nameJa === undefined ? {} : { nameJa: info.nameJa }),
            id: info.holderId ?? '',
          },
        }),
    ...(path === undefined ? {} : { chain: path.map((c) => c.subjectText) }),
  };
}

export function summarizeVerification(facts: VerificationFacts): VerificationSummary {
  const revocation =
    facts.revocation?.status === 'revoked' ? 'revoked' : facts.revocation?.status === 'good' ? 'good' : 'not-checked';
  return {
    valid: facts.error === undefined,
    ...(facts.error === undefined ? {} : { error: facts.error.code }),
    ...signerFields(facts.certificate, facts.path),
    revocation,
  };
}
