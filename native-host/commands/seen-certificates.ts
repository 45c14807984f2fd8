import { bytesToHex } from '../../protocol/base64.js';
import { sha256Bytes } from '../../protocol/signed-data.js';
import type { CardCertificates } from '../card/index.js';

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
