/**
 * Whether cards sit in readers, learned from the reader service's status changes (PC/SC
 * SCardGetStatusChange), never by talking to a card. `find-cards`
 * waits on it when no card is in, and `watch-card` tells the extension when a card is pulled.
 */
export interface ReaderPresence {
  /** How many readers there are. */
  readers: number;
  /** Every reader's name, in the reader service's order. */
  names: string[];
  /** The readers that hold a card. */
  withCard: string[];
}

export interface CardPresence {
  /**
   * Which readers hold a card, from the reader service alone (no card is connected to or asked
   * anything). Absent where the backend's own listing is as cheap (the in-process virtual card).
   */
  presentReaders?(): Promise<ReaderPresence>;
  /**
   * Resolves as soon as some reader holds a card (at once when one already does); rejects with
   * the abort's reason when `signal` aborts. A reader plugged in meanwhile counts.
   */
  waitForCard(signal: AbortSignal): Promise<void>;
  /** Calls `removed` once when `reader` no longer holds a card (or is unplugged). Returns a stop function. */
  watchRemoval(reader: string, removed: () => void): () => void;
}
