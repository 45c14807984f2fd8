import { HpkiError } from '../../protocol/errors.js';

/** A channel to one card that exchanges APDUs. */
export interface ApduTransport {
  /** Sends a command APDU and returns the response APDU (data followed by SW1 SW2). */
  transmit(command: Uint8Array): Promise<Uint8Array>;
  /** Releases the card (ends exclusive use). */
  close(): Promise<void>;
}

/** Anything that answers APDUs like a card: the virtual card's state machine implements it. */
export interface ApduResponder {
  /** The card's answer to reset. */
  atr(): Uint8Array;
  /** Power-on or reset: the card forgets selected files and verified PINs. */
  reset(): void;
  /** Processes one command APDU and returns the response APDU. */
  process(command: Uint8Array): Uint8Array;
  /** Like process(), but may take the time a real card takes (the virtual card's sign delay). */
  processAsync?(command: Uint8Array): Promise<Uint8Array>;
}

/**
 * The reader (or its driver) would not carry a command to the card, e.g. an extended-length APDU on a
 * reader that has no extended length: the card never saw it, so the driver may try a shorter form.
 */
export class ReaderRefusedError extends HpkiError {
  constructor(detail: string, options?: { cause?: unknown }) {
    super('ERR_HPKI_INTERNAL', `PC/SC transmit failed: ${detail}`, options);
    this.name = 'ReaderRefusedError';
  }
}
