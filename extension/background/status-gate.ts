import type { PageStatusResult } from '../../protocol/page-messages.js';

/**
 * Looks at host and card that pages and the popup ask for, without a login: at most one such host
 * session at a time in the whole browser (each one is a native process, and over PC/SC it takes the
 * card for a moment), and the page API's `status` calls share one: the calls that arrive while one
 * runs, or shortly after it answered, get its answer. Forty calls start one host, not forty.
 */

export const STATUS_CACHE_MS = 2_000;

/** Runs one task at a time, in the order they came. */
export interface Serial {
  run<T>(task: () => Promise<T>): Promise<T>;
}

export function createSerial(): Serial {
  let tail: Promise<unknown> = Promise.resolve();
  return {
    run(task) {
      const result = tail.then(task, task);
      tail = result.catch(() => undefined);
      return result;
    },
  };
}

export interface StatusGate {
  pageStatus(): Promise<PageStatusResult>;
}

export function createStatusGate(
  slot: Serial,
  read: () => Promise<PageStatusResult>,
  now: () => number = Date.now,
  cacheMs = STATUS_CACHE_MS,
): StatusGate {
  let inFlight: Promise<PageStatusResult> | undefined;
  let cached: { at: number; value: PageStatusResult } | undefined;
  return {
    pageStatus() {
      if (cached !== undefined && now() - cached.at < cacheMs) return Promise.resolve(cached.value);
      if (inFlight !== undefined) return inFlight;
      const pending = slot.run(read).then(
        (value) => {
          cached = { at: now(), value };
          return value;
        },
        (err: unknown) => {
          // A failure is not kept: the next call asks again.
          cached = undefined;
          throw err;
        },
      );
      inFlight = pending;
      const clear = (): void => {
        if (inFlight === pending) inFlight = undefined;
      };
      pending.then(clear, clear);
      return pending;
    },
  };
}
