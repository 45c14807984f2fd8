// The mock HPKI's public surface: other parts import from here.
export {
  type HolderSpec,
  type IssuedCert,
  issueHolderCertificates,
  loadOrCreateMockPki,
  type MockPki,
  makeCrl,
  writeCurrentCrls,
} from './mock-pki.js';
export { DEFAULT_CRL_BASE_URL, hcRoleExtensionValue, POLICY } from './profile.js';
export { FILES as MOCK_PKI_FILES } from './store.js';
export { CertificatePolicyExtension, X509Certificate } from './x509.js';
