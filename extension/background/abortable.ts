import { HpkiError } from '../../protocol/errors.js';

/**
 * Waits that end when a flow ends: every promise a card flow waits on goes through `until`, so that
 * the window closing, the page going away, the timeout or the host stopping ends it at once.
 */

export function goneError(): HpkiError {
  return new HpkiError('ERR_HPKI_USER_CANCELLED', 'the requesting page went away');
}

/** The abort's own HpkiError (a closed window, a timeout, a stopped host), else the page going away. */
export function reasonOf(signal: AbortSignal): HpkiError {
  return signal.reason instanceof HpkiError ? signal.reason : goneError();
}

/** Rejects with the end's reason as soon as `signal` aborts, else settles as `promise` does. */
export function until<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    // Nobody waits for it now: its later failure (the session closing under it) is expected.
    promise.catch(() => undefined);
    return Promise.reject(reasonOf(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(reasonOf(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

/** Waits `ms`, or rejects as soon as `signal` aborts. */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(goneError());
      return;
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    function onAbort(): void {
      clearTimeout(timer);
      reject(goneError());
    }
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
