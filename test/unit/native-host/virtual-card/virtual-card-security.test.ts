import { constants, publicDecrypt, verify as verifySignature, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateMockPki, type MockPki } from '../../../../native-host/mock-pki/index.js';
import { CARD_FILE_FORMAT, makePinRecord } from '../../../../native-host/virtual-card/card-file.js';
import {
  type CardFile,
  CardResetDuringCommandError,
  createCardFile,
  createVirtualCard,
  loadCardFile,
  type VirtualCard,
} from '../../../../native-host/virtual-card/index.js';
import { encodeBase64 } from '../../../../protocol/base64.js';
import { buildSignedContent, digestInfoSha256, emsaPkcs1v15 } from '../../../../protocol/signed-data.js';
import {
  AUTH_AID,
  authCertificate,
  authReady,
  bytes,
  hexOf,
  PIN,
  SIGN_AID,
  selectAid,
  selectEf,
  send,
  sw,
  verifyPin,
} from '../../../helpers/card-apdu.js';
import { readShared, readSharedPemDer } from '../../../helpers/shared.js';

const MSE = '002241b604840200 0c';

function psoExtended(block: Uint8Array): Uint8Array {
  return Uint8Array.from([0x00, 0x2a, 0x9e, 0x9a, 0x00, 0x01, 0x00, ...block, 0x00, 0x00]);
}
function proprietarySign(digestInfo: Uint8Array): Uint8Array {
  return Uint8Array.from([0x80, 0x2a, 0x00, 0x80, digestInfo.length, ...digestInfo, 0x00]);
}

let dir: string;
let pki: MockPki;
let data: CardFile;

/** What a login signs (PROTOCOL.md §3) with this card's auth certificate, set up in beforeAll. */
let content: Uint8Array;
let digestInfo: Uint8Array;
let block: Uint8Array;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'virtual-card-security-'));
  pki = await loadOrCreateMockPki(join(dir, 'pki'));
  await createCardFile(join(dir, 'doctor.card'), {
    pki,
    name: 'Nichii Taro',
    nameJa: '日医　太郎',
    role: 'Medical Doctor',
    pin: PIN,
  });
  data = loadCardFile(join(dir, 'doctor.card'));
  content = buildSignedContent({
    origin: 'https://harenet.example.jp',
    challenge: 'c'.repeat(43),
    certificate: authCertificate(data).raw,
  });
  digestInfo = digestInfoSha256(content);
  block = emsaPkcs1v15(digestInfo, 256);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('virtual HPKI card: PIN', () => {
  it('reports the counter with VERIFY without data, 63CF on a fresh card, consuming nothing', () => {
    const card = authReady(data, { verified: false });
    expect(sw(card, '00200088')).toBe('63cf');
    expect(sw(card, '00200088')).toBe('63cf');
  });

  it('counts a wrong PIN down (63Cx) and resets the counter to 15 on success', () => {
    const card = authReady(data, { verified: false });
    expect(sw(card, verifyPin('9999'))).toBe('63ce');
    expect(sw(card, verifyPin('99999'))).toBe('63cd');
    expect(sw(card, '00200088')).toBe('63cd');
    expect(sw(card, verifyPin(PIN))).toBe('9000');
    expect(sw(card, '00200088')).toBe('63cf');
  });

  it('blocks after 15 wrong PINs: 63C0, then 6984 even for the right PIN (6983 when so tweaked)', () => {
    for (const [tweak, expected] of [
      [undefined, '6984'],
      [0x6983, '6983'],
    ] as const) {
      const card = createVirtualCard({ data }, tweak === undefined ? {} : { blockedStatusWord: tweak });
      expect(sw(card, selectAid(AUTH_AID))).toBe('9000');
      for (let left = 14; left >= 0; left--) expect(sw(card, verifyPin('0000'))).toBe(`63c${left.toString(16)}`);
      expect(sw(card, verifyPin(PIN))).toBe(expected);
      expect(sw(card, '00200088')).toBe('63c0');
      expect(sw(card, MSE)).toBe('9000');
      expect(sw(card, psoExtended(block))).toBe('6982');
    }
  });

  it('keeps a separate PIN object per AP', () => {
    const card = authReady(data, { verified: false });
    expect(sw(card, verifyPin('0000'))).toBe('63ce');
    expect(sw(card, selectAid(SIGN_AID))).toBe('9000');
    expect(sw(card, '00200088')).toBe('63cf');
  });

  it('refuses a PIN reference other than 88 and P1 other than 00 (6A86), and over-long PIN data (6700)', () => {
    const card = authReady(data, { verified: false });
    expect(sw(card, '00200081')).toBe('6a86');
    expect(sw(card, '00200188')).toBe('6a86');
    expect(sw(card, verifyPin('x'.repeat(17)))).toBe('6700');
    expect(sw(card, '00200088')).toBe('63cf');
  });
});

describe('virtual HPKI card: signing', () => {
  const verifies = (signature: Uint8Array): boolean =>
    verifySignature('sha256', content, authCertificate(data).publicKey, signature);

  it('accepts MSE:SET with tag 84 and with tag 81 naming key 000C', () => {
    const card = authReady(data);
    expect(sw(card, MSE)).toBe('9000');
    expect(sw(card, '002241b604810200 0c')).toBe('9000');
  });

  it('refuses MSE:SET for other FIDs (6981 existing, 6A82 unknown), other tags (6A80), other P1/P2 (6A86)', () => {
    const card = authReady(data);
    expect(sw(card, '002241b604840200 16')).toBe('6981');
    expect(sw(card, '002241b6048402 1234')).toBe('6a82');
    expect(sw(card, '002241b604830200 0c')).toBe('6a80');
    expect(sw(card, '002241a404840200 0c')).toBe('6a86');
    expect(sw(card, '002241b60484 03000c')).toBe('6a85');
  });

  it('signs a host-padded block with PSO:CDS (extended Lc/Le): the signature verifies over the content', () => {
    const card = authReady(data);
    expect(sw(card, MSE)).toBe('9000');
    const r = send(card, psoExtended(block));
    expect(r.sw).toBe('9000');
    expect(r.data).toHaveLength(256);
    expect(verifies(r.data)).toBe(true);
    const recovered = publicDecrypt(
      { key: authCertificate(data).publicKey, padding: constants.RSA_NO_PADDING },
      r.data,
    );
    expect(hexOf(recovered)).toBe(hexOf(block));
  });

  it('signs the same block sent by command chaining (CLA 10)', () => {
    const card = authReady(data);
    expect(sw(card, MSE)).toBe('9000');
    const first = Uint8Array.from([0x10, 0x2a, 0x9e, 0x9a, 0x80, ...block.subarray(0, 128)]);
    const last = Uint8Array.from([0x00, 0x2a, 0x9e, 0x9a, 0x80, ...block.subarray(128), 0x00]);
    expect(sw(card, first)).toBe('9000');
    const r = send(card, last);
    expect(r.sw).toBe('9000');
    expect(verifies(r.data)).toBe(true);
    expect(sw(card, MSE)).toBe('9000');
    expect(hexOf(send(card, psoExtended(block)).data)).toBe(hexOf(r.data));
  });

  it('answers 6884 to chaining of anything but PSO', () => {
    expect(sw(authReady(data), '10a4020c020016')).toBe('6884');
  });

  it('refuses a malformed padding block with 6A80 and a block of the wrong length with 6700', () => {
    const card = authReady(data);
    expect(sw(card, MSE)).toBe('9000');
    const badFill = block.slice();
    badFill[100] = 0xfe;
    const wrongOid = block.slice();
    wrongOid[block.length - 51 + 14] = block[block.length - 51 + 14]! ^ 0x01;
    const noSeparator = block.slice();
    noSeparator[block.length - 52] = 0xff;
    for (const bad of [badFill, wrongOid, noSeparator, Uint8Array.from([0x00, 0x02, ...block.subarray(2)])]) {
      expect(sw(card, psoExtended(bad))).toBe('6a80');
    }
    expect(
      sw(card, Uint8Array.from([0x00, 0x2a, 0x9e, 0x9a, 0x00, 0x00, 0xff, ...block.subarray(1), 0x00, 0x00])),
    ).toBe('6700');
  });

  it('answers 6982 to signing without a verified PIN, and 6985 without MSE', () => {
    const card = authReady(data, { verified: false });
    expect(sw(card, MSE)).toBe('9000');
    expect(sw(card, psoExtended(block))).toBe('6982');
    expect(sw(card, selectEf('000c'))).toBe('9000');
    expect(sw(card, proprietarySign(digestInfo))).toBe('6982');
    const verified = authReady(data);
    expect(sw(verified, psoExtended(block))).toBe('6985');
    expect(sw(verified, '002a9e9c00')).toBe('6a86');
  });

  it('signs a DigestInfo with the card-padded form (SELECT EF 000C, 80 2A 00 80): same signature as form A', () => {
    const card = authReady(data);
    expect(sw(card, selectEf('000c'))).toBe('9000');
    const r = send(card, proprietarySign(digestInfo));
    expect(r.sw).toBe('9000');
    expect(verifies(r.data)).toBe(true);
    expect(sw(card, MSE)).toBe('9000');
    expect(hexOf(send(card, psoExtended(block)).data)).toBe(hexOf(r.data));
  });

  it('needs EF 000C selected for the card-padded form (6985) and P1P2 00 80 (6A86)', () => {
    const card = authReady(data);
    expect(sw(card, proprietarySign(digestInfo))).toBe('6985');
    expect(sw(card, selectEf('000c'))).toBe('9000');
    expect(sw(card, Uint8Array.from([0x80, 0x2a, 0x9e, 0x9a, digestInfo.length, ...digestInfo, 0x00]))).toBe('6a86');
    expect(sw(card, '802a008000')).toBe('6700');
  });

  it('makes the signing AP forget its PIN after one signature; the auth AP keeps it', () => {
    const card = createVirtualCard({ data });
    expect(sw(card, selectAid(SIGN_AID))).toBe('9000');
    expect(sw(card, verifyPin(PIN))).toBe('9000');
    expect(sw(card, MSE)).toBe('9000');
    const signature = send(card, psoExtended(block));
    expect(signature.sw).toBe('9000');
    const signCert =
      data.kind === 'hpki' ? new X509Certificate(Buffer.from(data.applications.sign.certificate, 'base64')) : undefined;
    expect(verifySignature('sha256', content, signCert!.publicKey, signature.data)).toBe(true);
    expect(sw(card, psoExtended(block))).toBe('6982');
    const auth = authReady(data);
    expect(sw(auth, MSE)).toBe('9000');
    expect(sw(auth, psoExtended(block))).toBe('9000');
    expect(sw(auth, psoExtended(block))).toBe('9000');
  });

  it('forgets the auth PIN on reset and when another AP is selected', () => {
    const card = authReady(data);
    card.reset();
    expect(sw(card, selectAid(AUTH_AID))).toBe('9000');
    expect(sw(card, MSE)).toBe('9000');
    expect(sw(card, psoExtended(block))).toBe('6982');
    expect(sw(card, verifyPin(PIN))).toBe('9000');
    expect(sw(card, selectAid(SIGN_AID))).toBe('9000');
    expect(sw(card, selectAid(AUTH_AID))).toBe('9000');
    expect(sw(card, MSE)).toBe('9000');
    expect(sw(card, psoExtended(block))).toBe('6982');
  });

  it('offers only the forms it is told to: ISO off → 6D00, proprietary off → 6E00', () => {
    const isoOff = createVirtualCard({ data }, { signingForms: { iso: false, proprietary: true } });
    expect(sw(isoOff, selectAid(AUTH_AID))).toBe('9000');
    expect(sw(isoOff, verifyPin(PIN))).toBe('9000');
    expect(sw(isoOff, MSE)).toBe('6d00');
    expect(sw(isoOff, selectEf('000c'))).toBe('9000');
    expect(sw(isoOff, proprietarySign(digestInfo))).toBe('9000');
    const propOff = createVirtualCard({ data }, { signingForms: { iso: true, proprietary: false } });
    expect(sw(propOff, selectAid(AUTH_AID))).toBe('9000');
    expect(sw(propOff, proprietarySign(digestInfo))).toBe('6e00');
  });

  it('stalls signing for signDelayMs in processAsync, and gives up when reset meanwhile', async () => {
    const card = createVirtualCard({ data }, { signDelayMs: 150 });
    expect(sw(card, selectAid(AUTH_AID))).toBe('9000');
    expect(sw(card, verifyPin(PIN))).toBe('9000');
    expect(sw(card, MSE)).toBe('9000');
    const started = Date.now();
    const response = await card.processAsync(psoExtended(block));
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(hexOf(response.subarray(-2))).toBe('9000');
    expect(hexOf((await card.processAsync(bytes('00200088'))).subarray(-2))).toBe('63cf');
    const pending = card.processAsync(psoExtended(block));
    card.reset();
    await expect(pending).rejects.toBeInstanceOf(CardResetDuringCommandError);
  });
});

describe('virtual HPKI card: the shared test vectors', () => {
  interface Vector {
    origin: string;
    challenge: string;
    signedContentHex: string;
    paddedBlockHex: string;
    token: { signature: string };
  }

  /** A card holding the openssl-made vector key and certificate: its signatures must match the vectors bit for bit. */
  function vectorCard(): VirtualCard {
    const der = (name: string): string => encodeBase64(readSharedPemDer('test-vectors', name));
    const app = (cert: string, key: string, ca: string) => ({
      certificate: der(cert),
      privateKeyPkcs8: der(key),
      caCertificates: [der(ca), der('root.pem')],
      pin: makePinRecord(PIN),
    });
    return createVirtualCard({
      data: {
        format: CARD_FILE_FORMAT,
        version: 1,
        kind: 'hpki',
        holder: { name: 'Nichii Taro', role: 'Medical Doctor' },
        applications: {
          auth: app('ee.pem', 'ee.key', 'authca.pem'),
          sign: app('ee_sign.pem', 'ee_sign.key', 'signca.pem'),
        },
      },
    });
  }

  it("produces the vectors' signatures with both signing forms", () => {
    const { vectors } = JSON.parse(readShared('test-vectors', 'vectors.json')) as { vectors: Vector[] };
    expect(vectors.length).toBeGreaterThan(0);
    const certificate = readSharedPemDer('test-vectors', 'ee.pem');
    for (const vector of vectors) {
      const signedContent = buildSignedContent({ origin: vector.origin, challenge: vector.challenge, certificate });
      expect(hexOf(signedContent)).toBe(vector.signedContentHex);
      const padded = emsaPkcs1v15(digestInfoSha256(signedContent), 256);
      expect(hexOf(padded)).toBe(vector.paddedBlockHex);
      const expected = Buffer.from(vector.token.signature, 'base64').toString('hex');
      const card = vectorCard();
      expect(sw(card, selectAid(AUTH_AID))).toBe('9000');
      expect(sw(card, verifyPin(PIN))).toBe('9000');
      expect(sw(card, MSE)).toBe('9000');
      expect(hexOf(send(card, psoExtended(padded)).data)).toBe(expected);
      expect(sw(card, selectEf('000c'))).toBe('9000');
      expect(hexOf(send(card, proprietarySign(digestInfoSha256(signedContent))).data)).toBe(expected);
    }
  });
});
