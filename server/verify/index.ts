// The relying party's verifier: token validation (PROTOCOL.md §5) and certificate validation.
export {
  createTokenVerifier,
  type ChallengeTake,
  type DetailedTokenVerifier,
  type LoginResult,
  type TokenReport,
  type TokenVerifier,
  type VerifierOptions,
  type VerifyContext,
} from './token-verifier.js';
export {
  createCertificateValidator,
  type CertificateCheck,
  type CertificateValidation,
  type CertificateValidator,
  type CertificateValidatorOptions,
  type RevocationMode,
  type SkippedInputs,
} from './certificate-validator.js';
export { HPKI_KEY_POLICY, type KeyPolicy } from '../cert/key-policy.js';
export { checkRole } from './role.js';
export { createCrlFetcher, type CrlFetcher, type CrlFetcherOptions } from '../revocation/crl-fetcher.js';
