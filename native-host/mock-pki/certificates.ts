import { RSA_SHA256 } from './keys.js';
import {
  AUTH_CA_NAME,
  endEntityName,
  hcRoleExtensionValue,
  japaneseNameAltName,
  OID,
  POLICY,
  ROOT_NAME,
  SIGN_CA_NAME,
} from './profile.js';
import {
  AuthorityKeyIdentifierExtension,
  BasicConstraintsExtension,
  CertificatePolicyExtension,
  CRLDistributionPointsExtension,
  Extension,
  KeyUsageFlags,
  KeyUsagesExtension,
  Name,
  SubjectKeyIdentifierExtension,
  type X509Certificate,
  X509CertificateGenerator,
} from './x509.js';

/**
 * Certificates of the mock PKI, extension by extension as in the real ones (HPKI-CARD.md §6): CA
 * certificates with critical BasicConstraints, KU and certificatePolicies; end-entity certificates
 * with a critical single-purpose KU, a critical policy, hcRole, the Japanese name and a CRLDP.
 */

export type CaKind = 'auth' | 'sign';

export interface Validity {
  notBefore: Date;
  notAfter: Date;
}

/** An issuer: its certificate (for name and key identifier) and its private key. */
export interface Issuer {
  certificate: X509Certificate;
  signingKey: CryptoKey;
}

const CA_KEY_USAGE = KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign;

async function keyIdentifiers(publicKey: CryptoKey, issuer: X509Certificate | undefined): Promise<Extension[]> {
  const ski = await SubjectKeyIdentifierExtension.create(publicKey);
  if (issuer === undefined) return [ski];
  const issuerSki = issuer.getExtension(SubjectKeyIdentifierExtension);
  if (issuerSki === null) throw new Error('issuer certificate has no subject key identifier');
  return [new AuthorityKeyIdentifierExtension(issuerSki.keyId), ski];
}

export async function createRootCertificate(keys: CryptoKeyPair, validity: Validity): Promise<X509Certificate> {
  return X509CertificateGenerator.create({
    serialNumber: '01',
    subject: new Name(ROOT_NAME),
    issuer: new Name(ROOT_NAME),
    ...validity,
    signingAlgorithm: RSA_SHA256,
    publicKey: keys.publicKey,
    signingKey: keys.privateKey,
    extensions: [
      ...(await keyIdentifiers(keys.publicKey, undefined)),
      new BasicConstraintsExtension(true, undefined, true),
      new KeyUsagesExtension(CA_KEY_USAGE, true),
    ],
  });
}

export async function createIssuingCaCertificate(
  kind: CaKind,
  root: Issuer,
  publicKey: CryptoKey,
  validity: Validity,
): Promise<X509Certificate> {
  return X509CertificateGenerator.create({
    serialNumber: kind === 'auth' ? '02' : '03',
    subject: new Name(kind === 'auth' ? AUTH_CA_NAME : SIGN_CA_NAME),
    issuer: root.certificate.subjectName,
    ...validity,
    signingAlgorithm: RSA_SHA256,
    publicKey,
    signingKey: root.signingKey,
    extensions: [
      ...(await keyIdentifiers(publicKey, root.certificate)),
      new BasicConstraintsExtension(true, undefined, true),
      new KeyUsagesExtension(CA_KEY_USAGE, true),
      new CertificatePolicyExtension([kind === 'auth' ? POLICY.authCa : POLICY.signCa], true),
    ],
  });
}

export interface EndEntitySpec {
  purpose: CaKind;
  serialNumberHex: string;
  name: string;
  nameJa: string | undefined;
  id: string;
  role: string;
  validity: Validity;
  crlUrl: string;
}

export async function createEndEntityCertificate(
  spec: EndEntitySpec,
  issuer: Issuer,
  publicKey: CryptoKey,
): Promise<X509Certificate> {
  const subject = new Name(endEntityName(spec.name, spec.id));
  const extensions: Extension[] = [
    ...(await keyIdentifiers(publicKey, issuer.certificate)),
    new KeyUsagesExtension(
      spec.purpose === 'auth' ? KeyUsageFlags.digitalSignature : KeyUsageFlags.nonRepudiation,
      true,
    ),
  ];
  if (spec.nameJa !== undefined) {
    extensions.push(new Extension(OID.subjectAltName, false, japaneseNameAltName(spec.nameJa, spec.id)));
  }
  extensions.push(
    new CRLDistributionPointsExtension([spec.crlUrl]),
    new Extension(OID.subjectDirectoryAttributes, false, hcRoleExtensionValue(spec.role)),
    new CertificatePolicyExtension([spec.purpose === 'auth' ? POLICY.authEndEntity : POLICY.signEndEntity], true),
  );
  return X509CertificateGenerator.create({
    serialNumber: spec.serialNumberHex,
    subject,
    issuer: issuer.certificate.subjectName,
    ...spec.validity,
    signingAlgorithm: RSA_SHA256,
    publicKey,
    signingKey: issuer.signingKey,
    extensions,
  });
}
