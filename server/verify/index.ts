// The relying party's verifier: token validation (PROTOCOL.md §5) and certificate validation.

export { HPKI_KEY_POLICY, type KeyPolicy } from '../cert/index.js';
export { type CrlFetcher, type CrlFetcherOptions, createCrlFetcher } from '../revocation/index.js';
export {
  type CertificateCheck,
  type CertificateValidation,
  type CertificateValidator,
  type CertificateValidatorOptions,
  createCertificateValidator,
  type RevocationMode,
  type SkippedInputs,
} from './certificate-validator.js';
export { checkRole } from './role.js';
export {
  checkDigestInfoSignature,
  createSignatureVerifier,
  type RawSignature,
  type SignatureResult,
  type SignatureVerifier,
  type SignatureVerifierOptions,
} from './signature-verifier.js';
export { signerFields, summarizeVerification, type VerificationFacts, type VerificationSummary } from './summary.js';
export {
  type ChallengeTake,
  createTokenVerifier,
  type DetailedTokenVerifier,
  type LoginResult,
  type TokenReport,
  type TokenVerifier,
  type VerifierOptions,
  type VerifyContext,
} from './token-verifier.js';
