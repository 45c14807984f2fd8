import { cardInState, SCARD_STATE_UNAWARE } from './constants.js';
import { pcscFailure } from './error-codes.js';
import type { PcscHandle, PcscLibrary } from './library.js';

/**
 * One PC/SC context for one command: the readers and whether each holds a card (from the resource
 * manager's state, without touching a card), then the card connections the command makes, all
 * released by close(). Nothing stays open between commands.
 */

export interface ReaderSnapshot {
  name: string;
  cardPresent: boolean;
  /** The card's answer to reset, when a card is in. */
  atr: Uint8Array | undefined;
}

export interface CommandContext {
  library: PcscLibrary;
  handle: PcscHandle;
  readers: ReaderSnapshot[];
  close(): void;
}

/** Each reader's state now (timeout 0, every reader "unaware", so the answer is immediate). */
export async function snapshotReaders(library: PcscLibrary, handle: PcscHandle): Promise<ReaderSnapshot[]> {
  const names = library.listReaders(handle);
  if (names.length === 0) return [];
  const states = await library.getStatusChange(
    handle,
    names.map((reader) => ({ reader, currentState: SCARD_STATE_UNAWARE })),
    0,
  );
  return states.map((s) => {
    const cardPresent = cardInState(s.eventState);
    return { name: s.reader, cardPresent, atr: cardPresent && s.atr.length > 0 ? s.atr : undefined };
  });
}

export async function openCommandContext(library: PcscLibrary): Promise<CommandContext> {
  let handle: PcscHandle;
  try {
    handle = library.establishContext();
  } catch (err) {
    throw pcscFailure(err, 'service');
  }
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    try {
      library.releaseContext(handle);
    } catch {
      // The service went away meanwhile: nothing is left to release.
    }
  };
  try {
    return { library, handle, readers: await snapshotReaders(library, handle), close };
  } catch (err) {
    close();
    throw pcscFailure(err, 'service');
  }
}
