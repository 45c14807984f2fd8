// The mock HPKI's public surface: other parts import from here.
export {
  issueHolderCertificates, loadOrCreateMockPki, makeCrl, writeCurrentCrls,
  type HolderSpec, type IssuedCert, type MockPki,
} from './mock-pki.js';
export { DEFAULT_CRL_BASE_URL, POLICY, hcRoleExtensionValue } from './profile.js';
export { FILES as MOCK_PKI_FILES } from './store.js';
