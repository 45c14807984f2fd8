// Certificate paths (RFC 5280): what verify/ and revocation/ use; other folders import from here.

export { checkKeyPolicy, HPKI_KEY_POLICY, type KeyPolicy } from './key-policy.js';
export { type ParsedCertificate, parseCertificate, usableKey } from './parsed-certificate.js';
export { certificateProblem } from './path-checks.js';
export { validatePath } from './path-validation.js';
export { decodePemBlocks } from './pem.js';
export {
  type CertificatePurpose,
  checkPurpose,
  DEFAULT_AUTH_POLICY_ARCS,
  DEFAULT_SIGN_POLICY_ARCS,
} from './purpose.js';
export { createSignatureBudget, type SignatureBudget, verifySignedData } from './signature.js';
export { createTrustStore, type SkippedInput, type TrustStore } from './trust-store.js';
