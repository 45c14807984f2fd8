import { EXT } from '../../protocol/certificate-extensions.js';
import type { KeyPolicy } from './key-policy.js';
import type { NameConstraintState } from './name-constraints.js';
import { addNameConstraints, NO_NAME_CONSTRAINTS, nameConstraintProblem } from './name-constraints.js';
import type { ParsedCertificate } from './parsed-certificate.js';

/**
 * The checks of RFC 5280 §6.1 on one certificate (as issuer) and on a whole candidate path: what
 * can be decided before any signature is verified, and what needs the complete path.
 */

export type PathErrorCode = 'ERR_CERT_UNTRUSTED' | 'ERR_CERT_EXPIRED' | 'ERR_CERT_NOT_YET_VALID';

// CA certificates are checked on every validation: remember each answer per key policy.
const remembered = new WeakMap<KeyPolicy, WeakMap<ParsedCertificate, { problem: string | undefined }>>();

/** Why `cert` cannot be used at all (as end entity or CA), or undefined. */
export function certificateProblem(cert: ParsedCertificate, keyPolicy: KeyPolicy): string | undefined {
  let byCert = remembered.get(keyPolicy);
  if (byCert === undefined) {
    byCert = new WeakMap();
    remembered.set(keyPolicy, byCert);
  }
  let known = byCert.get(cert);
  if (known === undefined) {
    known = { problem: findCertificateProblem(cert, keyPolicy) };
    byCert.set(cert, known);
  }
  return known.problem;
}

function findCertificateProblem(cert: ParsedCertificate, keyPolicy: KeyPolicy): string | undefined {
  if (cert.unknownCriticalExtensions.length > 0) {
    return `${cert.subjectText} has unsupported critical extension ${cert.unknownCriticalExtensions.join(', ')}`;
  }
  const profile = cert.profileProblems[0];
  if (profile !== undefined) return `${cert.subjectText}: ${profile}`;
  const key = cert.keyProblem(keyPolicy);
  return key === undefined ? undefined : `${cert.subjectText}: ${key}`;
}

/** Why `candidate` cannot sign certificates (§6.1.4 k, n; §4.2.1.3), or undefined. */
export function issuerProblem(candidate: ParsedCertificate, keyPolicy: KeyPolicy): string | undefined {
  if (!candidate.isCa) return `${candidate.subjectText} is not a CA certificate`;
  if (candidate.keyUsage === undefined)
    return `${candidate.subjectText} has no keyUsage (RFC 5280 §4.2.1.3: required in a certificate whose key verifies certificates)`;
  if (!candidate.keyUsage.keyCertSign) return `${candidate.subjectText} may not sign certificates`;
  return certificateProblem(candidate, keyPolicy);
}

/**
 * Why a configured trust anchor cannot end a path (§4.2.1.9: a CA certificate whose key verifies
 * certificates marks basicConstraints critical), or undefined. Only anchors: PKITS 4.6.4 requires
 * accepting an intermediate whose basicConstraints is not critical, as most verifiers do.
 */
export function anchorProblem(anchor: ParsedCertificate): string | undefined {
  if (anchor.decoded.extensions.get(EXT.basicConstraints)?.critical === true) return undefined;
  return `${anchor.subjectText}: RFC 5280 §4.2.1.9: trust anchor whose basicConstraints is not critical`;
}

/** pathLenConstraint (§6.1.4 l–m): a CA allows so many non-self-issued intermediates below it. */
function pathLengthProblem(path: readonly ParsedCertificate[]): string | undefined {
  for (let j = 1; j < path.length; j++) {
    const pathLen = path[j]!.basicConstraints?.pathLen;
    if (pathLen === undefined) continue;
    const below = path.slice(1, j).filter((c) => !c.selfIssued).length;
    if (below > pathLen) return `${path[j]!.subjectText} allows ${pathLen} CA certificates below it`;
  }
  return undefined;
}

/**
 * Name constraints from the anchor down (§6.1.3 b–c, §6.1.4 g). Constraints in the anchor
 * certificate are honoured too: §6.2 leaves that to the implementation, and an operator who
 * configured a constrained root means it. Self-issued intermediates are not checked, the end
 * entity always is.
 */
function nameConstraintsProblem(path: readonly ParsedCertificate[]): string | undefined {
  const anchor = path[path.length - 1]!;
  let state: NameConstraintState =
    anchor.nameConstraints === undefined
      ? NO_NAME_CONSTRAINTS
      : addNameConstraints(NO_NAME_CONSTRAINTS, anchor.nameConstraints);
  for (let i = path.length - 2; i >= 0; i--) {
    const cert = path[i]!;
    if (!cert.selfIssued || i === 0) {
      const problem = nameConstraintProblem(cert, state);
      if (problem !== undefined) return problem;
    }
    if (i > 0 && cert.nameConstraints !== undefined) state = addNameConstraints(state, cert.nameConstraints);
  }
  return undefined;
}

function dateProblem(
  path: readonly ParsedCertificate[],
  at: Date,
): { code: PathErrorCode; message: string } | undefined {
  const t = at.getTime();
  for (const cert of path) {
    const { notBefore, notAfter } = cert.decoded;
    if (t < notBefore.getTime())
      return {
        code: 'ERR_CERT_NOT_YET_VALID',
        message: `${cert.subjectText} is valid only from ${notBefore.toISOString()}`,
      };
    if (t > notAfter.getTime())
      return { code: 'ERR_CERT_EXPIRED', message: `${cert.subjectText} expired at ${notAfter.toISOString()}` };
  }
  return undefined;
}

/** The checks that need the complete path, end entity first and anchor last; undefined when it passes. */
export function completePathProblem(
  path: readonly ParsedCertificate[],
  at: Date,
): { code: PathErrorCode; message: string } | undefined {
  const structural = pathLengthProblem(path) ?? nameConstraintsProblem(path);
  if (structural !== undefined) return { code: 'ERR_CERT_UNTRUSTED', message: structural };
  return dateProblem(path, at);
}
