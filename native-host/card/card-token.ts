import type { Backend, CardType, PinApplication, ReaderStatus } from '../../protocol/messages.js';

/** The certificates an HPKI card holds for one of its APs. */
export interface CardCertificates {
  /** DER of the AP's end-entity certificate. */
  certificate: Uint8Array;
  /** DER of CA certificates found on the card, nearest first (may be empty). */
  intermediates: Uint8Array[];
}

export interface PinStatus {
  retriesLeft: number;
  maxRetries: number;
}

/**
 * One open card application, held exclusively by this process until close(): the authentication AP
 * (login) or the signing AP (documents), never both. Implemented over HPKI APDUs (HpkiApduToken) and
 * over PKCS#11 (Pkcs11Token). Errors are HpkiErrors with PROTOCOL.md §8 codes.
 */
export interface CardToken {
  readonly cardType: CardType;
  /** Which AP this token opened: its certificate, PIN and key are that AP's only. */
  readonly application: PinApplication;
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
  /**
   * Signs a DigestInfo with this AP's key (RSASSA-PKCS1-v1_5); returns the signature. The
   * authentication AP takes a SHA-256 DigestInfo only, the signing AP one of SHA-256/384/512; anything
   * else is refused before it reaches the card.
   */
  sign(digestInfo: Uint8Array): Promise<Uint8Array>;
  /**
   * Changes this AP's PIN after presenting the current one once. Wrong → ERR_HPKI_PIN_INCORRECT with
   * retriesLeft; locked → ERR_HPKI_PIN_BLOCKED. Never retried.
   */
  changePin(pin: string, newPin: string): Promise<void>;
  close(): Promise<void>;
}

/** Where cards come from: PC/SC readers, a PKCS#11 module, or the in-process virtual card. */
export interface CardBackend {
  readonly name: Backend;
  listReaders(): Promise<ReaderStatus[]>;
  /**
   * Opens `application` (default `auth`) of the card in `reader`, or in the first reader that has a
   * card. ERR_HPKI_NO_READER, ERR_HPKI_NO_CARD, ERR_HPKI_UNSUPPORTED_CARD, ERR_HPKI_BUSY as appropriate.
   */
  openToken(reader?: string, application?: PinApplication): Promise<{ reader: string; token: CardToken }>;
  close(): Promise<void>;
}
