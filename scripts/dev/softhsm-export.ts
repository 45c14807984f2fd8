import { execFile } from 'node:child_process';
import { createPrivateKey, randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { X509Certificate } from '../../native-host/mock-pki/x509.js';
import { JAHIS_LABELS } from '../../native-host/pkcs11/hpki-objects.js';
import { pkcs11Error } from '../../native-host/pkcs11/pkcs11-errors.js';
import type { Handle, Pkcs11Module } from '../../native-host/pkcs11/pkcs11-library.js';
import { closeModule, openModule, pkcs11js, trimPadded } from '../../native-host/pkcs11/pkcs11-library.js';
import { HpkiError } from '../../protocol/errors.js';

/**
 * Puts a card's authentication certificate, key and CA certificates into a fresh SoftHSM2 token
 * with the JAHIS labels, so the PKCS#11 backend can be exercised against a real module. The token
 * lives in its own directory with its own `softhsm2.conf`; point SOFTHSM2_CONF at it.
 */

/** What `readAuthKeyPair(cardFile)` of the virtual card returns. */
export interface AuthKeyPair {
  certificate: Uint8Array;
  privateKeyPkcs8: Uint8Array;
  caCertificates: Uint8Array[];
}

export interface ExportOptions {
  /** An empty directory for the token store and its configuration. */
  dir: string;
  /** The user PIN of the new token. */
  pin: string;
  soPin?: string;
  /** Token label; JAHIS modules say "HPKI Application". */
  label?: string;
  /** The SoftHSM2 module. */
  module?: string;
  /** false: generic labels, so only CKA_ID pairs the certificate with its key. */
  jahisLabels?: boolean;
}

export interface ExportedToken {
  module: string;
  /** Set SOFTHSM2_CONF to this before the module is initialised in any process. */
  conf: string;
  label: string;
  /** The slot's description, which the PKCS#11 backend reports as the reader name. */
  reader: string;
}

export const SOFTHSM2_MODULE = '/usr/lib/softhsm/libsofthsm2.so';
const execFileAsync = promisify(execFile);

function b64url(value: string | undefined): Buffer {
  if (value === undefined) throw new HpkiError('ERR_HPKI_INTERNAL', 'the key is not an RSA private key');
  return Buffer.from(value, 'base64url');
}

function findSlot(module: Pkcs11Module, label: string): { handle: Handle; reader: string } {
  for (const handle of module.C_GetSlotList(true)) {
    if (trimPadded(module.C_GetTokenInfo(handle).label) === label)
      return { handle, reader: trimPadded(module.C_GetSlotInfo(handle).slotDescription) };
  }
  throw new HpkiError('ERR_HPKI_INTERNAL', `SoftHSM token '${label}' not found after initialisation`);
}

function certificateTemplate(
  der: Uint8Array,
  label: string,
  id: Buffer,
): Parameters<Pkcs11Module['C_CreateObject']>[1] {
  const lib = pkcs11js();
  const cert = new X509Certificate(new Uint8Array(der));
  return [
    { type: lib.CKA_CLASS, value: lib.CKO_CERTIFICATE },
    { type: lib.CKA_CERTIFICATE_TYPE, value: lib.CKC_X_509 },
    { type: lib.CKA_TOKEN, value: true },
    { type: lib.CKA_PRIVATE, value: false },
    { type: lib.CKA_LABEL, value: label },
    { type: lib.CKA_ID, value: id },
    { type: lib.CKA_SUBJECT, value: Buffer.from(cert.subjectName.toArrayBuffer()) },
    { type: lib.CKA_ISSUER, value: Buffer.from(cert.issuerName.toArrayBuffer()) },
    { type: lib.CKA_VALUE, value: Buffer.from(der) },
  ];
}

function importObjects(module: Pkcs11Module, session: Handle, pair: AuthKeyPair, jahis: boolean): void {
  const lib = pkcs11js();
  const jwk = createPrivateKey({ key: Buffer.from(pair.privateKeyPkcs8), format: 'der', type: 'pkcs8' }).export({
    format: 'jwk',
  });
  if (jwk.kty !== 'RSA') throw new HpkiError('ERR_HPKI_INTERNAL', 'the key is not an RSA private key');
  const id = randomBytes(8);
  const common = [
    { type: lib.CKA_TOKEN, value: true },
    { type: lib.CKA_KEY_TYPE, value: lib.CKK_RSA },
    { type: lib.CKA_ID, value: id },
    { type: lib.CKA_MODULUS, value: b64url(jwk.n) },
    { type: lib.CKA_PUBLIC_EXPONENT, value: b64url(jwk.e) },
  ];
  module.C_CreateObject(session, [
    ...common,
    { type: lib.CKA_CLASS, value: lib.CKO_PRIVATE_KEY },
    { type: lib.CKA_LABEL, value: jahis ? JAHIS_LABELS.privateKey : 'auth key' },
    { type: lib.CKA_PRIVATE, value: true },
    { type: lib.CKA_SENSITIVE, value: true },
    { type: lib.CKA_EXTRACTABLE, value: false },
    { type: lib.CKA_SIGN, value: true },
    { type: lib.CKA_PRIVATE_EXPONENT, value: b64url(jwk.d) },
    { type: lib.CKA_PRIME_1, value: b64url(jwk.p) },
    { type: lib.CKA_PRIME_2, value: b64url(jwk.q) },
    { type: lib.CKA_EXPONENT_1, value: b64url(jwk.dp) },
    { type: lib.CKA_EXPONENT_2, value: b64url(jwk.dq) },
    { type: lib.CKA_COEFFICIENT, value: b64url(jwk.qi) },
  ]);
  module.C_CreateObject(session, [
    ...common,
    { type: lib.CKA_CLASS, value: lib.CKO_PUBLIC_KEY },
    { type: lib.CKA_LABEL, value: jahis ? 'Public key of HPKI' : 'auth key' },
    { type: lib.CKA_VERIFY, value: true },
  ]);
  module.C_CreateObject(
    session,
    certificateTemplate(pair.certificate, jahis ? JAHIS_LABELS.endEntity : 'auth certificate', id),
  );
  for (const der of pair.caCertificates) {
    const cert = new X509Certificate(new Uint8Array(der));
    const root = cert.subject === cert.issuer;
    const label = jahis ? (root ? JAHIS_LABELS.ca[1] : JAHIS_LABELS.ca[0]) : `CA ${cert.subject}`;
    module.C_CreateObject(session, certificateTemplate(der, label, randomBytes(8)));
  }
}

export async function exportToPkcs11Token(pair: AuthKeyPair, options: ExportOptions): Promise<ExportedToken> {
  const module = options.module ?? SOFTHSM2_MODULE;
  const label = options.label ?? 'HPKI Application';
  const soPin = options.soPin ?? randomBytes(8).toString('hex');
  const tokens = join(options.dir, 'tokens');
  const conf = join(options.dir, 'softhsm2.conf');
  await mkdir(tokens, { recursive: true, mode: 0o700 });
  await writeFile(
    conf,
    `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`,
  );
  const env = { ...process.env, SOFTHSM2_CONF: conf };
  try {
    await execFileAsync(
      'softhsm2-util',
      ['--init-token', '--free', '--label', label, '--pin', options.pin, '--so-pin', soPin],
      { env },
    );
  } catch (err) {
    // execFile's error repeats the command line, PIN included: keep only the tool's own words.
    const stderr = err instanceof Error && 'stderr' in err && typeof err.stderr === 'string' ? err.stderr.trim() : '';
    throw new HpkiError(
      'ERR_HPKI_INTERNAL',
      `softhsm2-util --init-token failed: ${stderr.replaceAll(options.pin, '****')}`,
    );
  }
  // SoftHSM reads SOFTHSM2_CONF when it is initialised, so the variable must be in this process.
  const previous = process.env.SOFTHSM2_CONF;
  process.env.SOFTHSM2_CONF = conf;
  const p11 = openModule(module);
  try {
    const lib = pkcs11js();
    const slot = findSlot(p11, label);
    const session = p11.C_OpenSession(slot.handle, lib.CKF_SERIAL_SESSION | lib.CKF_RW_SESSION);
    try {
      p11.C_Login(session, lib.CKU_USER, options.pin);
      importObjects(p11, session, pair, options.jahisLabels ?? true);
      p11.C_Logout(session);
    } finally {
      p11.C_CloseSession(session);
    }
    return { module, conf, label, reader: slot.reader };
  } catch (err) {
    throw pkcs11Error(err, 'exporting to SoftHSM');
  } finally {
    closeModule(p11);
    if (previous === undefined) delete process.env.SOFTHSM2_CONF;
    else process.env.SOFTHSM2_CONF = previous;
  }
}
