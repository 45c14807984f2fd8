import { existsSync } from 'node:fs';
import type { CardPresence } from './card-presence.js';

/**
 * Card presence for the in-process virtual card (`mock` backend): the card is "in" while its file
 * exists. There is no reader service to tell of changes, so a wait looks at the file (not at a
 * card) every quarter second.
 */

const LOOK_EVERY_MS = 250;

export function createFilePresence(cardPath: string): CardPresence {
  return {
    waitForCard(signal) {
      return new Promise<void>((resolve, reject) => {
        const look = (): void => {
          if (signal.aborted) {
            reject(signal.reason);
            return;
          }
          if (existsSync(cardPath)) resolve();
          else setTimeout(look, LOOK_EVERY_MS);
        };
        look();
      });
    },
    watchRemoval(_reader, removed) {
      let stopped = false;
      const look = (): void => {
        if (stopped) return;
        if (!existsSync(cardPath)) {
          stopped = true;
          removed();
        } else setTimeout(look, LOOK_EVERY_MS).unref();
      };
      setTimeout(look, LOOK_EVERY_MS).unref();
      return () => {
        stopped = true;
      };
    },
  };
}
