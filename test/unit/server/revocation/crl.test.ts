import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { IssuingDistributionPointValue } from '../../../../protocol/distribution-points.js';
import { nameToString } from '../../../../protocol/x500-name.js';
import type { TestPki } from '../../../../scripts/dev/test-pki.js';
import { createTestPki, crlExt, der, ext, generateTestKey, makeCrl } from '../../../../scripts/dev/test-pki.js';
import type { ParsedCertificate } from '../../../../server/cert/parsed-certificate.js';
import { parseCertificate } from '../../../../server/cert/parsed-certificate.js';
import { createSignatureBudget } from '../../../../server/cert/signature.js';
import { createTrustStore } from '../../../../server/cert/trust-store.js';
import { CrlFormatError, isCrlFresh, parseCrl } from '../../../../server/revocation/crl.js';
import { createCrlSignatureCache } from '../../../../server/revocation/crl-issuer.js';
import { crlCoversCertificate } from '../../../../server/revocation/crl-scope.js';
import { createCrlStore } from '../../../../server/revocation/crl-store.js';
import type { CrlProvider } from '../../../../server/revocation/revocation-check.js';
import { checkPathRevocation } from '../../../../server/revocation/revocation-check.js';
import { createCertificateValidator } from '../../../../server/verify/index.js';
import { readSharedPemDer } from '../../../helpers/shared.js';

const DAY = 86_400_000;
const ref = (file: string): Uint8Array => readSharedPemDer('hpki-reference', file);
const refCert = (file: string): ParsedCertificate => parseCertificate(ref(file));
const idpDirNames = (idp: IssuingDistributionPointValue | undefined): string[] =>
  idp?.name?.kind === 'fullName'
    ? idp.name.names.flatMap((n) => (n.kind === 'directoryName' ? [nameToString(n.name)] : []))
    : [];

describe('parseCrl on real HPKI lists', () => {
  it('reads the MEDIS signing CA CRL of 2022-09-28', () => {
    const crl = parseCrl(ref('medis-sign-ca2-crl-2022-09-28.pem'));
    expect(crl.issuerText).toBe('C=JP, O=MEDIS, OU=MEDIS HPKI CA, CN=HPKI-01-MedisSignCA2-forNonRepudiation');
    expect(crl.thisUpdate.toISOString()).toBe('2022-09-28T18:00:00.000Z');
    expect(crl.nextUpdate?.toISOString()).toBe('2022-10-02T18:00:00.000Z');
    // Keys are the serial's DER INTEGER contents: 0xdd is positive, so it carries a 00 sign octet.
    expect(crl.revoked.get('00dd')?.revocationDate.toISOString()).toBe('2019-01-17T01:14:57.000Z');
    expect(crl.revoked.get('00dd')?.reason).toBe(5);
    expect(crl.revoked.has('dd')).toBe(false);
    expect(crl.revoked.has('0103')).toBe(true);
    expect(crl.revoked.has('015e')).toBe(false); // kagurazaka
    expect(crl.issuingDistributionPoint).toBeUndefined();
    expect(crl.authorityKeyId).toBe('9dd6135245efbd5e7852c8588e78bc541e3f96e6');
    expect(crl.unusable).toBeUndefined();
  });

  it('reads the MHLW ARLs with their critical IssuingDistributionPoint', () => {
    const sarl = parseCrl(ref('mhlw-sarl-2022-09-29.pem'));
    expect(sarl.unusable).toBeUndefined();
    expect(sarl.revoked.size).toBe(0);
    expect(sarl.issuingDistributionPoint?.onlyContainsCACerts).toBe(true);
    expect(idpDirNames(sarl.issuingDistributionPoint)).toEqual([
      'C=JP, O=Ministry of Health\\, Labour and Welfare, OU=Director-General for Policy Planning and Evaluation, OU=MHLW HPKI Root CA V2, CN=SARL',
    ]);
    const rarl = parseCrl(ref('mhlw-rarl-2017-04-25.pem'));
    expect(idpDirNames(rarl.issuingDistributionPoint)[0]).toMatch(/CN=RARL$/);
  });

  it('reads the vectors CRL: serial 1004 revoked for keyCompromise', () => {
    const crl = parseCrl(readSharedPemDer('test-vectors', 'authca-crl.pem'));
    expect([...crl.revoked.keys()]).toEqual(['1004']);
    expect(crl.revoked.get('1004')?.reason).toBe(1);
    expect(isCrlFresh(crl, new Date('2030-01-01T00:00:00Z'))).toBe(true);
    expect(isCrlFresh(crl, new Date('2037-01-01T00:00:00Z'))).toBe(false);
  });
});

describe('IssuingDistributionPoint scope', () => {
  it('matches the SARL to the issuing CAs and the RARL to the root, by CRLDP dirName', () => {
    const sarl = parseCrl(ref('mhlw-sarl-2017-04-25.pem'));
    const rarl = parseCrl(ref('mhlw-rarl-2017-04-25.pem'));
    const signCa = refCert('medis-sign-ca2.pem');
    const authCa = refCert('medis-auth-ca2.pem');
    const root = refCert('mhlw-hpki-root-ca-v2.pem');
    expect(crlCoversCertificate(sarl, signCa)).toBe(true);
    expect(crlCoversCertificate(sarl, authCa)).toBe(true);
    expect(crlCoversCertificate(sarl, root)).toBe(false);
    expect(crlCoversCertificate(rarl, root)).toBe(true);
    expect(crlCoversCertificate(rarl, signCa)).toBe(false);
  });

  it('a CRL without IDP covers every certificate of its issuer and no other', () => {
    const crl = parseCrl(ref('medis-sign-ca2-crl-2017-04-24.pem'));
    expect(crlCoversCertificate(crl, refCert('medis-test-ee-sign-rokujuni.pem'))).toBe(true);
    expect(crlCoversCertificate(crl, refCert('medis-sign-ca2.pem'))).toBe(false);
  });
});

describe('built CRLs', () => {
  let pki: TestPki;
  let ee: ParsedCertificate;
  let ca: ParsedCertificate;
  let root: ParsedCertificate;
  const crlOf = (spec: Partial<Parameters<typeof makeCrl>[0]> = {}): Uint8Array =>
    makeCrl({
      issuer: pki.authCa.name,
      signingKey: pki.authCa.key,
      thisUpdate: new Date(pki.now.getTime() - DAY),
      nextUpdate: new Date(pki.now.getTime() + 3 * DAY),
      ...spec,
    });

  beforeAll(() => {
    pki = createTestPki({ now: new Date('2030-06-01T00:00:00Z') });
    ee = parseCertificate(pki.issueEe({ serial: 0x4242 }).certificate);
    ca = parseCertificate(pki.authCa.certificate);
    root = parseCertificate(pki.root.certificate);
  });

  it('reads delta CRLs and reason-partitioned CRLs; marks unknown critical extensions and stray indirect entries unusable', () => {
    const delta = parseCrl(crlOf({ extensions: [crlExt.number(7), ext.make('2.5.29.27', true, der.int(5))] }));
    expect([delta.unusable, delta.deltaBase, delta.crlNumber]).toEqual([undefined, 5n, 7n]);
    expect(
      parseCrl(crlOf({ crlNumber: false, extensions: [ext.make('2.5.29.27', true, der.int(1))] })).unusable,
    ).toMatch(/delta CRL without cRLNumber/);
    expect(parseCrl(crlOf({ extensions: [ext.make('1.2.3.4', true, der.null())] })).unusable).toMatch(
      /critical CRL extension/,
    );
    expect(parseCrl(crlOf({ extensions: [ext.make('1.2.3.4', false, der.null())] })).unusable).toBeUndefined();
    const indirect = ext.make('2.5.29.29', true, der.seq(der.explicit(4, pki.root.name)));
    expect(
      parseCrl(crlOf({ revoked: [{ serial: 1, date: pki.now, extraEntryExtensions: [indirect] }] })).unusable,
    ).toMatch(/not indirect/);
    const keyCompromiseOnly = ext.make('2.5.29.28', true, der.seq(der.tlv(0x83, Uint8Array.of(6, 0x40))));
    const partitioned = parseCrl(crlOf({ extensions: [keyCompromiseOnly] }));
    expect([partitioned.unusable, partitioned.issuingDistributionPoint?.onlySomeReasons]).toEqual([undefined, 2]);
  });

  it('honours onlyContainsCACerts / onlyContainsUserCerts', () => {
    expect(crlCoversCertificate(parseCrl(crlOf({ extensions: [crlExt.idp({ onlyCa: true })] })), ee)).toBe(false);
    expect(crlCoversCertificate(parseCrl(crlOf({ extensions: [crlExt.idp({ onlyUser: true })] })), ee)).toBe(true);
    const userOnlyArl = makeCrl({
      issuer: pki.root.name,
      signingKey: pki.root.key,
      thisUpdate: pki.now,
      extensions: [crlExt.idp({ onlyUser: true })],
    });
    expect(crlCoversCertificate(parseCrl(userOnlyArl), ca)).toBe(false);
  });

  it('accepts a CRL signature only from the key that made it', () => {
    const cache = createCrlSignatureCache();
    const budget = createSignatureBudget(10);
    const good = parseCrl(crlOf());
    expect(cache.verify(good, ca, budget)).toBe('yes');
    expect(cache.verify(good, root, budget)).toBe('no');
    expect(cache.verify(parseCrl(crlOf({ signingKey: generateTestKey() })), ca, budget)).toBe('no');
    expect(budget.remaining).toBe(7);
    expect(cache.verify(good, ca, budget)).toBe('yes');
    expect(budget.remaining).toBe(7);
  });

  it('parses a list of 50 000 entries in time linear in its length and finds a serial in it', () => {
    const listOf = (n: number): Uint8Array =>
      crlOf({ revoked: Array.from({ length: n }, (_, i) => ({ serial: 0x100000 + i, date: pki.now, reason: 1 })) });
    const small = listOf(2_000);
    const large = listOf(50_000);
    // CPU time, not wall time (a busy machine takes the core away, not CPU time), the least of a
    // few runs each; what is bounded is the ratio of the two sizes, which a faster or slower machine
    // does not change: 25 times the entries cost about 25 times the CPU when parsing is linear (up to
    // about 45 measured under load, the collector included), about 625 times when it is quadratic.
    // The speed itself is a benchmark's figure, not a test's.
    const leastCpu = (bytes: Uint8Array): number => {
      let least = Number.POSITIVE_INFINITY;
      for (let run = 0; run < 4; run++) {
        const started = process.cpuUsage();
        parseCrl(bytes);
        const spent = process.cpuUsage(started);
        least = Math.min(least, spent.user + spent.system);
      }
      return least;
    };
    const ratio = leastCpu(large) / Math.max(1, leastCpu(small));
    const crl = parseCrl(large);
    expect(crl.revoked.size).toBe(50_000);
    expect(crl.revoked.has((0x100000 + 31_337).toString(16).padStart(6, '0'))).toBe(true);
    expect(ratio).toBeLessThan(125);
  });

  it('refuses malformed CRLs with CrlFormatError only, and oversized ones before parsing', () => {
    const good = crlOf({ revoked: [{ serial: 5, date: pki.now, reason: 1 }] });
    expect(() => parseCrl(good, good.length - 1)).toThrow(CrlFormatError);
    expect(() => parseCrl(Uint8Array.of(...good, 0))).toThrow(CrlFormatError);
    expect(() => parseCrl(good.subarray(0, good.length - 10))).toThrow(CrlFormatError);
    expect(() => parseCrl(new Uint8Array())).toThrow(CrlFormatError);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat({ max: good.length - 1 }), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 5,
        }),
        (edits) => {
          const bytes = Uint8Array.from(good);
          for (const [at, value] of edits) bytes[at] = value;
          try {
            parseCrl(bytes);
          } catch (err) {
            expect(err).toBeInstanceOf(CrlFormatError);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  describe('checkPathRevocation', () => {
    const providerOf = (ders: Uint8Array[]): CrlProvider => {
      const store = createCrlStore(ders);
      return { crlsFor: (cert) => Promise.resolve(store.relevantTo(cert)) };
    };
    const run = (ders: Uint8Array[], at: Date = pki.now) =>
      checkPathRevocation([ee, ca, root], providerOf(ders), at, {
        store: createTrustStore({ anchors: [pki.root.certificate], intermediates: [pki.authCa.certificate] }),
      });

    it('good with a current CRL; CAs without lists of their issuer are not checked', async () => {
      const result = await run([crlOf()]);
      expect(result.status).toBe('good');
      expect(result.certificates.map((c) => c.status)).toEqual(['good', 'not-checked', 'not-checked']);
    });

    it('revoked when listed, even in an older list that is still around', async () => {
      const listed = crlOf({ revoked: [{ serial: 0x4242, date: pki.now, reason: 1 }] });
      expect((await run([listed])).status).toBe('revoked');
      const staleListing = crlOf({
        thisUpdate: new Date(pki.now.getTime() - 10 * DAY),
        nextUpdate: new Date(pki.now.getTime() - 6 * DAY),
        revoked: [{ serial: 0x4242, date: pki.now }],
      });
      expect((await run([crlOf(), staleListing])).status).toBe('revoked');
    });

    it('unknown when the only CRL is stale, from the future, signed by another key, or absent', async () => {
      const stale = crlOf({
        thisUpdate: new Date(pki.now.getTime() - 5 * DAY),
        nextUpdate: new Date(pki.now.getTime() - DAY),
      });
      expect((await run([stale])).status).toBe('unknown');
      expect((await run([crlOf({ thisUpdate: new Date(pki.now.getTime() + DAY) })])).status).toBe('unknown');
      expect((await run([crlOf({ signingKey: generateTestKey() })])).status).toBe('unknown');
      expect((await run([])).status).toBe('unknown');
      expect((await run([crlOf({ nextUpdate: undefined })])).status).toBe('unknown');
    });

    it('checks a CA against an ARL of its issuer that names it (IDP dirName), stale ARL → unknown', async () => {
      const arl = (revoked: number[], nextUpdate: Date) =>
        makeCrl({
          issuer: pki.root.name,
          signingKey: pki.root.key,
          thisUpdate: new Date(pki.now.getTime() - 2 * DAY),
          nextUpdate,
          revoked: revoked.map((serial) => ({ serial, date: pki.now })),
          extensions: [crlExt.idp({ dirName: pki.sarlName, onlyCa: true })],
        });
      const caSerial = Number.parseInt(ca.decoded.serialNumberHex, 16);
      const fresh = await run([crlOf(), arl([], new Date(pki.now.getTime() + DAY))]);
      expect(fresh.certificates.map((c) => c.status)).toEqual(['good', 'good', 'not-checked']);
      expect((await run([crlOf(), arl([caSerial], new Date(pki.now.getTime() + DAY))])).status).toBe('revoked');
      expect((await run([crlOf(), arl([], new Date(pki.now.getTime() - DAY))])).status).toBe('unknown');
      // An ARL for another distribution point (the RARL) says nothing about the CA.
      const rarl = makeCrl({
        issuer: pki.root.name,
        signingKey: pki.root.key,
        thisUpdate: new Date(pki.now.getTime() - DAY),
        nextUpdate: new Date(pki.now.getTime() + DAY),
        revoked: [{ serial: caSerial, date: pki.now }],
        extensions: [crlExt.idp({ dirName: pki.rarlName, onlyCa: true })],
      });
      const withRarl = await run([crlOf(), rarl]);
      expect(withRarl.certificates.map((c) => c.status)).toEqual(['good', 'not-checked', 'good']);
    });
  });
});

describe('HPKI CA renewal (key rollover under the same name)', () => {
  it('certificates issued with the old key stay good against CRLs signed with the new key, and revocable', async () => {
    const pki = createTestPki({ now: new Date('2030-06-01T00:00:00Z') });
    const name = 'HPKI-01-TestAuthCA-forAuthentication-forIndividual';
    // The renewed CA: same name, new key, issued by the root; end entities of the old key remain.
    const renewed = pki.issueCa({ issuer: pki.root, name, key: generateTestKey() });
    const oldEe = pki.issueEe({ serial: 0x5001 });
    const crl = (revoked: number[]) =>
      makeCrl({
        issuer: pki.authCa.name,
        signingKey: renewed.key,
        thisUpdate: new Date(pki.now.getTime() - DAY),
        nextUpdate: new Date(pki.now.getTime() + 3 * DAY),
        revoked: revoked.map((serial) => ({ serial, date: pki.now, reason: 1 })),
        extensions: [ext.aki(renewed.key.keyId), crlExt.number(2)],
      });
    const outcome = async (crls: Uint8Array[], intermediates: Uint8Array[]) => {
      const v = createCertificateValidator({
        anchors: [pki.root.certificate],
        intermediates,
        crls,
        validationCacheMs: 0,
      });
      const r = await v.validate(v.parse(oldEe.certificate), [], { at: pki.now });
      return r.error?.code ?? r.revocation?.status;
    };
    expect(await outcome([crl([])], [pki.authCa.certificate, renewed.certificate])).toBe('good');
    expect(await outcome([crl([0x5001])], [pki.authCa.certificate, renewed.certificate])).toBe('ERR_CERT_REVOKED');
    // Without the renewed CA's certificate nothing known verifies the new lists: fail closed.
    expect(await outcome([crl([])], [pki.authCa.certificate])).toBe('ERR_REVOCATION_UNKNOWN');
  });
});
