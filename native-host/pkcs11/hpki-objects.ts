import type { PinApplication } from '../../protocol/messages.js';
import { CertificatePolicyExtension, X509Certificate } from '../mock-pki/index.js';
import type { Handle, Pkcs11Module } from './pkcs11-library.js';
import { pkcs11js } from './pkcs11-library.js';

/**
 * Finding the authentication certificate, its key and the CA certificates on a PKCS#11 token.
 * Vendor HPKI modules use the JAHIS labels (HPKI-CARD.md §5); other modules (OpenSC, SoftHSM) are
 * matched the PKCS#11 way, a certificate and a key sharing one CKA_ID.
 */

export const JAHIS_LABELS = {
  privateKey: 'Private key of HPKI',
  endEntity: 'HPKI END ENTITY CERTIFICATE',
  /** In the order the JAHIS guideline lists them: issuing CA, then roots. */
  ca: ['HPKI CA CERTIFICATE', 'HPKI ROOT CA CERTIFICATE', 'MHLW CA CERTIFICATE'],
} as const;

/** The HPKI certificate policy arc (signing `…1.1`, authentication `…1.2`). */
const HPKI_POLICY_ARC = '1.2.392.100495.1.5.1.';
const HPKI_SIGN_POLICY_ARC = `${HPKI_POLICY_ARC}1.`;
const MAX_OBJECTS = 256;
const MAX_CERTIFICATE_BYTES = 16 * 1024;

export interface TokenCertificate {
  handle: Handle;
  id: Buffer;
  label: string;
  der: Uint8Array;
}

export interface AuthObjects {
  endEntity: TokenCertificate;
  /** CA certificates, nearest first. */
  caCertificates: Uint8Array[];
  /** True when the card is an HPKI card: JAHIS labels, or an HPKI policy in the certificate. */
  isHpki: boolean;
}

type Template = Parameters<Pkcs11Module['C_FindObjectsInit']>[1];

export function findObjects(module: Pkcs11Module, session: Handle, template: Template): Handle[] {
  module.C_FindObjectsInit(session, template);
  try {
    const found: Handle[] = [];
    while (found.length < MAX_OBJECTS) {
      const batch = module.C_FindObjects(session, 32);
      if (batch.length === 0) break;
      found.push(...batch);
    }
    return found;
  } finally {
    module.C_FindObjectsFinal(session);
  }
}

function attribute(module: Pkcs11Module, session: Handle, handle: Handle, type: number): Buffer {
  const [result] = module.C_GetAttributeValue(session, handle, [{ type }]);
  return result?.value ?? Buffer.alloc(0);
}

function readCertificates(module: Pkcs11Module, session: Handle): TokenCertificate[] {
  const lib = pkcs11js();
  const certs: TokenCertificate[] = [];
  for (const handle of findObjects(module, session, [{ type: lib.CKA_CLASS, value: lib.CKO_CERTIFICATE }])) {
    const der = attribute(module, session, handle, lib.CKA_VALUE);
    // A certificate larger than the protocol can carry is not one we can use; skip it.
    if (der.length === 0 || der.length > MAX_CERTIFICATE_BYTES) continue;
    certs.push({
      handle,
      id: attribute(module, session, handle, lib.CKA_ID),
      label: attribute(module, session, handle, lib.CKA_LABEL).toString('utf8'),
      der: new Uint8Array(der),
    });
  }
  return certs;
}

function keyIds(module: Pkcs11Module, session: Handle, objectClass: number): Buffer[] {
  const lib = pkcs11js();
  return findObjects(module, session, [{ type: lib.CKA_CLASS, value: objectClass }])
    .map((h) => attribute(module, session, h, lib.CKA_ID))
    .filter((id) => id.length > 0);
}

function parse(der: Uint8Array): X509Certificate | undefined {
  try {
    return new X509Certificate(new Uint8Array(der));
  } catch {
    return undefined;
  }
}

function policiesOf(der: Uint8Array): readonly string[] {
  return parse(der)?.getExtension(CertificatePolicyExtension)?.policies ?? [];
}

function hasHpkiPolicy(der: Uint8Array): boolean {
  return policiesOf(der).some((p) => p.startsWith(HPKI_POLICY_ARC));
}

/**
 * Which application a token's end-entity certificate belongs to: `sign` for an HPKI signing policy
 * (the vendor's signing module, a signing token), `auth` for anything else, so that a generic token
 * keeps working for login while a signing certificate never serves one.
 */
export function certificateApplication(der: Uint8Array): PinApplication {
  return policiesOf(der).some((p) => p.startsWith(HPKI_SIGN_POLICY_ARC)) ? 'sign' : 'auth';
}

/** Orders CA certificates by following issuer → subject from the end entity; the rest keep their order. */
function chainOrder(endEntity: Uint8Array, cas: Uint8Array[]): Uint8Array[] {
  const parsed = cas.map((der) => ({ der, cert: parse(der) }));
  const ordered: Uint8Array[] = [];
  let issuer = parse(endEntity)?.issuer;
  while (issuer !== undefined && ordered.length < cas.length) {
    const next = parsed.find((p) => p.cert?.subject === issuer && !ordered.includes(p.der));
    if (next === undefined) break;
    ordered.push(next.der);
    issuer = next.cert?.subject === next.cert?.issuer ? undefined : next.cert?.issuer;
  }
  return [...ordered, ...cas.filter((der) => !ordered.includes(der))];
}

/**
 * Finds the objects of `application` (the authentication certificate by default, or the signing one)
 * visible without login; undefined when the token has none.
 */
export function findAuthObjects(
  module: Pkcs11Module,
  session: Handle,
  application: PinApplication = 'auth',
): AuthObjects | undefined {
  const lib = pkcs11js();
  const certs = readCertificates(module, session);
  const caLabels: readonly string[] = JAHIS_LABELS.ca;
  const fits = (c: TokenCertificate): boolean => certificateApplication(c.der) === application;
  let endEntity = certs.find((c) => c.label === JAHIS_LABELS.endEntity && fits(c));
  const labelled = endEntity !== undefined;
  if (endEntity === undefined) {
    // Private keys are often hidden until login; a public key with the same CKA_ID marks the pair too.
    const ids = [...keyIds(module, session, lib.CKO_PRIVATE_KEY), ...keyIds(module, session, lib.CKO_PUBLIC_KEY)];
    endEntity = certs.find(
      (c) => c.id.length > 0 && !caLabels.includes(c.label) && fits(c) && ids.some((id) => id.equals(c.id)),
    );
  }
  if (endEntity === undefined) return undefined;
  const ee = endEntity;
  const byLabel = caLabels.flatMap((label) => certs.filter((c) => c.label === label));
  const cas = (byLabel.length > 0 ? byLabel : certs.filter((c) => c !== ee)).map((c) => c.der);
  return { endEntity: ee, caCertificates: chainOrder(ee.der, cas), isHpki: labelled || hasHpkiPolicy(ee.der) };
}

/** The private key of the authentication certificate; visible only after C_Login on most tokens. */
export function findPrivateKey(module: Pkcs11Module, session: Handle, endEntity: TokenCertificate): Handle | undefined {
  const lib = pkcs11js();
  const byLabel = findObjects(module, session, [
    { type: lib.CKA_CLASS, value: lib.CKO_PRIVATE_KEY },
    { type: lib.CKA_LABEL, value: JAHIS_LABELS.privateKey },
  ]);
  if (byLabel[0] !== undefined) return byLabel[0];
  if (endEntity.id.length === 0) return undefined;
  return findObjects(module, session, [
    { type: lib.CKA_CLASS, value: lib.CKO_PRIVATE_KEY },
    { type: lib.CKA_ID, value: endEntity.id },
  ])[0];
}
