import type { Backend, CardType, ReaderStatus } from '../../protocol/messages.js';

/** The certificates an HPKI card holds for its authentication AP. */
export interface CardCertificates {
  /** DER of the authentication end-entity certificate. */
  certificate: Uint8Array;
  /** DER of CA certificates found on the card, nearest first (may be empty). */
  intermediates: Uint8Array[];
}

export interface PinStatus {
  retriesLeft: number;
  maxRetries: number;
}

/**
 * One open card, held exclusively by this process until close(). Implemented over HPKI APDUs
 * (HpkiApduToken) and over PKCS#11 (Pkcs11Token). Errors are HpkiErrors with PROTOCOL.md §8 codes.
 */
export interface CardToken {
  readonly cardType: CardType;
  readCertificate(): Promise<CardCertificates>;
  /**
   * Whether the card still holds `expected.certificate` (the one the user was shown), checked with as
   * little I/O as the card allows: the APDU driver compares the certificate's issuer and serial
   * number with one short read instead of reading it all. On true the token takes `expected` as what
   * readCertificate() returns; on false the card holds another certificate.
   */
  confirmCertificates(expected: CardCertificates): Promise<boolean>;
  /** Reads the retry counter without consuming a try. */
  pinStatus(): Promise<PinStatus>;
  /**
   * Presents the PIN exactly once. Wrong → ERR_HPKI_PIN_INCORRECT with retriesLeft; locked →
   * ERR_HPKI_PIN_BLOCKED. Never retried.
   */
  verifyPin(pin: string): Promise<void>;
  /** Signs a SHA-256 DigestInfo with the authentication key (RSASSA-PKCS1-v1_5); returns the signature. */
  sign(digestInfo: Uint8Array): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** Where cards come from: PC/SC readers, a PKCS#11 module, or the in-process virtual card. */
export interface CardBackend {
  readonly name: Backend;
  listReaders(): Promise<ReaderStatus[]>;
  /**
   * Opens the card in `reader`, or in the first reader that has a card. ERR_HPKI_NO_READER,
   * ERR_HPKI_NO_CARD, ERR_HPKI_UNSUPPORTED_CARD, ERR_HPKI_BUSY as appropriate.
   */
  openToken(reader?: string): Promise<{ reader: string; token: CardToken }>;
  close(): Promise<void>;
}
