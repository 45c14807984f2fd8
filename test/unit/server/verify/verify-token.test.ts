import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IssuedCert, MockPki } from '../../../../native-host/mock-pki/index.js';
import {
  issueHolderCertificates,
  loadOrCreateMockPki,
  makeCrl,
  writeCurrentCrls,
} from '../../../../native-host/mock-pki/index.js';
import { decodeCertificate } from '../../../../protocol/certificate-der.js';
import { HpkiError } from '../../../../protocol/errors.js';
import type { Token } from '../../../../protocol/token.js';
import {
  createTestPki,
  encodeName,
  ext,
  generateTestKey,
  makeCertificate,
  OID,
  signLoginToken,
  testKeyFromPem,
} from '../../../../scripts/dev/test-pki.js';
import type { ChallengeTake, VerifierOptions } from '../../../../server/verify/index.js';
import { createTokenVerifier } from '../../../../server/verify/index.js';
import { readShared, readSharedPemDer } from '../../../helpers/shared.js';

interface Vector {
  name: string;
  origin: string;
  challenge: string;
  certificateSha256: string;
  token: Token;
}
const vectors = (JSON.parse(readShared('test-vectors', 'vectors.json')) as { vectors: Vector[] }).vectors;
const tv = (file: string): Uint8Array => readSharedPemDer('test-vectors', file);
const tvKey = (file: string): string => readShared('test-vectors', file);

const ORIGIN = 'https://harenet.example.jp';
const CHALLENGE = 'q1Yk3hV0b7mX9sQ2pL4nR8tW6zA5cE1dF0gH3jK7mN0';
/** Inside every vector's validity (EE 2026-11-21 → 2031, CRL → 2036). */
const VECTOR_TIME = new Date('2027-06-01T00:00:00Z');

const vectorOptions = (extra: Partial<VerifierOptions> = {}): VerifierOptions => ({
  anchors: [tv('root.pem')],
  intermediates: [tv('authca.pem')],
  crls: [tv('authca-crl.pem')],
  now: () => VECTOR_TIME,
  ...extra,
});

/** A challenge store stand-in that counts how often it is asked. */
function session(take: ChallengeTake = { status: 'ok', challenge: CHALLENGE }, origin = ORIGIN) {
  const state = { calls: 0 };
  return {
    state,
    context: {
      origin,
      takeChallenge: () => {
        state.calls++;
        return Promise.resolve(take);
      },
    },
  };
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (err) {
    if (!(err instanceof HpkiError)) throw err;
    return err.code;
  }
}

describe('the shared vectors', () => {
  const verifier = createTokenVerifier(vectorOptions());

  it.each(vectors.map((v) => [v.name, v] as const))('accepts %s for its own origin and challenge', async (_name, v) => {
    const s = session({ status: 'ok', challenge: v.challenge }, v.origin);
    const result = await verifier.verify(v.token, s.context);
    expect(result).toEqual({
      certificateSha256: v.certificateSha256,
      serialNumber: '1001',
      issuer: 'HPKI-01-MockAuthCA-forAuthentication-forIndividual',
      notAfter: '2031-11-20T12:22:33.000Z',
      holder: { name: 'Nichii Taro', id: 'MOCK000001' },
      hcRole: 'Medical Doctor',
    });
    expect(s.state.calls).toBe(1);
  });

  it('accepts the token as JSON text too', async () => {
    const v = vectors[0]!;
    expect(
      await codeOf(
        verifier.verify(JSON.stringify(v.token), session({ status: 'ok', challenge: v.challenge }, v.origin).context),
      ),
    ).toBe('ok');
  });

  it.each(vectors.map((v) => [v.name, v] as const))(
    'refuses %s for every other origin and challenge',
    async (_name, v) => {
      for (const other of vectors.filter((o) => o !== v)) {
        expect(
          await codeOf(
            verifier.verify(v.token, session({ status: 'ok', challenge: v.challenge }, other.origin).context),
          ),
        ).toBe('ERR_SIGNATURE_INVALID');
        expect(
          await codeOf(
            verifier.verify(v.token, session({ status: 'ok', challenge: other.challenge }, v.origin).context),
          ),
        ).toBe('ERR_SIGNATURE_INVALID');
      }
      const near = `${v.origin}/`;
      expect(
        await codeOf(verifier.verify(v.token, session({ status: 'ok', challenge: v.challenge }, near).context)),
      ).toBe('ERR_SIGNATURE_INVALID');
    },
  );
});

describe('PROTOCOL.md §5, one refusal per code', () => {
  const verifier = createTokenVerifier(vectorOptions());
  const goodToken = (): Token =>
    signLoginToken({ certificate: tv('ee.pem'), privateKey: tvKey('ee.key'), origin: ORIGIN, challenge: CHALLENGE });

  it('ERR_TOKEN_MALFORMED, without taking the challenge', async () => {
    const token = goodToken();
    const bad: unknown[] = [
      'not json',
      '{"format":"hpki-login:1"',
      null,
      42,
      { ...token, format: 'hpki-login:2' },
      { ...token, algorithm: 'RS512' },
      { ...token, algorithm: 'none' },
      { ...token, extra: 1 },
      { ...token, signature: `${token.signature.slice(0, -3)}B==` }, // stray bits: non-canonical base64
      { ...token, certificate: ` ${token.certificate}` },
      { ...token, certificate: 'AAAA' }, // base64 fine, DER not
      { ...token, intermediates: ['AAAA'] },
      { ...token, intermediates: Array(5).fill(token.certificate) },
      { ...token, padding: 'x'.repeat(20_000) },
      'x'.repeat(16 * 1024 + 1),
    ];
    for (const value of bad) {
      const s = session();
      expect(await codeOf(verifier.verify(value, s.context))).toBe('ERR_TOKEN_MALFORMED');
      expect(s.state.calls).toBe(0);
    }
  });

  it('ERR_CHALLENGE_UNKNOWN and ERR_CHALLENGE_EXPIRED come from the store, once', async () => {
    const unknown = session({ status: 'unknown' });
    expect(await codeOf(verifier.verify(goodToken(), unknown.context))).toBe('ERR_CHALLENGE_UNKNOWN');
    expect(unknown.state.calls).toBe(1);
    expect(await codeOf(verifier.verify(goodToken(), session({ status: 'expired' }).context))).toBe(
      'ERR_CHALLENGE_EXPIRED',
    );
  });

  it('ERR_CERT_PURPOSE for the signing certificate (nonRepudiation only)', async () => {
    const token = signLoginToken({
      certificate: tv('ee_sign.pem'),
      privateKey: tvKey('ee_sign.key'),
      origin: ORIGIN,
      challenge: CHALLENGE,
      intermediates: [tv('signca.pem')],
    });
    expect(await codeOf(verifier.verify(token, session().context))).toBe('ERR_CERT_PURPOSE');
  });

  it('ERR_CERT_POLICY for an authentication key under a non-authentication policy', async () => {
    const pki = createTestPki();
    const ee = pki.issueEe({ policies: ['1.2.392.100495.1.5.1.1.0.1'] });
    const token = signLoginToken({
      certificate: ee.certificate,
      privateKey: ee.key.privateKey,
      origin: ORIGIN,
      challenge: CHALLENGE,
    });
    const own = createTokenVerifier({
      anchors: [pki.root.certificate],
      intermediates: [pki.authCa.certificate],
      revocation: 'off',
    });
    expect(await codeOf(own.verify(token, session().context))).toBe('ERR_CERT_POLICY');
    expect(
      await codeOf(
        createTokenVerifier({ ...vectorOptions(), authPolicyArcs: ['1.2.392.100495.1.5.1.2.0.9'] }).verify(
          goodToken(),
          session().context,
        ),
      ),
    ).toBe('ERR_CERT_POLICY');
  });

  it('ERR_CERT_POLICY for a certificate without a holder id, at step 3: before the role and the signature', async () => {
    const pki = createTestPki();
    const ee = pki.issueEe({ holderId: null, role: 'Pharmacist' });
    const signed = (challenge: string): Token =>
      signLoginToken({ certificate: ee.certificate, privateKey: ee.key.privateKey, origin: ORIGIN, challenge });
    const own = createTokenVerifier({
      anchors: [pki.root.certificate],
      intermediates: [pki.authCa.certificate],
      revocation: 'off',
    });
    // The role (step 7) is not allowed and, for the second token, the signature (step 6) does not verify.
    expect(await codeOf(own.verify(signed(CHALLENGE), session().context))).toBe('ERR_CERT_POLICY');
    const otherChallenge = signed('Z'.repeat(43));
    expect(await codeOf(own.verify(otherChallenge, session().context))).toBe('ERR_CERT_POLICY');
    // Its twin with a holder id gets past step 3, to the role.
    const twin = pki.issueEe({ role: 'Pharmacist' });
    const twinToken = signLoginToken({
      certificate: twin.certificate,
      privateKey: twin.key.privateKey,
      origin: ORIGIN,
      challenge: CHALLENGE,
    });
    expect(await codeOf(own.verify(twinToken, session().context))).toBe('ERR_ROLE_NOT_ALLOWED');
  });

  it('ERR_CERT_UNTRUSTED for an unknown CA and for a certificate issued by an end entity', async () => {
    const elsewhere = createTokenVerifier({
      ...vectorOptions(),
      anchors: [readSharedPemDer('hpki-reference', 'mhlw-hpki-root-ca-v2.pem')],
      intermediates: [],
    });
    expect(await codeOf(elsewhere.verify(goodToken(), session().context))).toBe('ERR_CERT_UNTRUSTED');
    // Supplying the CA in the token does not help when its root is not an anchor.
    const withCa = signLoginToken({
      certificate: tv('ee.pem'),
      privateKey: tvKey('ee.key'),
      origin: ORIGIN,
      challenge: CHALLENGE,
      intermediates: [tv('authca.pem')],
    });
    expect(await codeOf(elsewhere.verify(withCa, session().context))).toBe('ERR_CERT_UNTRUSTED');

    const holderKey = generateTestKey();
    const underEe = makeCertificate({
      serial: 0x77,
      issuer: decodeCertificate(tv('ee.pem')).subjectDer,
      subject: encodeName([
        [OID.c, 'JP'],
        [OID.cn, 'Sub Holder'],
        [OID.serialNumber, 'SUB000001'],
      ]),
      notBefore: new Date('2027-01-01T00:00:00Z'),
      notAfter: new Date('2028-01-01T00:00:00Z'),
      subjectKey: holderKey,
      signingKey: testKeyFromPem(tvKey('ee.key')),
      extensions: [ext.keyUsage([0]), ext.policies([OID.authEePolicy]), ext.hcRole('Medical Doctor')],
    });
    const token = signLoginToken({
      certificate: underEe,
      privateKey: holderKey.privateKey,
      origin: ORIGIN,
      challenge: CHALLENGE,
      intermediates: [tv('ee.pem'), tv('authca.pem')],
    });
    expect(await codeOf(verifier.verify(token, session().context))).toBe('ERR_CERT_UNTRUSTED');
  });

  it('ERR_CERT_REVOKED for ee_revoked.pem', async () => {
    const token = signLoginToken({
      certificate: tv('ee_revoked.pem'),
      privateKey: tvKey('ee_revoked.key'),
      origin: ORIGIN,
      challenge: CHALLENGE,
    });
    expect(await codeOf(verifier.verify(token, session().context))).toBe('ERR_CERT_REVOKED');
    // Even with soft-fail a listed certificate is refused.
    expect(
      await codeOf(createTokenVerifier(vectorOptions({ revocation: 'soft-fail' })).verify(token, session().context)),
    ).toBe('ERR_CERT_REVOKED');
  });

  it('ERR_REVOCATION_UNKNOWN without a CRL (fail closed by default); soft-fail and off let it pass', async () => {
    expect(await codeOf(createTokenVerifier(vectorOptions({ crls: [] })).verify(goodToken(), session().context))).toBe(
      'ERR_REVOCATION_UNKNOWN',
    );
    expect(
      await codeOf(
        createTokenVerifier(vectorOptions({ crls: [], revocation: 'soft-fail' })).verify(
          goodToken(),
          session().context,
        ),
      ),
    ).toBe('ok');
    expect(
      await codeOf(
        createTokenVerifier(vectorOptions({ crls: [], revocation: 'off' })).verify(goodToken(), session().context),
      ),
    ).toBe('ok');
  });

  it('ERR_SIGNATURE_INVALID for a signature by another key or a damaged signature', async () => {
    const wrongKey = signLoginToken({
      certificate: tv('ee.pem'),
      privateKey: tvKey('ee_pharm.key'),
      origin: ORIGIN,
      challenge: CHALLENGE,
    });
    expect(await codeOf(verifier.verify(wrongKey, session().context))).toBe('ERR_SIGNATURE_INVALID');
    const good = goodToken();
    const flipped = Buffer.from(good.signature, 'base64');
    flipped[100] = flipped[100]! ^ 1;
    expect(await codeOf(verifier.verify({ ...good, signature: flipped.toString('base64') }, session().context))).toBe(
      'ERR_SIGNATURE_INVALID',
    );
    const short = flipped.subarray(0, 255).toString('base64');
    expect(await codeOf(verifier.verify({ ...good, signature: short }, session().context))).toBe(
      'ERR_SIGNATURE_INVALID',
    );
  });

  it('ERR_ROLE_NOT_ALLOWED for the pharmacist unless the site admits pharmacists', async () => {
    const token = signLoginToken({
      certificate: tv('ee_pharm.pem'),
      privateKey: tvKey('ee_pharm.key'),
      origin: ORIGIN,
      challenge: CHALLENGE,
    });
    expect(await codeOf(verifier.verify(token, session().context))).toBe('ERR_ROLE_NOT_ALLOWED');
    const pharmacy = createTokenVerifier(vectorOptions({ allowedRoles: ['Pharmacist'] }));
    expect((await pharmacy.verify(token, session().context)).hcRole).toBe('Pharmacist');
    expect(await codeOf(pharmacy.verify(goodToken(), session().context))).toBe('ERR_ROLE_NOT_ALLOWED');
  });
});

describe('with the mock PKI (CA keys at hand)', () => {
  let dir: string;
  let pki: MockPki;
  let server: Server;
  let serveCrls = true;
  let crlRequests = 0;
  const holders: Record<'good' | 'expired' | 'notYetValid' | 'revoked', IssuedCert> = {} as never;

  beforeAll(async () => {
    server = createServer((req, res) => {
      crlRequests++;
      if (!serveCrls || req.url !== '/auth-ca.crl') {
        res.writeHead(404).end();
        return;
      }
      // As a CA publishes: thisUpdate a minute back. A list made now can be dated (whole seconds) after
      // the validation's own `at`, taken before the fetch, and would not be current yet.
      writeCurrentCrls(pki, new Date(Date.now() - 60_000)).then(
        ({ authCaCrl }) => res.writeHead(200, { 'content-type': 'application/pkix-crl' }).end(authCaCrl),
        () => res.writeHead(500).end(),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    dir = await mkdtemp(join(tmpdir(), 'hpki-verify-'));
    pki = await loadOrCreateMockPki(dir, { crlBaseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
    const issue = async (spec: { expired?: boolean; notYetValid?: boolean; revoked?: boolean }) =>
      (
        await issueHolderCertificates(pki, {
          name: 'Mock Ichiro',
          nameJa: '模擬　一郎',
          role: 'Medical Doctor',
          ...spec,
        })
      ).auth;
    holders.good = await issue({});
    holders.expired = await issue({ expired: true });
    holders.notYetValid = await issue({ notYetValid: true });
    holders.revoked = await issue({ revoked: true });
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  const tokenOf = (holder: IssuedCert): Token =>
    signLoginToken({
      certificate: holder.certificate,
      privateKey: holder.privateKeyPkcs8,
      origin: ORIGIN,
      challenge: CHALLENGE,
      intermediates: [pki.authCa.certificate],
    });
  const mockVerifier = async (extra: Partial<VerifierOptions> = {}) =>
    createTokenVerifier({ anchors: [pki.root.certificate], crls: [(await writeCurrentCrls(pki)).authCaCrl], ...extra });

  it('accepts a current holder, with the Japanese name in the result', async () => {
    const result = await (await mockVerifier()).verify(tokenOf(holders.good), session().context);
    expect(result.holder).toMatchObject({ name: 'Mock Ichiro', nameJa: '模擬　一郎' });
    expect(result.hcRole).toBe('Medical Doctor');
  });

  it('ERR_CERT_EXPIRED and ERR_CERT_NOT_YET_VALID', async () => {
    const v = await mockVerifier();
    expect(await codeOf(v.verify(tokenOf(holders.expired), session().context))).toBe('ERR_CERT_EXPIRED');
    expect(await codeOf(v.verify(tokenOf(holders.notYetValid), session().context))).toBe('ERR_CERT_NOT_YET_VALID');
  });

  it('ERR_CERT_REVOKED from the CA’s current CRL', async () => {
    expect(await codeOf((await mockVerifier()).verify(tokenOf(holders.revoked), session().context))).toBe(
      'ERR_CERT_REVOKED',
    );
  });

  it('ERR_REVOCATION_UNKNOWN with only a stale CRL; soft-fail accepts', async () => {
    const day = 86_400_000;
    const stale = await makeCrl(pki, {
      issuer: 'auth',
      thisUpdate: new Date(Date.now() - 10 * day),
      nextUpdate: new Date(Date.now() - 6 * day),
    });
    const v = await mockVerifier({ crls: [stale] });
    expect(await codeOf(v.verify(tokenOf(holders.good), session().context))).toBe('ERR_REVOCATION_UNKNOWN');
    expect(
      await codeOf(
        (await mockVerifier({ crls: [stale], revocation: 'soft-fail' })).verify(
          tokenOf(holders.good),
          session().context,
        ),
      ),
    ).toBe('ok');
    // A CRL of the other CA does not count either.
    const signCrl = (await writeCurrentCrls(pki)).signCaCrl;
    expect(
      await codeOf((await mockVerifier({ crls: [signCrl] })).verify(tokenOf(holders.good), session().context)),
    ).toBe('ERR_REVOCATION_UNKNOWN');
  });

  it('fetches the CRL from the certificate’s CRLDP over HTTP, once, and fails closed when it cannot', async () => {
    serveCrls = true;
    crlRequests = 0;
    const v = await mockVerifier({ crls: [], fetchCrls: true });
    expect(await codeOf(v.verify(tokenOf(holders.good), session().context))).toBe('ok');
    expect(await codeOf(v.verify(tokenOf(holders.revoked), session().context))).toBe('ERR_CERT_REVOKED');
    expect(await codeOf(v.verify(tokenOf(holders.good), session().context))).toBe('ok');
    expect(crlRequests).toBe(1);
    serveCrls = false;
    const offline = await mockVerifier({ crls: [], fetchCrls: true });
    expect(await codeOf(offline.verify(tokenOf(holders.good), session().context))).toBe('ERR_REVOCATION_UNKNOWN');
    expect(
      await codeOf(
        (await mockVerifier({ crls: [], fetchCrls: true, revocation: 'soft-fail' })).verify(
          tokenOf(holders.good),
          session().context,
        ),
      ),
    ).toBe('ok');
  });
});
