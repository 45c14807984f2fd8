import { describe, expect, it } from 'vitest';
import { bytesToHex, encodeBase64 } from '../../../../protocol/base64.js';
import { sha256Bytes } from '../../../../protocol/signed-data.js';
import {
  CA_DER,
  cardScript,
  certificateAnswer,
  EE_DER,
  expectError,
  type HostScript,
  harness,
  SITE,
} from '../../../helpers/extension-harness.js';

// 電子署名 from a page (PROTOCOL.md §11) through the real background parts, over fakes of the
// browser and of the native host at the native-messaging boundary: the sign flow's equivalents of
// the login's tests in extension-background.test.ts.

const SIGN_SHA256 = bytesToHex(sha256Bytes(EE_DER));
const HASH = new Uint8Array(32).map((_, i) => i + 0xa0);
const SIGNATURE = { signature: encodeBase64(new Uint8Array(256).fill(9)), signatureAlgorithm: 'RS256' };

/** A card with a signing application whose PIN is 5678, with its own counter. */
function signingCard(startRetries = 15): HostScript & { signRetries: () => number } {
  let retries = startRetries;
  const login = cardScript();
  return {
    ...login,
    'get-signing-certificate': () => {
      const answer = certificateAnswer(retries) as { result: Record<string, unknown> };
      return { result: { ...answer.result, pinRetriesLeft: retries } };
    },
    sign: (params) => {
      if (params?.certificateSha256 !== SIGN_SHA256) return { error: { code: 'ERR_HPKI_CARD_CHANGED', message: 'x' } };
      if (params.pin === '5678') return { result: SIGNATURE };
      retries--;
      return { error: { code: 'ERR_HPKI_PIN_INCORRECT', message: 'wrong PIN', retriesLeft: retries } };
    },
    signRetries: () => retries,
  };
}

const getCertificate = { kind: 'page-get-signing-certificate' };
const signRequest = (label?: string) => ({
  kind: 'page-sign',
  params: {
    hash: encodeBase64(HASH),
    hashAlgorithm: 'SHA-256',
    certificateSha256: SIGN_SHA256,
    ...(label === undefined ? {} : { label }),
  },
});

describe('background: 電子署名, getSigningCertificate then sign in one window', () => {
  it('asks consent in confirm, gives the certificate, then asks the signing PIN in the same window', async () => {
    const script = signingCard();
    const h = harness({ host: { script } });
    const page = h.fromPage(`${SITE}/doc/1`);
    const pendingCertificate = h.router(getCertificate, page);
    const win = await h.pinWindow();
    const confirm = await win.stage('confirm');
    expect(confirm).toMatchObject({
      purpose: 'sign',
      origin: SITE,
      stage: { model: { holder: { nameJa: '日医　太郎' }, retriesLeft: 15, purpose: 'sign' } },
    });
    expect(await win.confirm()).toEqual({ ok: true, value: null });
    expect(await pendingCertificate).toEqual({
      ok: true,
      value: {
        certificate: encodeBase64(EE_DER),
        certificateSha256: SIGN_SHA256,
        intermediates: [encodeBase64(CA_DER)],
        issuer: expect.any(String),
        notAfter: expect.stringMatching(/^2031-11-20T/),
        holder: { name: 'Nichii Taro', nameJa: '日医　太郎', role: 'Medical Doctor' },
      },
    });
    // The window stays for the sign that follows.
    expect(h.windows.removed).toEqual([]);

    const pendingSignature = h.router(signRequest('紹介状（山田様）'), page);
    const pin = await win.stage('pin');
    expect(h.windows.opened).toHaveLength(1);
    expect(pin.stage).toMatchObject({
      model: {
        purpose: 'sign',
        document: { label: '紹介状（山田様）', hashStart: 'a0a1a2a3a4a5a6a7', hashAlgorithm: 'SHA-256' },
      },
    });
    expect(await win.submit('0000')).toEqual({ ok: true, value: { outcome: 'retry', retriesLeft: 14 } });
    expect(script.signRetries()).toBe(14);
    expect(await win.submit('5678')).toEqual({ ok: true, value: { outcome: 'done' } });
    expect(await pendingSignature).toEqual({ ok: true, value: SIGNATURE });
    expect(h.windows.removed).toEqual([win.id]);

    const commands = h.record.requests.map((r) => r.command);
    // The authentication key is never asked to sign anything.
    expect(commands).not.toContain('authenticate');
    const signs = h.record.requests.filter((r) => r.command === 'sign');
    expect(signs[1]!.params).toEqual({
      origin: SITE,
      hashAlgorithm: 'SHA-256',
      hash: encodeBase64(HASH),
      certificateSha256: SIGN_SHA256,
      pin: '5678',
      reader: 'Virtual PCD 00 00',
    });
  });

  it('cancel at confirm: ERR_HPKI_USER_CANCELLED, no certificate, the window closed', async () => {
    const h = harness({ host: { script: signingCard() } });
    const pending = h.router(getCertificate, h.fromPage(`${SITE}/`));
    const win = await h.pinWindow();
    await win.stage('confirm');
    await win.cancel();
    const reply = await pending;
    // The page hears it in a signature's words too (§11), not 「ログインを取り消しました」.
    expect(expectError(reply, 'ERR_HPKI_USER_CANCELLED').message).toBe('電子署名を取り消しました。');
    expect(reply).not.toHaveProperty('value');
    expect(h.windows.removed).toContain(win.id);
  });

  it('a sign with no window held opens its own; a card that is not the one of the certificate gets no PIN', async () => {
    const h = harness({ host: { script: signingCard() } });
    const page = h.fromPage(`${SITE}/`);
    const other = { ...signRequest(), params: { ...signRequest().params, certificateSha256: 'cd'.repeat(32) } };
    const changed = expectError(await h.router(other, page), 'ERR_HPKI_CARD_CHANGED');
    expect(changed.message).toContain('電子署名');
    expect(changed.message).not.toContain('ログイン');
    expect(h.record.requests.map((r) => r.command)).not.toContain('sign');
    const pending = h.router(signRequest(), page);
    const win = await h.pinWindow(1);
    await win.stage('pin');
    expect(await win.submit('5678')).toEqual({ ok: true, value: { outcome: 'done' } });
    expect(await pending).toEqual({ ok: true, value: SIGNATURE });
  });

  it('one flow at a time in the browser: another tab gets ERR_HPKI_BUSY while a signature is asked', async () => {
    const h = harness({ host: { script: signingCard() } });
    const pending = h.router(getCertificate, h.fromPage(`${SITE}/`, 1));
    const win = await h.pinWindow();
    await win.stage('confirm');
    expectError(await h.router(signRequest(), h.fromPage(`${SITE}/`, 2)), 'ERR_HPKI_BUSY');
    await win.confirm();
    expect(await pending).toMatchObject({ ok: true });
  });

  it('a locked signing PIN: the window shows blocked and no PIN is asked', async () => {
    const h = harness({ host: { script: signingCard(0) } });
    const reply = await h.router(signRequest(), h.fromPage(`${SITE}/`));
    expectError(reply, 'ERR_HPKI_PIN_BLOCKED');
    expect(h.record.requests.map((r) => r.command)).not.toContain('sign');
  });

  it('accepts getSigningCertificate and sign only over their own port', async () => {
    const h = harness({ host: { script: signingCard() } });
    expectError(await h.background(getCertificate, h.fromPage(`${SITE}/`)), 'ERR_HPKI_INVALID_ARGUMENT');
    expectError(await h.background(signRequest(), h.fromPage(`${SITE}/`)), 'ERR_HPKI_INVALID_ARGUMENT');
    expect(h.windows.opened).toHaveLength(0);
  });
});
