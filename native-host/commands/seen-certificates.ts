import { bytesToHex } from '../../protocol/base64.js';
import { HpkiError } from '../../protocol/errors.js';
import { sha256Bytes } from '../../protocol/signed-data.js';
import type { CardCertificates, CardToken } from '../card/index.js';

/**
 * The certificates this host process has shown (get-certificate), by the SHA-256 that authenticate
 * sends back. With it, authenticate checks that the card is still the one the user saw with a short
 * read (CardToken.confirmCertificates) instead of reading the whole certificate again. A few entries
 * at most (a login shows one card, a choice of readers a few).
 */

const MAX_ENTRIES = 8;

export interface SeenCertificates {
  remember(certificates: CardCertificates): void;
  recall(certificateSha256: string): CardCertificates | undefined;
}

export function createSeenCertificates(): SeenCertificates {
  const seen = new Map<string, CardCertificates>();
  return {
    remember(certificates) {
      const key = bytesToHex(sha256Bytes(certificates.certificate));
      seen.delete(key);
      seen.set(key, certificates);
      for (const oldest of seen.keys()) {
        if (seen.size <= MAX_ENTRIES) break;
        seen.delete(oldest);
      }
    },
    recall: (certificateSha256) => seen.get(certificateSha256),
  };
}

/**
 * Throws ERR_HPKI_CARD_CHANGED unless the token's AP still holds the certificate whose SHA-256 the
 * user was shown. A certificate this process showed is checked with a short read; any other is read
 * and hashed. The certificate of one AP never matches on the other, so a login cannot reach the
 * signing key nor a document the authentication key.
 */
export async function confirmShownCertificate(
  token: CardToken,
  certificateSha256: string,
  seen: SeenCertificates | undefined,
): Promise<void> {
  const shown = seen?.recall(certificateSha256);
  const same =
    shown === undefined
      ? bytesToHex(sha256Bytes((await token.readCertificate()).certificate)) === certificateSha256
      : await token.confirmCertificates(shown);
  if (!same) {
    throw new HpkiError('ERR_HPKI_CARD_CHANGED', 'the card in the reader is not the one shown to the user');
  }
}
