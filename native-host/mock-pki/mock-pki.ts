import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type CaKind,
  createEndEntityCertificate,
  createIssuingCaCertificate,
  createRootCertificate,
  type Issuer,
  type Validity,
} from './certificates.js';
import { createCrl } from './crl.js';
import { exportPkcs8, fromPem, generateRsaKeyPair, importSigningKey, toPem } from './keys.js';
import { CRL_VALIDITY_MS, DEFAULT_CRL_BASE_URL, PRINTABLE_STRING } from './profile.js';
import {
  FILES,
  FIRST_END_ENTITY_SERIAL,
  type PkiState,
  readState,
  serialHex,
  withDirLock,
  writeFileAtomic,
  writeState,
} from './store.js';
import { X509Certificate } from './x509.js';

/**
 * A mock HPKI: an MHLW-style root, an authentication CA and a signing CA, kept in a directory so
 * that every card made with it chains to the same root, across processes.
 */

export interface IssuedCert {
  /** DER. */
  certificate: Uint8Array;
  privateKeyPkcs8: Uint8Array;
}

export interface MockPki {
  dir: string;
  root: IssuedCert;
  authCa: IssuedCert;
  signCa: IssuedCert;
  /** CRLDP of new end-entity certificates: `<crlBaseUrl>/auth-ca.crl` and `/sign-ca.crl`. */
  crlBaseUrl: string;
}

export interface HolderSpec {
  /** Romaji name, the subject CN. */
  name: string;
  /** Name in Japanese, put in a SAN dirName. */
  nameJa?: string;
  /** hcRole, e.g. `Medical Doctor`. */
  role: string;
  /** The subject serialNumber attribute; made from the certificate serial when absent. */
  id?: string;
  expired?: boolean;
  notYetValid?: boolean;
  revoked?: boolean;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const YEAR_MS = 365 * DAY_MS;
/** CAs start this long before the PKI is made, so that certificates dated in the past nest inside them. */
const CA_BACKDATE_MS = 30 * DAY_MS;
/** Room for clocks of different processes that disagree a little. */
const CLOCK_SKEW_MS = 5 * 60 * 1000;

function wholeSeconds(ms: number): Date {
  return new Date(Math.floor(ms / 1000) * 1000);
}

function normalizeBaseUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new RangeError('crlBaseUrl must be http(s)');
  return url.replace(/\/+$/, '');
}

async function issuerOf(issued: IssuedCert): Promise<Issuer> {
  return {
    certificate: new X509Certificate(new Uint8Array(issued.certificate)),
    signingKey: await importSigningKey(issued.privateKeyPkcs8),
  };
}

async function createPki(dir: string, crlBaseUrl: string): Promise<PkiState> {
  const now = Date.now();
  const caStart = wholeSeconds(now - CA_BACKDATE_MS);
  const [rootKeys, authKeys, signKeys] = await Promise.all([
    generateRsaKeyPair(),
    generateRsaKeyPair(),
    generateRsaKeyPair(),
  ]);
  const root = await createRootCertificate(rootKeys, {
    notBefore: caStart,
    notAfter: wholeSeconds(now + 20 * YEAR_MS),
  });
  const rootIssuer: Issuer = { certificate: root, signingKey: rootKeys.privateKey };
  const caValidity: Validity = { notBefore: caStart, notAfter: wholeSeconds(now + 10 * YEAR_MS) };
  const authCa = await createIssuingCaCertificate('auth', rootIssuer, authKeys.publicKey, caValidity);
  const signCa = await createIssuingCaCertificate('sign', rootIssuer, signKeys.publicKey, caValidity);
  const certificates: [string, X509Certificate][] = [
    [FILES.root, root],
    [FILES.authCa, authCa],
    [FILES.signCa, signCa],
  ];
  for (const [file, cert] of certificates) {
    await writeFileAtomic(join(dir, file), toPem('CERTIFICATE', new Uint8Array(cert.rawData)));
  }
  const keys: [string, CryptoKey][] = [
    [FILES.rootKey, rootKeys.privateKey],
    [FILES.authCaKey, authKeys.privateKey],
    [FILES.signCaKey, signKeys.privateKey],
  ];
  for (const [file, key] of keys) {
    await writeFileAtomic(join(dir, file), toPem('PRIVATE KEY', await exportPkcs8(key)), 0o600);
  }
  // The state goes last: a directory without it is an unfinished PKI and is made again.
  const state: PkiState = { version: 1, crlBaseUrl, nextSerial: FIRST_END_ENTITY_SERIAL, revoked: [] };
  await writeState(dir, state);
  return state;
}

async function readIssued(dir: string, certFile: string, keyFile: string): Promise<IssuedCert> {
  const certificate = fromPem('CERTIFICATE', await readFile(join(dir, certFile), 'utf8'));
  new X509Certificate(certificate); // refuses a damaged file here rather than at first use
  const privateKeyPkcs8 = fromPem('PRIVATE KEY', await readFile(join(dir, keyFile), 'utf8'));
  return { certificate, privateKeyPkcs8 };
}

/**
 * Loads the PKI kept in `dir` (PEM files + a small JSON state), creating it on first use.
 * `crlBaseUrl` given on first use is remembered in the state; given later, it applies only to the
 * certificates issued through the returned object.
 */
export async function loadOrCreateMockPki(dir: string, options: { crlBaseUrl?: string } = {}): Promise<MockPki> {
  const requestedBase = options.crlBaseUrl === undefined ? undefined : normalizeBaseUrl(options.crlBaseUrl);
  const { state, created } = await withDirLock(dir, async () => {
    const existing = await readState(dir);
    if (existing !== undefined) return { state: existing, created: false };
    return { state: await createPki(dir, requestedBase ?? DEFAULT_CRL_BASE_URL), created: true };
  });
  const pki: MockPki = {
    dir,
    root: await readIssued(dir, FILES.root, FILES.rootKey),
    authCa: await readIssued(dir, FILES.authCa, FILES.authCaKey),
    signCa: await readIssued(dir, FILES.signCa, FILES.signCaKey),
    crlBaseUrl: requestedBase ?? state.crlBaseUrl,
  };
  if (created) await writeCurrentCrls(pki);
  return pki;
}

function holderValidity(holder: HolderSpec, ca: X509Certificate, now: number): Validity {
  const caStart = ca.notBefore.getTime();
  const caEnd = ca.notAfter.getTime();
  if (holder.expired === true) {
    return { notBefore: wholeSeconds(Math.max(caStart, now - 5 * YEAR_MS)), notAfter: wholeSeconds(now - DAY_MS) };
  }
  const start = holder.notYetValid === true ? now + 30 * DAY_MS : now - CLOCK_SKEW_MS;
  return { notBefore: wholeSeconds(start), notAfter: wholeSeconds(Math.min(caEnd, start + 5 * YEAR_MS)) };
}

function checkHolder(holder: HolderSpec): void {
  const text = (value: string, what: string, max: number): void => {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused.
    if (value.length === 0 || value.length > max || /[\u0000-\u001f\u007f]/.test(value)) {
      throw new RangeError(`${what} must be 1–${max} printable characters`);
    }
  };
  text(holder.name, 'name', 64);
  text(holder.role, 'role', 128);
  if (holder.nameJa !== undefined) text(holder.nameJa, 'nameJa', 64);
  if (holder.id !== undefined && (holder.id.length > 64 || !PRINTABLE_STRING.test(holder.id))) {
    throw new RangeError('id must be 1–64 PrintableString characters');
  }
  if (holder.expired === true && holder.notYetValid === true)
    throw new RangeError('expired and notYetValid exclude each other');
}

/** Issues an auth and a signing certificate for one holder; `revoked` records both serials as revoked in the PKI state. */
export async function issueHolderCertificates(
  pki: MockPki,
  holder: HolderSpec,
): Promise<{ auth: IssuedCert; sign: IssuedCert }> {
  checkHolder(holder);
  const [authKeys, signKeys] = await Promise.all([generateRsaKeyPair(), generateRsaKeyPair()]);
  const now = Date.now();
  const serial = await withDirLock(pki.dir, async () => {
    const state = await readState(pki.dir);
    if (state === undefined) throw new Error(`no mock PKI in ${pki.dir}`);
    const first = state.nextSerial;
    const date = new Date(now).toISOString();
    if (holder.revoked === true) {
      state.revoked.push({ issuer: 'auth', serialNumberHex: serialHex(first), date });
      state.revoked.push({ issuer: 'sign', serialNumberHex: serialHex(first + 1), date });
    }
    await writeState(pki.dir, { ...state, nextSerial: first + 2 });
    return first;
  });
  const id = holder.id ?? `MOCK${String(serial - FIRST_END_ENTITY_SERIAL + 1).padStart(6, '0')}`;
  const issue = async (purpose: CaKind, keys: CryptoKeyPair, serialNumber: number): Promise<IssuedCert> => {
    const issuer = await issuerOf(purpose === 'auth' ? pki.authCa : pki.signCa);
    const certificate = await createEndEntityCertificate(
      {
        purpose,
        serialNumberHex: serialHex(serialNumber),
        name: holder.name,
        nameJa: holder.nameJa,
        id,
        role: holder.role,
        validity: holderValidity(holder, issuer.certificate, now),
        crlUrl: `${pki.crlBaseUrl}/${purpose}-ca.crl`,
      },
      issuer,
      keys.publicKey,
    );
    return { certificate: new Uint8Array(certificate.rawData), privateKeyPkcs8: await exportPkcs8(keys.privateKey) };
  };
  const auth = await issue('auth', authKeys, serial);
  const sign = await issue('sign', signKeys, serial + 1);
  if (holder.revoked === true) await writeCurrentCrls(pki, new Date(now));
  return { auth, sign };
}

/** Any CRL of a mock CA, for tests (stale ones, other revocations). */
export async function makeCrl(
  pki: MockPki,
  options: { issuer: CaKind; thisUpdate: Date; nextUpdate: Date; revoked?: { serialNumberHex: string; date: Date }[] },
): Promise<Uint8Array> {
  const issuer = await issuerOf(options.issuer === 'auth' ? pki.authCa : pki.signCa);
  return createCrl(issuer, options.thisUpdate, options.nextUpdate, options.revoked ?? []);
}

/** Fresh CRLs of both CAs listing every revoked serial (thisUpdate = now, nextUpdate = now + 4 days), also written to dir. */
export async function writeCurrentCrls(
  pki: MockPki,
  now: Date = new Date(),
): Promise<{ authCaCrl: Uint8Array; signCaCrl: Uint8Array }> {
  return withDirLock(pki.dir, async () => {
    const state = await readState(pki.dir);
    if (state === undefined) throw new Error(`no mock PKI in ${pki.dir}`);
    const thisUpdate = wholeSeconds(now.getTime());
    const nextUpdate = new Date(thisUpdate.getTime() + CRL_VALIDITY_MS);
    const crlOf = (issuer: CaKind): Promise<Uint8Array> =>
      makeCrl(pki, {
        issuer,
        thisUpdate,
        nextUpdate,
        revoked: state.revoked
          .filter((r) => r.issuer === issuer)
          .map((r) => ({ serialNumberHex: r.serialNumberHex, date: new Date(r.date) })),
      });
    const authCaCrl = await crlOf('auth');
    const signCaCrl = await crlOf('sign');
    await writeFileAtomic(join(pki.dir, FILES.authCaCrl), toPem('X509 CRL', authCaCrl));
    await writeFileAtomic(join(pki.dir, FILES.signCaCrl), toPem('X509 CRL', signCaCrl));
    return { authCaCrl, signCaCrl };
  });
}
