import { constants, createHash, publicDecrypt, X509Certificate } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryBackend } from '../../../../native-host/backends/memory-backend.js';
import { openHpkiToken } from '../../../../native-host/card/hpki-apdu-token.js';
import { createSeenCertificates } from '../../../../native-host/commands/seen-certificates.js';
import { dispatch } from '../../../../native-host/host/dispatcher.js';
import { loadOrCreateMockPki } from '../../../../native-host/mock-pki/index.js';
import type { ApduResponder } from '../../../../native-host/transport/apdu-transport.js';
import { createMemoryTransport } from '../../../../native-host/transport/memory-transport.js';
import { createCardFile, createVirtualCard, loadCardFile } from '../../../../native-host/virtual-card/index.js';
import { buildDigestInfo } from '../../../../protocol/digest-info.js';
import { createCountingBackend } from '../../../helpers/counting-backend.js';
import { keyUsageOf, sha256Hex } from '../../../helpers/signing-checks.js';

/**
 * Issue 22 on the mock backend and in the driver: get-signing-certificate, sign and change-pin
 * through the dispatcher; bad hashes and new PINs refused before the card is opened; the PIN fields
 * wiped; the authentication AP refusing a document hash; and the CHANGE REFERENCE DATA fallback for a
 * card that wants a VERIFY first.
 */

const ORIGIN = 'https://karte.example.jp';
let dir: string;
let cardPath: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hpki-host-signing-'));
  const pki = await loadOrCreateMockPki(join(dir, 'pki'));
  cardPath = join(dir, 'doctor.card');
  await createCardFile(cardPath, { pki, name: 'Nichii Taro', role: 'Medical Doctor', pin: '1234', signPin: '5678' });
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const hash384 = createHash('sha384').update('主治医意見書').digest();

describe('the mock backend through the dispatcher', () => {
  it('gives the signing certificate, signs a SHA-384 hash with it, and changes the signing PIN', async () => {
    // A card of its own: this test changes its PIN on disk.
    const own = join(dir, 'changed.card');
    copyFileSync(cardPath, own);
    const backend = createMemoryBackend({ cardPath: own });
    const seen = createSeenCertificates();
    const run = async (message: unknown) =>
      (await dispatch(message, async () => backend, { seen })) as { result?: unknown; error?: unknown };
    const got = await run({ id: 1, command: 'get-signing-certificate' });
    const { certificate } = got.result as { certificate: string };
    expect(keyUsageOf(certificate).nonRepudiation).toBe(true);
    const params = {
      origin: ORIGIN,
      hashAlgorithm: 'SHA-384',
      hash: hash384.toString('base64'),
      certificateSha256: sha256Hex(certificate),
    };
    const signed = await run({ id: 2, command: 'sign', params: { ...params, pin: '5678' } });
    const { signature, signatureAlgorithm } = signed.result as { signature: string; signatureAlgorithm: string };
    expect(signatureAlgorithm).toBe('RS384');
    const key = new X509Certificate(Buffer.from(certificate, 'base64')).publicKey;
    const recovered = publicDecrypt({ key, padding: constants.RSA_PKCS1_PADDING }, Buffer.from(signature, 'base64'));
    expect(recovered.toString('hex')).toBe(`3041300d060960864801650304020205000430${hash384.toString('hex')}`);
    // The login PIN does not sign.
    expect((await run({ id: 3, command: 'sign', params: { ...params, pin: '1234' } })).error).toMatchObject({
      code: 'ERR_HPKI_PIN_INCORRECT',
      retriesLeft: 14,
    });
    const change = { id: 4, command: 'change-pin', params: { application: 'sign', pin: '5678', newPin: 'n3w-PIN!' } };
    expect(await run(change)).toEqual({ id: 4, result: {} });
    expect(change.params).toMatchObject({ pin: '', newPin: '' });
    expect((await run({ id: 5, command: 'sign', params: { ...params, pin: 'n3w-PIN!' } })).error).toBeUndefined();
  });

  it.each([
    ['a hash one byte short', { hash: hash384.subarray(1).toString('base64') }],
    ['a SHA-256 hash named SHA-384', { hash: createHash('sha256').update('x').digest('base64') }],
    ['a hash that is not base64', { hash: `${'*'.repeat(64)}` }],
    ['an unknown hash algorithm', { hashAlgorithm: 'SHA-1' }],
    ['an insecure origin', { origin: 'http://karte.example.jp' }],
  ])('sign refuses %s before the PIN reaches the card', async (_name, change) => {
    const backend = createCountingBackend();
    const params = {
      origin: ORIGIN,
      hashAlgorithm: 'SHA-384',
      hash: hash384.toString('base64'),
      certificateSha256: '0'.repeat(64),
      pin: '5678',
      ...change,
    };
    const answer = await dispatch({ id: 1, command: 'sign', params }, async () => backend);
    expect(answer).toMatchObject({
      error: { code: expect.stringMatching(/^ERR_HPKI_(INVALID_ARGUMENT|INSECURE_ORIGIN)$/) },
    });
    expect(backend.calls).toMatchObject({ verifyPin: 0, sign: 0 });
    expect(JSON.stringify(answer)).not.toContain('5678');
  });

  it.each(['123', 'あいうえ', '12345678901234567', 'with space'])(
    'change-pin refuses the new PIN %j with no card opened',
    async (newPin) => {
      const backend = createCountingBackend();
      const message = { id: 1, command: 'change-pin', params: { application: 'auth', pin: '1234', newPin } };
      const answer = await dispatch(message, async () => backend);
      expect(answer).toMatchObject({ error: { code: 'ERR_HPKI_INVALID_ARGUMENT' } });
      expect(backend.calls).toMatchObject({ open: 0, changePin: 0 });
      expect(message.params).toMatchObject({ pin: '', newPin: '' });
    },
  );
});

describe('the driver', () => {
  it('the authentication AP refuses a document hash before any APDU', async () => {
    const transport = createMemoryTransport(createVirtualCard({ path: cardPath }));
    const token = await openHpkiToken(transport);
    const before = transport.stats.apdus;
    await expect(token.sign(buildDigestInfo('SHA-384', hash384))).rejects.toMatchObject({
      code: 'ERR_HPKI_INVALID_ARGUMENT',
    });
    expect(transport.stats.apdus).toBe(before);
  });

  it('a current PIN one character too long is a wrong PIN: one try, and the PIN is not changed', async () => {
    // The card splits old‖new by the length of the PIN it holds: "56789" + "8765" would pass "5678"
    // as right and store "98765", a PIN nobody typed. The VERIFY before the change refuses it whole.
    const token = await openHpkiToken(createMemoryTransport(createVirtualCard({ data: loadCardFile(cardPath) })), {
      application: 'sign',
    });
    await expect(token.changePin('56789', '8765')).rejects.toMatchObject({
      code: 'ERR_HPKI_PIN_INCORRECT',
      retriesLeft: 14,
    });
    await expect(token.verifyPin('98765')).rejects.toMatchObject({ code: 'ERR_HPKI_PIN_INCORRECT', retriesLeft: 13 });
    await expect(token.verifyPin('5678')).resolves.toBeUndefined();
  });

  it('a PIN no card holds never reaches the card', async () => {
    const transport = createMemoryTransport(createVirtualCard({ data: loadCardFile(cardPath) }));
    const token = await openHpkiToken(transport, { application: 'sign' });
    const before = transport.stats.apdus;
    for (const [pin, next] of [
      ['567', '8765'],
      ['5678', '87 65'],
      ['5678', '８７６５'],
      ['56785678567856785', '8765'],
    ] as const) {
      await expect(token.changePin(pin, next)).rejects.toMatchObject({ code: 'ERR_HPKI_INVALID_ARGUMENT' });
    }
    for (const pin of ['567', '56 78', '５６７８', '', '56785678567856785']) {
      await expect(token.verifyPin(pin)).rejects.toMatchObject({ code: 'ERR_HPKI_INVALID_ARGUMENT' });
    }
    expect(transport.stats.apdus).toBe(before);
  });

  it('changes a PIN on a card that wants VERIFY first: one VERIFY, then the new PIN alone', async () => {
    const card = createVirtualCard({ data: loadCardFile(cardPath) });
    const sent: string[] = [];
    // A card that refuses the old‖new form (as some may, HPKI-CARD.md §3) without counting a try.
    const verifyFirst: ApduResponder = {
      atr: () => card.atr(),
      reset: () => card.reset(),
      process(command) {
        const header = Buffer.from(command.subarray(0, 4)).toString('hex');
        sent.push(header);
        return header === '00240088' ? Uint8Array.of(0x6a, 0x86) : card.process(command);
      },
    };
    const token = await openHpkiToken(createMemoryTransport(verifyFirst), { application: 'sign' });
    await token.changePin('5678', '8765');
    expect(sent.filter((h) => h.startsWith('0020') || h.startsWith('0024'))).toEqual([
      '00200088',
      '00240088',
      '00240188',
    ]);
    await expect(token.verifyPin('5678')).rejects.toMatchObject({ code: 'ERR_HPKI_PIN_INCORRECT', retriesLeft: 14 });
    await expect(token.verifyPin('8765')).resolves.toBeUndefined();
  });

  it('a wrong current PIN costs one try of that application only, and 15 block it', async () => {
    const token = await openHpkiToken(createMemoryTransport(createVirtualCard({ data: loadCardFile(cardPath) })), {
      application: 'sign',
    });
    for (let left = 14; left >= 1; left--) {
      await expect(token.changePin('0000', '9999')).rejects.toMatchObject({
        code: 'ERR_HPKI_PIN_INCORRECT',
        retriesLeft: left,
      });
    }
    await expect(token.changePin('0000', '9999')).rejects.toMatchObject({ code: 'ERR_HPKI_PIN_BLOCKED' });
    await expect(token.changePin('5678', '9999')).rejects.toMatchObject({ code: 'ERR_HPKI_PIN_BLOCKED' });
  });
});
