import type { HostSession } from './native-host.js';

/**
 * The host's `card-removed` events for a login, as one promise per watched card: `next(reader)`
 * settles with 'removed' when that reader's card is pulled (after `watch-card`), and never for
 * another reader's.
 */
export interface CardRemovals {
  next(reader: string): Promise<'removed'>;
}

export function watchRemovals(host: HostSession): CardRemovals {
  let current: { reader: string; resolve: (value: 'removed') => void } | undefined;
  host.onEvent((event) => {
    if (event.type !== 'card-removed' || current === undefined || current.reader !== event.reader) return;
    const { resolve } = current;
    current = undefined;
    resolve('removed');
  });
  return {
    next(reader) {
      return new Promise((resolve) => {
        current = { reader, resolve };
      });
    },
  };
}
