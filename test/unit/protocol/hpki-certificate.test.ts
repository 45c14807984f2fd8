import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeCertificate, MAX_CERTIFICATE_BYTES } from '../../../protocol/certificate-der.js';
import { HpkiError } from '../../../protocol/errors.js';
import { decodeHcRole, parseHpkiCertificate } from '../../../protocol/hpki-certificate.js';
import { der, encodeName, ext, generateTestKey, makeCertificate, OID } from '../../../scripts/dev/test-pki.js';
import { readShared, readSharedPemDer } from '../../helpers/shared.js';

const MEDICAL_DOCTOR_HEX =
  '303430320606288185420001312831263024a0223120a00c060a2a830886910f01060101a2100c0e4d65646963616c20446f63746f72';

function hexBytes(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

function expectMalformed(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(HpkiError);
    expect((err as HpkiError).code).toBe('ERR_TOKEN_MALFORMED');
    return;
  }
  throw new Error('expected ERR_TOKEN_MALFORMED');
}

describe('parseHpkiCertificate on the real MEDIS test certificates', () => {
  it('reads kagurazaka: romaji and Japanese names, holder id, hcRole, signing profile', () => {
    const info = parseHpkiCertificate(readSharedPemDer('hpki-reference', 'medis-test-ee-sign-kagurazaka.pem'));
    expect(info.subjectName).toBe('Sanjushi Kagurazaka');
    expect(info.nameJa).toBe('神楽坂　三十四');
    expect(info.holderId).toBe('Test117120');
    expect(info.hcRole).toBe('Medical Doctor');
    expect(info.issuerName).toBe('HPKI-01-MedisSignCA2-forNonRepudiation');
    expect(info.serialNumberHex).toBe('015e');
    expect(info.notBefore.toISOString()).toBe('2022-02-06T15:00:00.000Z');
    expect(info.notAfter.toISOString()).toBe('2027-02-07T14:59:59.000Z');
    expect(info.keyUsage).toEqual({
      digitalSignature: false,
      nonRepudiation: true,
      keyCertSign: false,
      cRLSign: false,
    });
    expect(info.policies).toEqual(['1.2.392.100495.1.5.1.1.0.1']);
    expect(info.isCa).toBe(false);
  });

  it('reads rokujuni (2017–2022)', () => {
    const info = parseHpkiCertificate(readSharedPemDer('hpki-reference', 'medis-test-ee-sign-rokujuni.pem'));
    expect(info.subjectName).toBe('rokujuni suishin');
    expect(info.nameJa).toBe('推進　六十二');
    expect(info.hcRole).toBe('Medical Doctor');
    expect(info.notAfter.toISOString()).toBe('2022-03-15T14:59:59.000Z');
  });

  it('names the MHLW root by its last OU (it has no CN) and sees CA flags', () => {
    const root = parseHpkiCertificate(readSharedPemDer('hpki-reference', 'mhlw-hpki-root-ca-v2.pem'));
    expect(root.issuerName).toBe('MHLW HPKI Root CA V2');
    expect(root.subjectName).toBe('');
    expect(root.isCa).toBe(true);
    expect(root.keyUsage).toEqual({ digitalSignature: false, nonRepudiation: false, keyCertSign: true, cRLSign: true });
    const authCa = parseHpkiCertificate(readSharedPemDer('hpki-reference', 'medis-auth-ca2.pem'));
    expect(authCa.subjectName).toBe('HPKI-01-MedisAuthCA2-forAuthentication-forIndividual');
    expect(authCa.issuerName).toBe('MHLW HPKI Root CA V2');
    expect(authCa.policies).toEqual(['1.2.392.100495.1.5.1.2.3.1']);
    expect(authCa.isCa).toBe(true);
  });
});

describe('parseHpkiCertificate on the test vectors', () => {
  it.each([
    ['ee.pem', 'Nichii Taro', 'MOCK000001', 'Medical Doctor', true, '1001'],
    ['ee_pharm.pem', 'Yakuzai Hanako', 'MOCK000002', 'Pharmacist', true, '1002'],
    ['ee_revoked.pem', 'Kaihi Jiro', 'MOCK000003', 'Medical Doctor', true, '1004'],
    ['ee_sign.pem', 'Nichii Taro', 'MOCK000001', 'Medical Doctor', false, '1003'],
  ])('%s', (file, name, id, role, auth, serial) => {
    const info = parseHpkiCertificate(readSharedPemDer('test-vectors', file));
    expect(info).toMatchObject({ subjectName: name, holderId: id, hcRole: role, serialNumberHex: serial, isCa: false });
    expect(info.nameJa).toBeUndefined();
    expect(info.keyUsage?.digitalSignature).toBe(auth);
    expect(info.keyUsage?.nonRepudiation).toBe(!auth);
    expect(info.policies).toEqual([auth ? '1.2.392.100495.1.5.1.2.0.1' : '1.2.392.100495.1.5.1.1.0.1']);
    expect(info.issuerName).toBe(
      auth ? 'HPKI-01-MockAuthCA-forAuthentication-forIndividual' : 'HPKI-01-MockSignCA-forNonRepudiation',
    );
  });

  it('reads serials, names and dates as `openssl x509 -text` prints them for the mock CAs', () => {
    const root = parseHpkiCertificate(readSharedPemDer('test-vectors', 'root.pem'));
    expect(root.serialNumberHex).toBe('01');
    expect(root.issuerName).toBe('Mock HPKI Root CA V2');
    const authca = parseHpkiCertificate(readSharedPemDer('test-vectors', 'authca.pem'));
    expect(authca.serialNumberHex).toBe('02');
    expect(authca.notBefore.toISOString()).toBe('2026-11-21T12:22:32.000Z');
    expect(authca.notAfter.toISOString()).toBe('2036-11-18T12:22:32.000Z');
  });
});

describe('decodeHcRole', () => {
  it('decodes the exact extension value of HPKI-CARD.md §6', () => {
    expect(decodeHcRole(hexBytes(MEDICAL_DOCTOR_HEX))).toBe('Medical Doctor');
  });

  it('matches the encoder of the test PKI byte for byte and round-trips other roles', () => {
    expect(Buffer.from(ext.hcRoleValue(['Medical Doctor'])).toString('hex')).toBe(MEDICAL_DOCTOR_HEX);
    for (const role of ['Pharmacist', 'Director of Hospital', '歯科医師']) {
      expect(decodeHcRole(ext.hcRoleValue([role]))).toBe(role);
    }
  });

  it('refuses another coding scheme, two different roles, and truncated or empty values', () => {
    expect(decodeHcRole(ext.hcRoleValue(['Medical Doctor'], '1.2.3.4'))).toBeUndefined();
    expect(decodeHcRole(ext.hcRoleValue(['Medical Doctor', 'Pharmacist']))).toBeUndefined();
    expect(decodeHcRole(ext.hcRoleValue(['Medical Doctor', 'Medical Doctor']))).toBe('Medical Doctor');
    const full = hexBytes(MEDICAL_DOCTOR_HEX);
    for (let n = 0; n < full.length; n++) expect(decodeHcRole(full.subarray(0, n))).toBeUndefined();
    expect(decodeHcRole(new Uint8Array(0))).toBeUndefined();
  });

  it('ignores other directory attributes next to the hcRole', () => {
    const other = der.seq(
      der.oid('1.3.6.1.5.5.7.9.1'),
      der.set(der.tlv(0x18, new TextEncoder().encode('19700101000000Z'))),
    );
    const value = der.seq(
      other,
      der.seq(
        der.oid(OID.hcRole),
        der.set(
          der.set(
            der.seq(
              der.explicit(
                0,
                der.set(der.explicit(0, der.oid(OID.hpkiRoleScheme)), der.explicit(2, der.utf8('Pharmacist'))),
              ),
            ),
          ),
        ),
      ),
    );
    expect(decodeHcRole(value)).toBe('Pharmacist');
  });
});

describe('bad input', () => {
  const good = readSharedPemDer('test-vectors', 'ee.pem');

  /** A small self-signed certificate carrying the given extensions. */
  function selfSigned(extensions: Uint8Array[]): Uint8Array {
    const key = generateTestKey(1024);
    const name = encodeName([[OID.cn, 'x']]);
    return makeCertificate({
      serial: 1,
      issuer: name,
      subject: name,
      notBefore: new Date('2020-01-01T00:00:00Z'),
      notAfter: new Date('2030-01-01T00:00:00Z'),
      subjectKey: key,
      signingKey: key,
      extensions,
    });
  }

  it('refuses empty, PEM text, trailing bytes and truncation with ERR_TOKEN_MALFORMED', () => {
    expectMalformed(() => parseHpkiCertificate(new Uint8Array(0)));
    expectMalformed(() => parseHpkiCertificate(new TextEncoder().encode(readShared('test-vectors', 'ee.pem'))));
    expectMalformed(() => parseHpkiCertificate(Uint8Array.of(...good, 0)));
    for (const n of [1, 2, 4, 100, good.length - 1]) expectMalformed(() => parseHpkiCertificate(good.subarray(0, n)));
  });

  it('refuses anything over 16 KiB before parsing it', () => {
    const big = new Uint8Array(MAX_CERTIFICATE_BYTES + 1);
    big.set(good);
    expectMalformed(() => parseHpkiCertificate(big));
  });

  it('refuses an indefinite (BER) length and a duplicated extension', () => {
    const ber = Uint8Array.from(good);
    ber[1] = 0x80;
    expectMalformed(() => parseHpkiCertificate(ber));
    const dup = selfSigned([ext.keyUsage([0]), ext.keyUsage([1])]);
    expectMalformed(() => parseHpkiCertificate(dup));
  });

  it('refuses a malformed known extension', () => {
    const cert = selfSigned([ext.make('2.5.29.15', true, Uint8Array.of(0x04, 0x01, 0x00))]);
    expectMalformed(() => parseHpkiCertificate(cert));
  });

  it('never throws anything but ERR_TOKEN_MALFORMED on corrupted certificates', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat({ max: good.length - 1 }), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 6,
        }),
        (edits) => {
          const bytes = Uint8Array.from(good);
          for (const [at, value] of edits) bytes[at] = value;
          try {
            const info = parseHpkiCertificate(bytes);
            expect(typeof info.subjectName).toBe('string');
          } catch (err) {
            expect(err).toBeInstanceOf(HpkiError);
            expect((err as HpkiError).code).toBe('ERR_TOKEN_MALFORMED');
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  it('keeps the exact TBS bytes and rejects a certificate whose inner and outer algorithms differ', () => {
    const decoded = decodeCertificate(good);
    // SEQUENCE header (4) ‖ TBS ‖ AlgorithmIdentifier (15) ‖ BIT STRING of a 2048-bit signature (261)
    expect(4 + decoded.tbs.length + 15 + 261).toBe(good.length);
    expect(Buffer.from(good).indexOf(Buffer.from(decoded.tbs))).toBe(4);
    expect(decoded.signature.length).toBe(256);
    // sha256WithRSAEncryption (…01 0b) appears twice; change only the outer one (the last).
    const bytes = Uint8Array.from(good);
    const pattern = Buffer.from('2a864886f70d01010b', 'hex');
    const outer = Buffer.from(bytes).lastIndexOf(pattern);
    bytes[outer + pattern.length - 1] = 0x0c;
    expectMalformed(() => parseHpkiCertificate(bytes));
  });
});
