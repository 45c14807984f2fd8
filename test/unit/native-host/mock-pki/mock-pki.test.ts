import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Name as AsnName, GeneralNames } from '@peculiar/asn1-x509';
import * as asn1js from 'asn1js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  hcRoleExtensionValue,
  type IssuedCert,
  issueHolderCertificates,
  loadOrCreateMockPki,
  type MockPki,
  makeCrl,
  writeCurrentCrls,
} from '../../../../native-host/mock-pki/index.js';
import {
  AuthorityKeyIdentifierExtension,
  BasicConstraintsExtension,
  CertificatePolicyExtension,
  CRLDistributionPointsExtension,
  KeyUsageFlags,
  KeyUsagesExtension,
  SubjectKeyIdentifierExtension,
  X509Certificate,
  X509Crl,
  X509CrlReason,
} from '../../../../native-host/mock-pki/x509.js';
import { readSharedPemDer } from '../../../helpers/shared.js';

const MEDICAL_DOCTOR_HEX =
  '303430320606288185420001312831263024a0223120a00c060a2a830886910f01060101a2100c0e4d65646963616c20446f63746f72';
const SDA = '2.5.29.9';
const SAN = '2.5.29.17';

const hex = (b: ArrayBuffer | Uint8Array): string =>
  Buffer.from(b instanceof Uint8Array ? b : new Uint8Array(b)).toString('hex');
const cert = (issued: IssuedCert | Uint8Array): X509Certificate =>
  new X509Certificate(new Uint8Array(issued instanceof Uint8Array ? issued : issued.certificate));
const extensionValue = (c: X509Certificate, oid: string): Uint8Array => {
  const ext = c.getExtension(oid);
  if (ext === null) throw new Error(`no extension ${oid}`);
  return new Uint8Array(ext.value);
};

/** The DirectoryString type each attribute of a name uses, e.g. [['2.5.4.6', 'printableString'], …]. */
function nameEncodings(name: AsnName): [string, string, string][] {
  return name.flatMap((rdn) =>
    rdn.map((atv): [string, string, string] => {
      const v = atv.value;
      const kind =
        v.utf8String !== undefined ? 'utf8String' : v.printableString !== undefined ? 'printableString' : 'other';
      return [atv.type, kind, v.utf8String ?? v.printableString ?? ''];
    }),
  );
}

/** Decodes an hcRole extension value with an independent BER parser and returns the role text. */
function decodeHcRole(value: Uint8Array): string {
  const parsed = asn1js.fromBER(value);
  expect(parsed.offset).toBe(value.length);
  const attrs = parsed.result as asn1js.Sequence;
  const attr = attrs.valueBlock.value[0] as asn1js.Sequence;
  expect((attr.valueBlock.value[0] as asn1js.ObjectIdentifier).valueBlock.toString()).toBe('1.0.17090.0.1');
  const actor = ((attr.valueBlock.value[1] as asn1js.Set).valueBlock.value[0] as asn1js.Set).valueBlock
    .value[0] as asn1js.Sequence;
  const contextTag = (block: asn1js.BaseBlock, n: number): asn1js.Constructed => {
    expect([block.idBlock.tagClass, block.idBlock.tagNumber, block.idBlock.isConstructed]).toEqual([3, n, true]);
    return block as asn1js.Constructed;
  };
  const coded = contextTag(actor.valueBlock.value[0]!, 0).valueBlock.value[0] as asn1js.Set;
  const table = contextTag(coded.valueBlock.value[0]!, 0).valueBlock.value[0] as asn1js.ObjectIdentifier;
  expect(table.valueBlock.toString()).toBe('1.2.392.100495.1.6.1.1');
  const role = contextTag(coded.valueBlock.value[1]!, 2).valueBlock.value[0] as asn1js.Utf8String;
  expect(role.idBlock.tagNumber).toBe(12);
  return role.valueBlock.value;
}

let dir: string;
let pki: MockPki;
let holder: { auth: IssuedCert; sign: IssuedCert };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mock-pki-'));
  pki = await loadOrCreateMockPki(dir, { crlBaseUrl: 'http://127.0.0.1:8123/crl/' });
  holder = await issueHolderCertificates(pki, { name: 'Nichii Taro', nameJa: '日医　太郎', role: 'Medical Doctor' });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('mock PKI: CA certificates', () => {
  it('has an MHLW-style root without CN, self-signed, CA and KU critical', async () => {
    const root = cert(pki.root);
    expect(root.subject).toBe(root.issuer);
    expect(root.subjectName.getField('CN')).toEqual([]);
    expect(root.subjectName.getField('OU')).toEqual([
      'Mock Director-General for Policy Planning and Evaluation',
      'Mock HPKI Root CA V2',
    ]);
    expect(await root.verify({ signatureOnly: true })).toBe(true);
    const bc = root.getExtension(BasicConstraintsExtension);
    expect(bc?.ca).toBe(true);
    expect(bc?.critical).toBe(true);
    const ku = root.getExtension(KeyUsagesExtension);
    expect(ku?.usages).toBe(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign);
    expect(ku?.critical).toBe(true);
  });

  it.each([
    ['authCa', 'HPKI-01-MockAuthCA-forAuthentication-forIndividual', '1.2.392.100495.1.5.1.2.3.1'],
    ['signCa', 'HPKI-01-MockSignCA-forNonRepudiation', '1.2.392.100495.1.5.1.1.3.1'],
  ] as const)('%s: name, critical policy, KU, chains to the root', async (which, cn, policy) => {
    const ca = cert(pki[which]);
    const root = cert(pki.root);
    expect(ca.subjectName.getField('CN')).toEqual([cn]);
    expect(ca.issuer).toBe(root.subject);
    expect(await ca.verify({ publicKey: root.publicKey, signatureOnly: true })).toBe(true);
    const policies = ca.getExtension(CertificatePolicyExtension);
    expect(policies?.critical).toBe(true);
    expect(policies?.policies).toEqual([policy]);
    expect(ca.getExtension(BasicConstraintsExtension)).toMatchObject({ ca: true, critical: true });
    expect(ca.getExtension(KeyUsagesExtension)).toMatchObject({
      usages: KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign,
      critical: true,
    });
    expect(ca.getExtension(AuthorityKeyIdentifierExtension)?.keyId).toBe(
      root.getExtension(SubjectKeyIdentifierExtension)?.keyId,
    );
  });

  it('names the issuing CAs exactly like the openssl-made vectors (same DER)', () => {
    for (const [mine, theirs] of [
      [pki.authCa, 'authca.pem'],
      [pki.signCa, 'signca.pem'],
    ] as const) {
      const vector = cert(readSharedPemDer('test-vectors', theirs));
      expect(hex(cert(mine).subjectName.toArrayBuffer())).toBe(hex(vector.subjectName.toArrayBuffer()));
    }
  });
});

describe('mock PKI: end-entity certificates', () => {
  it('auth certificate: KU digitalSignature only (critical), auth policy (critical), no EKU/AIA', async () => {
    const ee = cert(holder.auth);
    const ku = ee.getExtension(KeyUsagesExtension);
    expect(ku?.usages).toBe(KeyUsageFlags.digitalSignature);
    expect(ku?.critical).toBe(true);
    expect(ee.getExtension(CertificatePolicyExtension)).toMatchObject({
      critical: true,
      policies: ['1.2.392.100495.1.5.1.2.0.1'],
    });
    expect(ee.getExtension('2.5.29.37')).toBeNull();
    expect(ee.getExtension('1.3.6.1.5.5.7.1.1')).toBeNull();
    expect(ee.getExtension(BasicConstraintsExtension)).toBeNull();
    expect(await ee.verify({ publicKey: cert(pki.authCa).publicKey, signatureOnly: true })).toBe(true);
    expect(ee.getExtension(AuthorityKeyIdentifierExtension)?.keyId).toBe(
      cert(pki.authCa).getExtension(SubjectKeyIdentifierExtension)?.keyId,
    );
  });

  it('signing certificate: KU nonRepudiation only (critical), signing policy (critical), signed by the signing CA', async () => {
    const ee = cert(holder.sign);
    expect(ee.getExtension(KeyUsagesExtension)).toMatchObject({ usages: KeyUsageFlags.nonRepudiation, critical: true });
    expect(ee.getExtension(CertificatePolicyExtension)).toMatchObject({
      critical: true,
      policies: ['1.2.392.100495.1.5.1.1.0.1'],
    });
    expect(ee.issuer).toBe(cert(pki.signCa).subject);
    expect(await ee.verify({ publicKey: cert(pki.signCa).publicKey, signatureOnly: true })).toBe(true);
    expect(ee.serialNumber).not.toBe(cert(holder.auth).serialNumber);
  });

  it('KU bits are encoded like the openssl-made vectors', () => {
    expect(hex(extensionValue(cert(holder.auth), '2.5.29.15'))).toBe(
      hex(extensionValue(cert(readSharedPemDer('test-vectors', 'ee.pem')), '2.5.29.15')),
    );
    expect(hex(extensionValue(cert(holder.sign), '2.5.29.15'))).toBe(
      hex(extensionValue(cert(readSharedPemDer('test-vectors', 'ee_sign.pem')), '2.5.29.15')),
    );
  });

  it('subject is C=JP, CN=<romaji> (UTF8String), serialNumber=<id> (PrintableString), like the real MEDIS cert', () => {
    const subject = AsnConvert.parse(cert(holder.auth).subjectName.toArrayBuffer(), AsnName);
    expect(nameEncodings(subject)).toEqual([
      ['2.5.4.6', 'printableString', 'JP'],
      ['2.5.4.3', 'utf8String', 'Nichii Taro'],
      ['2.5.4.5', 'printableString', 'MOCK000001'],
    ]);
    const real = AsnConvert.parse(
      cert(readSharedPemDer('hpki-reference', 'medis-test-ee-sign-kagurazaka.pem')).subjectName.toArrayBuffer(),
      AsnName,
    );
    const kinds = (n: AsnName): Map<string, string> => new Map(nameEncodings(n).map(([t, k]) => [t, k]));
    for (const oid of ['2.5.4.6', '2.5.4.3', '2.5.4.5']) expect(kinds(subject).get(oid)).toBe(kinds(real).get(oid));
  });

  it('hcRole is byte-identical to the real encoding for Medical Doctor', () => {
    const real = extensionValue(cert(readSharedPemDer('hpki-reference', 'medis-test-ee-sign-kagurazaka.pem')), SDA);
    expect(hex(real)).toBe(MEDICAL_DOCTOR_HEX);
    expect(hex(extensionValue(cert(holder.auth), SDA))).toBe(MEDICAL_DOCTOR_HEX);
    expect(hex(extensionValue(cert(holder.sign), SDA))).toBe(MEDICAL_DOCTOR_HEX);
    expect(hex(hcRoleExtensionValue('Pharmacist'))).toBe(
      hex(extensionValue(cert(readSharedPemDer('test-vectors', 'ee_pharm.pem')), SDA)),
    );
  });

  it('hcRole encodes any role with correct DER lengths (short and long forms)', () => {
    expect(decodeHcRole(hcRoleExtensionValue('Director of Hospital'))).toBe('Director of Hospital');
    const long = 'R'.repeat(300);
    const encoded = hcRoleExtensionValue(long);
    expect(encoded.subarray(0, 2)).toEqual(Uint8Array.of(0x30, 0x82));
    expect(decodeHcRole(encoded)).toBe(long);
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 200, unit: 'grapheme' }),
        (role) => decodeHcRole(hcRoleExtensionValue(role)) === role,
      ),
      { numRuns: 200 },
    );
  });

  it('puts the Japanese name in a SAN dirName as UTF8String, like the MEDIS reference certificate', () => {
    const parseSan = (c: X509Certificate): AsnName => {
      const names = AsnConvert.parse(extensionValue(c, SAN), GeneralNames);
      expect(names).toHaveLength(1);
      const dn = names[0]?.directoryName;
      if (dn === undefined) throw new Error('no dirName');
      return dn;
    };
    const mine = nameEncodings(parseSan(cert(holder.auth)));
    expect(mine).toEqual([
      ['2.5.4.6', 'printableString', 'JP'],
      ['2.5.4.3', 'utf8String', '日医　太郎'],
      ['2.5.4.5', 'printableString', 'MOCK000001'],
    ]);
    const real = nameEncodings(parseSan(cert(readSharedPemDer('hpki-reference', 'medis-test-ee-sign-kagurazaka.pem'))));
    expect(real.find(([t]) => t === '2.5.4.3')).toEqual(['2.5.4.3', 'utf8String', '神楽坂　三十四']);
    expect(cert(holder.sign).getExtension(SAN)).not.toBeNull();
  });

  it('has a CRLDP under crlBaseUrl, per issuing CA', () => {
    const url = (c: X509Certificate): string | undefined =>
      c.getExtension(CRLDistributionPointsExtension)?.distributionPoints[0]?.distributionPoint?.fullName?.[0]
        ?.uniformResourceIdentifier;
    expect(url(cert(holder.auth))).toBe('http://127.0.0.1:8123/crl/auth-ca.crl');
    expect(url(cert(holder.sign))).toBe('http://127.0.0.1:8123/crl/sign-ca.crl');
  });

  it('gives each certificate the private key that matches it', async () => {
    for (const issued of [holder.auth, holder.sign]) {
      const key = await crypto.subtle.importKey(
        'pkcs8',
        new Uint8Array(issued.privateKeyPkcs8),
        { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
        false,
        ['sign'],
      );
      const data = new TextEncoder().encode('proof of possession');
      const signature = await crypto.subtle.sign('RSASSA-PKCS1-v1_5', key, data);
      const publicKey = await cert(issued).publicKey.export();
      expect(await crypto.subtle.verify('RSASSA-PKCS1-v1_5', publicKey, signature, data)).toBe(true);
      expect(cert(issued).publicKey.algorithm).toMatchObject({ name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048 });
    }
  });

  it('dates expired and not-yet-valid holders around now, inside the CA validity', async () => {
    const now = Date.now();
    const expired = await issueHolderCertificates(pki, { name: 'Old Doctor', role: 'Medical Doctor', expired: true });
    expect(cert(expired.auth).notAfter.getTime()).toBeLessThan(now);
    expect(cert(expired.auth).notBefore.getTime()).toBeGreaterThanOrEqual(cert(pki.authCa).notBefore.getTime());
    const future = await issueHolderCertificates(pki, {
      name: 'New Doctor',
      role: 'Medical Doctor',
      notYetValid: true,
      id: 'X-1',
    });
    expect(cert(future.auth).notBefore.getTime()).toBeGreaterThan(now);
    expect(cert(future.auth).subjectName.getField('2.5.4.5')).toEqual(['X-1']);
    const current = cert(holder.auth);
    expect(current.notBefore.getTime()).toBeLessThanOrEqual(now);
    expect(current.notAfter.getTime()).toBeGreaterThan(now + 4 * 365 * 86_400_000);
    await expect(
      issueHolderCertificates(pki, { name: 'X', role: 'R', expired: true, notYetValid: true }),
    ).rejects.toThrow(RangeError);
    await expect(issueHolderCertificates(pki, { name: 'X', role: 'R', id: '日本' })).rejects.toThrow(RangeError);
  });
});

describe('mock PKI: CRLs', () => {
  it('lists revoked serials with reason keyCompromise, 4-day validity, signed by the CA, written to dir', async () => {
    const revoked = await issueHolderCertificates(pki, {
      name: 'Revoked Doctor',
      role: 'Medical Doctor',
      revoked: true,
    });
    const now = new Date('2026-01-02T03:04:05Z');
    const { authCaCrl, signCaCrl } = await writeCurrentCrls(pki, now);
    const authCrl = new X509Crl(new Uint8Array(authCaCrl));
    expect(authCrl.thisUpdate.toISOString()).toBe('2026-01-02T03:04:05.000Z');
    expect(authCrl.nextUpdate?.getTime()).toBe(now.getTime() + 4 * 86_400_000);
    expect(await authCrl.verify({ publicKey: cert(pki.authCa).publicKey })).toBe(true);
    const entry = authCrl.findRevoked(cert(revoked.auth));
    expect(entry?.reason).toBe(X509CrlReason.keyCompromise);
    expect(authCrl.findRevoked(cert(holder.auth))).toBeNull();
    const signCrl = new X509Crl(new Uint8Array(signCaCrl));
    expect(await signCrl.verify({ publicKey: cert(pki.signCa).publicKey })).toBe(true);
    expect(signCrl.findRevoked(cert(revoked.sign))?.reason).toBe(X509CrlReason.keyCompromise);
    expect(signCrl.findRevoked(cert(revoked.auth))).toBeNull();
    const onDisk = new X509Crl(readFileSync(join(dir, 'auth-ca.crl.pem'), 'utf8'));
    expect(hex(onDisk.rawData)).toBe(hex(authCaCrl));
  });

  it('makes stale or custom CRLs for tests', async () => {
    const crl = new X509Crl(
      new Uint8Array(
        await makeCrl(pki, {
          issuer: 'auth',
          thisUpdate: new Date('2020-01-01T00:00:00Z'),
          nextUpdate: new Date('2020-01-05T00:00:00Z'),
          revoked: [{ serialNumberHex: '7777', date: new Date('2019-12-31T00:00:00Z') }],
        }),
      ),
    );
    expect(crl.nextUpdate?.toISOString()).toBe('2020-01-05T00:00:00.000Z');
    expect(crl.findRevoked('7777')?.revocationDate.toISOString()).toBe('2019-12-31T00:00:00.000Z');
    expect(await crl.verify({ publicKey: cert(pki.authCa).publicKey })).toBe(true);
  });

  it('is accepted by openssl verify, which also sees the revocation', async () => {
    const revoked = await issueHolderCertificates(pki, { name: 'Revoked Two', role: 'Pharmacist', revoked: true });
    const files = (name: string, der: Uint8Array): string => {
      const path = join(dir, name);
      writeFileSync(
        path,
        `-----BEGIN CERTIFICATE-----\n${Buffer.from(der).toString('base64')}\n-----END CERTIFICATE-----\n`,
      );
      return path;
    };
    const good = files('good.pem', holder.auth.certificate);
    const bad = files('bad.pem', revoked.auth.certificate);
    const sign = files('sign.pem', holder.sign.certificate);
    const verify = (...args: string[]): string =>
      execFileSync('openssl', ['verify', '-x509_strict', '-CAfile', join(dir, 'root.pem'), ...args], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    expect(verify('-untrusted', join(dir, 'auth-ca.pem'), good)).toContain('OK');
    expect(verify('-untrusted', join(dir, 'sign-ca.pem'), sign)).toContain('OK');
    const withCrl = ['-crl_check', '-CRLfile', join(dir, 'auth-ca.crl.pem'), '-untrusted', join(dir, 'auth-ca.pem')];
    expect(verify(...withCrl, good)).toContain('OK');
    expect(() => verify(...withCrl, bad)).toThrow(/revoked/);
  });
});

describe('mock PKI: the directory', () => {
  it('is reused: the same root, keys 0600, serials unique even when issuing concurrently', async () => {
    const again = await loadOrCreateMockPki(dir);
    expect(hex(again.root.certificate)).toBe(hex(pki.root.certificate));
    expect(hex(again.authCa.privateKeyPkcs8)).toBe(hex(pki.authCa.privateKeyPkcs8));
    expect(again.crlBaseUrl).toBe('http://127.0.0.1:8123/crl');
    for (const f of ['root.key.pem', 'auth-ca.key.pem', 'sign-ca.key.pem'])
      expect(statSync(join(dir, f)).mode & 0o777).toBe(0o600);
    const other = await loadOrCreateMockPki(dir);
    const batch = await Promise.all([
      issueHolderCertificates(again, { name: 'A', role: 'Medical Doctor' }),
      issueHolderCertificates(other, { name: 'B', role: 'Medical Doctor' }),
      issueHolderCertificates(again, { name: 'C', role: 'Medical Doctor' }),
    ]);
    const serials = [holder, ...batch].flatMap((h) => [cert(h.auth).serialNumber, cert(h.sign).serialNumber]);
    expect(new Set(serials).size).toBe(serials.length);
    expect(await cert(batch[1]!.auth).verify({ publicKey: cert(pki.authCa).publicKey, signatureOnly: true })).toBe(
      true,
    );
    const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as { nextSerial: number };
    expect(state.nextSerial).toBeGreaterThan(Math.max(...serials.map((s) => Number.parseInt(s, 16))));
  });

  it('refuses a damaged state file', async () => {
    const broken = mkdtempSync(join(tmpdir(), 'mock-pki-broken-'));
    try {
      writeFileSync(join(broken, 'state.json'), JSON.stringify({ version: 1, nextSerial: -1 }));
      await expect(loadOrCreateMockPki(broken)).rejects.toThrow(/not a mock PKI state/);
    } finally {
      rmSync(broken, { recursive: true, force: true });
    }
  });
});
