import { constants, createHash, createPrivateKey, generateKeyPairSync, privateEncrypt } from 'node:crypto';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCardFile, readKeyPair } from '../../../../../native-host/virtual-card/index.js';
import { buildDigestInfo } from '../../../../../protocol/digest-info.js';
import { finishXades, prepareXades } from '../../../../../server/documents/xades/index.js';
import { C14N } from '../../../../../server/documents/xades/xades-names.js';
import { canonicalize } from '../../../../../server/documents/xades/xml-canonical.js';
import {
  DEFAULT_XML_LIMITS,
  parseXmlSafely,
  startDeadline,
} from '../../../../../server/documents/xades/xml-safe-parse.js';
import { createXadesCard, SAMPLE_CSV, type XadesCard } from '../../../../helpers/xades-card.js';

/**
 * prepareXades / finishXades on their own: the prepared hash is what the signing key must sign (a
 * signature over it, made here with the card file's key, finishes the document), unusable inputs are
 * refused with ERR_XADES_INPUT, a signature by another key or over another document with
 * ERR_SIGNATURE_INVALID, and the timestamper is asked for SHA-256 of Canonical XML 1.0 of
 * ds:SignatureValue, the imprint the published samples carry.
 */

let card: XadesCard;
let key: ReturnType<typeof createPrivateKey>;

beforeAll(async () => {
  card = await createXadesCard();
  const pair = readKeyPair(loadCardFile(card.cardPath), 'sign');
  key = createPrivateKey({ key: Buffer.from(pair.privateKeyPkcs8), format: 'der', type: 'pkcs8' });
}, 60_000);

afterAll(() => {
  if (card !== undefined) rmSync(card.dir, { recursive: true, force: true });
});

/** RSASSA-PKCS1-v1_5 over DigestInfo(hash), as the card signs. */
const signHash = (hash: Uint8Array, with_ = key): Buffer =>
  privateEncrypt({ key: with_, padding: constants.RSA_PKCS1_PADDING }, buildDigestInfo('SHA-256', hash));

describe('prepareXades and finishXades', () => {
  it('finishes with a signature over the prepared hash, and asks the TSA about the SignatureValue', async () => {
    const pending = prepareXades(SAMPLE_CSV, card.certificate, { prescriptionId: 'abc-123' });
    expect(pending.hashAlgorithm).toBe('SHA-256');
    expect(pending.hash).toHaveLength(32);
    const asked: Uint8Array[] = [];
    const token = new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]);
    const xml = await finishXades(pending.state, signHash(pending.hash), {
      timestamper: async (algorithm, digest) => {
        expect(algorithm).toBe('SHA-256');
        asked.push(digest);
        return token;
      },
    });
    const doc = parseXmlSafely(xml, DEFAULT_XML_LIMITS, startDeadline(DEFAULT_XML_LIMITS));
    const value = doc.getElementsByTagNameNS('http://www.w3.org/2000/09/xmldsig#', 'SignatureValue').item(0);
    if (value === null) throw new Error('no SignatureValue');
    expect(asked).toEqual([new Uint8Array(createHash('sha256').update(canonicalize(value, C14N)).digest())]);
    const text = new TextDecoder().decode(xml);
    expect(text).toContain('<PrescriptionId Value="abc-123"/>');
    expect(text).toContain(`<xa:EncapsulatedTimeStamp>${Buffer.from(token).toString('base64')}<`);
  });

  it.each([
    ['an empty CSV', () => prepareXades(new Uint8Array(0), card.certificate)],
    ['a CSV that is not UTF-8', () => prepareXades(new Uint8Array([0x82, 0xa0]), card.certificate)],
    ['a CSV over 512 KiB', () => prepareXades(new Uint8Array(512 * 1024 + 1).fill(0x41), card.certificate)],
    ['a certificate that is not DER', () => prepareXades(SAMPLE_CSV, new Uint8Array([1, 2, 3]))],
    ['a prescription id with markup', () => prepareXades(SAMPLE_CSV, card.certificate, { prescriptionId: '"/><x' })],
    [
      'an invalid signing time',
      () => prepareXades(SAMPLE_CSV, card.certificate, { signingTime: new Date(Number.NaN) }),
    ],
  ])('prepare refuses %s', (_name, call) => {
    expect(call).toThrow(expect.objectContaining({ code: 'ERR_XADES_INPUT' }));
  });

  it('finish refuses a signature by another key, over another document, a signed state, and garbage', async () => {
    const pending = prepareXades(SAMPLE_CSV, card.certificate);
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    await expect(finishXades(pending.state, signHash(pending.hash, other))).rejects.toMatchObject({
      code: 'ERR_SIGNATURE_INVALID',
    });
    const otherDocument = prepareXades(new TextEncoder().encode('SJ1\n'), card.certificate);
    await expect(finishXades(pending.state, signHash(otherDocument.hash))).rejects.toMatchObject({
      code: 'ERR_SIGNATURE_INVALID',
    });
    const signed = await finishXades(pending.state, signHash(pending.hash));
    await expect(finishXades(signed, signHash(pending.hash))).rejects.toMatchObject({ code: 'ERR_XADES_INPUT' });
    await expect(finishXades(new TextEncoder().encode('<a/>'), signHash(pending.hash))).rejects.toMatchObject({
      code: 'ERR_XADES_INPUT',
    });
    await expect(finishXades(new Uint8Array([0xff]), signHash(pending.hash))).rejects.toMatchObject({
      code: 'ERR_XML_ENCODING',
    });
    await expect(finishXades(pending.state, new Uint8Array(0))).rejects.toMatchObject({ code: 'ERR_XADES_INPUT' });
  });
});
