import { z } from 'zod';
import { HpkiError } from '../../protocol/errors.js';
import type { SignatureReport } from '../../protocol/signature-report.js';
import type { DocumentVerifyOptions } from '../documents/index.js';
import { finishPades, preparePades, verifyPades } from '../documents/index.js';
import { createExpiringMap } from '../shared/index.js';
import { REFERRAL_LABEL, referralLetterPdf } from './referral-letter.js';

/**
 * 「紹介状に署名」 on the portal's server: PAdES prepared from the certificate the page got with
 * `getSigningCertificate`, finished with the signature from `sign`, and verified with the demo's
 * trust. What is pending, and the signed file, are kept per portal session in bounded maps that
 * expire: one entry per session (a new one replaces it), so nobody fills them for somebody else.
 */

/** A pending signature waits this long for the page's `sign` (the doctor types a PIN meanwhile). */
export const PENDING_MS = 5 * 60_000;
/** The signed PDF and its verification stay downloadable this long. */
export const SIGNED_MS = 30 * 60_000;
/** Sessions with a pending, and with a signed, 紹介状 at once (each entry holds the PDF: about 350 KB). */
export const MAX_REFERRAL_ENTRIES = 100;
/** The largest JSON body of the two POSTs: a certificate, its CAs, or a signature. */
export const MAX_REFERRAL_BODY_BYTES = 64 * 1024;

/** Base64 of DER; a certificate of an HPKI card is a few KB. */
const der = z
  .base64()
  .min(4)
  .max(16 * 1024);

export const prepareBodySchema = z.strictObject({
  certificate: der,
  intermediates: z.array(der).max(4).default([]),
});

export const finishBodySchema = z.strictObject({
  /** RSA-4096 at most: 512 bytes, 684 base64 characters. */
  signature: z.base64().min(4).max(700),
});

export interface PreparedReferral {
  hash: string;
  hashAlgorithm: string;
  label: string;
}

export interface SignedReferral {
  pdf: Uint8Array;
  report: SignatureReport;
}

export interface ReferralSigningOptions {
  /** The demo's trust, read at each verification (its CRLs are refreshed). */
  trust: () => DocumentVerifyOptions;
  now?: () => number;
}

export interface ReferralSigning {
  /** The sample letter the doctor signs (undefined when it is not installed). */
  letter(): Uint8Array | undefined;
  prepare(sessionId: string, body: unknown): PreparedReferral;
  /**
   * Finishes and verifies the session's pending letter. `holderId`: the logged-in doctor's; a letter
   * signed with another holder's card is refused (ERR_HPKI_CARD_CHANGED) and not kept.
   */
  finish(sessionId: string, body: unknown, holderId: string | undefined): Promise<SignedReferral>;
  signed(sessionId: string): SignedReferral | undefined;
  /** Forgets a session's entries (on logout). */
  forget(sessionId: string): void;
}

function invalid(message: string): HpkiError {
  return new HpkiError('ERR_HPKI_INVALID_ARGUMENT', message);
}

const bytes = (b64: string): Uint8Array => new Uint8Array(Buffer.from(b64, 'base64'));

export function createReferralSigning(options: ReferralSigningOptions): ReferralSigning {
  const now = options.now ?? Date.now;
  const pending = createExpiringMap<Uint8Array>({ maxEntries: MAX_REFERRAL_ENTRIES, now });
  const done = createExpiringMap<SignedReferral>({ maxEntries: MAX_REFERRAL_ENTRIES, now });

  return {
    letter: referralLetterPdf,
    prepare(sessionId, body) {
      const parsed = prepareBodySchema.safeParse(body);
      if (!parsed.success) throw invalid('the signing certificate is missing or malformed');
      const letter = referralLetterPdf();
      if (letter === undefined) throw new HpkiError('ERR_HPKI_INTERNAL', 'the sample letter is not installed');
      const { hash, hashAlgorithm, state } = preparePades({
        pdf: letter,
        certificate: bytes(parsed.data.certificate),
        intermediates: parsed.data.intermediates.map(bytes),
        reason: '診療情報提供書の作成者として署名',
      });
      if (!pending.set(sessionId, state, now() + PENDING_MS)) {
        throw new HpkiError('ERR_HPKI_BUSY', 'too many signatures are pending; try again in a few minutes');
      }
      return { hash: Buffer.from(hash).toString('base64'), hashAlgorithm, label: REFERRAL_LABEL };
    },
    async finish(sessionId, body, holderId) {
      const parsed = finishBodySchema.safeParse(body);
      if (!parsed.success) throw invalid('the signature is missing or malformed');
      const state = pending.take(sessionId);
      if (state === undefined) throw invalid('no signature is pending: press 署名 again');
      const pdf = await finishPades(state, bytes(parsed.data.signature));
      const report = await verifyPades(pdf, options.trust());
      if (holderId !== undefined && report.holder !== undefined && report.holder.id !== holderId) {
        throw new HpkiError(
          'ERR_HPKI_CARD_CHANGED',
          'the letter was signed with the card of another holder than the one logged in',
        );
      }
      const signed = { pdf, report };
      if (!done.set(sessionId, signed, now() + SIGNED_MS)) {
        throw new HpkiError('ERR_HPKI_BUSY', 'too many signed letters are kept; try again in a few minutes');
      }
      return signed;
    },
    signed: (sessionId) => done.get(sessionId),
    forget(sessionId) {
      pending.delete(sessionId);
      done.delete(sessionId);
    },
  };
}
