import { verify, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryBackend } from '../../../../native-host/backends/memory-backend.js';
import { createCaCertificateCache } from '../../../../native-host/cache/ca-certificate-cache.js';
import { type HpkiTokenOptions, openHpkiToken } from '../../../../native-host/card/hpki-apdu-token.js';
import { certificateFidsFromCdf } from '../../../../native-host/card/pkcs15-cdf.js';
import { loadOrCreateMockPki, type MockPki } from '../../../../native-host/mock-pki/index.js';
import type { ApduResponder } from '../../../../native-host/transport/apdu-transport.js';
import { createMemoryTransport } from '../../../../native-host/transport/memory-transport.js';
import {
  createCardFile,
  createVirtualCard,
  loadCardFile,
  readAuthKeyPair,
  type VirtualCardTweaks,
} from '../../../../native-host/virtual-card/index.js';
import { buildSignedContent, digestInfoSha256 } from '../../../../protocol/signed-data.js';

/** The HPKI driver (HpkiApduToken) against the virtual card in-process: same APDUs as over PC/SC. */

let dir: string;
let pki: MockPki;
let cardPath: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hpki-driver-'));
  pki = await loadOrCreateMockPki(join(dir, 'pki'));
  cardPath = join(dir, 'doctor.card');
  await createCardFile(cardPath, {
    pki,
    name: 'Nichii Taro',
    nameJa: '日医　太郎',
    role: 'Medical Doctor',
    pin: '1234',
  });
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function open(tweaks: VirtualCardTweaks = {}, options?: HpkiTokenOptions) {
  const card = createVirtualCard({ data: loadCardFile(cardPath) }, tweaks);
  const transport = createMemoryTransport(card);
  return { transport, token: openHpkiToken(transport, options) };
}

const content = buildSignedContent({
  origin: 'https://harenet.example.jp',
  challenge: 'c'.repeat(43),
  certificate: new Uint8Array([1]),
});

describe('HpkiApduToken over the virtual card', () => {
  it('reads the certificate and the CA certificates the CDF lists', async () => {
    const { token } = open();
    const t = await token;
    const { certificate, intermediates } = await t.readCertificate();
    const expected = readAuthKeyPair(loadCardFile(cardPath));
    expect(Buffer.from(certificate).equals(Buffer.from(expected.certificate))).toBe(true);
    expect(intermediates.map((c) => Buffer.from(c).toString('hex'))).toEqual(
      expected.caCertificates.map((c) => Buffer.from(c).toString('hex')),
    );
    expect(new X509Certificate(intermediates[0]!).subject).toContain('MockAuthCA');
  });

  it('reads the retry counter without spending a try, and never retries a PIN', async () => {
    const { token, transport } = open();
    const t = await token;
    expect(await t.pinStatus()).toEqual({ retriesLeft: 15, maxRetries: 15 });
    const before = transport.stats.apdus;
    await expect(t.verifyPin('0000')).rejects.toMatchObject({ code: 'ERR_HPKI_PIN_INCORRECT', retriesLeft: 14 });
    expect(transport.stats.apdus - before).toBe(1);
    expect(await t.pinStatus()).toEqual({ retriesLeft: 14, maxRetries: 15 });
    await t.verifyPin('1234');
  });

  it.each([
    ['ISO form (host pads)', { signingForms: { iso: true, proprietary: false } }],
    [
      'proprietary form (card pads), after the ISO form is refused',
      { signingForms: { iso: false, proprietary: true } },
    ],
  ] as const)('signs with the %s', async (_name, tweaks) => {
    const t = await open(tweaks).token;
    const { certificate } = await t.readCertificate();
    await t.verifyPin('1234');
    const signature = await t.sign(digestInfoSha256(content));
    expect(verify('sha256', content, new X509Certificate(certificate).publicKey, signature)).toBe(true);
  });

  it('refuses to sign anything but a SHA-256 DigestInfo, before any APDU', async () => {
    const { token, transport } = open();
    const t = await token;
    await t.verifyPin('1234');
    const before = transport.stats.apdus;
    const bad = digestInfoSha256(content);
    bad[5] = (bad[5] ?? 0) ^ 1;
    await expect(t.sign(bad)).rejects.toMatchObject({ code: 'ERR_HPKI_INVALID_ARGUMENT' });
    await expect(t.sign(new Uint8Array(51))).rejects.toMatchObject({ code: 'ERR_HPKI_INVALID_ARGUMENT' });
    expect(transport.stats.apdus).toBe(before);
  });

  it('does not sign without a verified PIN', async () => {
    const t = await open().token;
    await t.readCertificate();
    await expect(t.sign(digestInfoSha256(content))).rejects.toMatchObject({
      code: 'ERR_HPKI_INTERNAL',
      message: expect.stringContaining('6982'),
    });
  });

  it.each([0x6983, 0x6984] as const)(
    'maps a blocked PIN answered with %s to ERR_HPKI_PIN_BLOCKED',
    async (blockedStatusWord) => {
      const data = loadCardFile(cardPath);
      if (data.kind !== 'hpki') throw new Error('expected an HPKI card');
      data.applications.auth.pin.retriesLeft = 0;
      const t = await openHpkiToken(createMemoryTransport(createVirtualCard({ data }, { blockedStatusWord })));
      expect(await t.pinStatus()).toEqual({ retriesLeft: 0, maxRetries: 15 });
      await expect(t.verifyPin('1234')).rejects.toMatchObject({ code: 'ERR_HPKI_PIN_BLOCKED', retriesLeft: 0 });
    },
  );

  it('says the 15th wrong PIN blocks the card', async () => {
    const data = loadCardFile(cardPath);
    if (data.kind !== 'hpki') throw new Error('expected an HPKI card');
    data.applications.auth.pin.retriesLeft = 1;
    const t = await openHpkiToken(createMemoryTransport(createVirtualCard({ data })));
    await expect(t.verifyPin('0000')).rejects.toMatchObject({ code: 'ERR_HPKI_PIN_BLOCKED' });
  });

  it('reads the CA certificates once per end-entity certificate when given a cache', async () => {
    const caCache = createCaCertificateCache();
    const first = open({}, { caCache });
    const cold = await (await first.token).readCertificate();
    const second = open({}, { caCache });
    const warm = await (await second.token).readCertificate();
    // SELECT AP, then one extended READ BINARY by short EF identifier each for the certificate, the CDF, two CAs.
    expect(first.transport.stats.apdus).toBe(5);
    expect(second.transport.stats.apdus).toBe(2);
    expect(warm.intermediates.map((c) => Buffer.from(c).toString('hex'))).toEqual(
      cold.intermediates.map((c) => Buffer.from(c).toString('hex')),
    );
  });
});

describe('cards that are not HPKI cards', () => {
  it('recognises a My Number card', async () => {
    const jpki = join(dir, 'mynumber.card');
    await createCardFile(jpki, { pki, name: 'x', role: 'x', pin: '1234', kind: 'jpki' });
    await expect(openHpkiToken(createMemoryTransport(createVirtualCard({ path: jpki })))).rejects.toMatchObject({
      code: 'ERR_HPKI_UNSUPPORTED_CARD',
      message: expect.stringContaining('My Number'),
    });
  });

  it('refuses a card that knows neither application', async () => {
    const silent: ApduResponder = {
      atr: () => new Uint8Array([0x3b, 0x00]),
      reset: () => undefined,
      process: () => new Uint8Array([0x6a, 0x82]),
    };
    await expect(openHpkiToken(createMemoryTransport(silent))).rejects.toMatchObject({
      code: 'ERR_HPKI_UNSUPPORTED_CARD',
    });
  });
});

describe('the in-process backend', () => {
  it('holds the card for one command at a time', async () => {
    const backend = createMemoryBackend({ cardPath });
    const { token } = await backend.openToken();
    await expect(backend.openToken()).rejects.toMatchObject({ code: 'ERR_HPKI_BUSY' });
    await token.close();
    const again = await backend.openToken();
    await again.token.close();
  });
  it('reports a missing card file as no card', async () => {
    const backend = createMemoryBackend({ cardPath: join(dir, 'absent.card') });
    expect(await backend.listReaders()).toEqual([
      { name: 'HPKI Login Virtual Card', cardPresent: false, cardType: null },
    ]);
    await expect(backend.openToken()).rejects.toMatchObject({ code: 'ERR_HPKI_NO_CARD' });
  });
});

describe('CDF parsing', () => {
  it('finds the certificate FIDs of a CDF and stops at padding', () => {
    // CertificateObject { CommonObjectAttributes { label }, CommonCertificateAttributes { iD }, [1] { X509CertificateAttributes { Path { path } } } }
    const entry = (fid: number) => [
      0x30,
      0x14,
      0x30,
      0x03,
      0x0c,
      0x01,
      0x41,
      0x30,
      0x03,
      0x04,
      0x01,
      0x45,
      0xa1,
      0x08,
      0x30,
      0x06,
      0x30,
      0x04,
      0x04,
      0x02,
      fid >> 8,
      fid & 0xff,
    ];
    const cdf = new Uint8Array([...entry(0x0016), ...entry(0x0017), 0x00, 0x00, ...entry(0x0018)]);
    expect(certificateFidsFromCdf(cdf)).toEqual([0x0016, 0x0017]);
  });
  it('gives nothing for garbage', () => {
    expect(certificateFidsFromCdf(new Uint8Array([0x30, 0x82, 0xff, 0xff, 1, 2]))).toEqual([]);
    expect(certificateFidsFromCdf(new Uint8Array([0x30, 0x02, 0x04, 0x00]))).toEqual([]);
  });
});
