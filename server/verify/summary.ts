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

export function summarizeVerification(facts: VerificationFacts): VerificationSummary {
  const info = facts.certificate?.info;
  const revocation =
    facts.revocation?.status === 'revoked' ? 'revoked' : facts.revocation?.status === 'good' ? 'good' : 'not-checked';
  return {
    valid: facts.error === undefined,
    ...(facts.error === undefined ? {} : { error: facts.error.code }),
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
    ...(facts.path === undefined ? {} : { chain: facts.path.map((c) => c.subjectText) }),
    revocation,
  };
}
