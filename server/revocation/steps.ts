/**
 * Runs a generator of steps synchronously for as long as no step has to wait: a step yields a
 * promise only when it has one (a CRL being fetched, a CRL signer's own path being checked), and
 * only then does the rest go on asynchronously. With every CRL in hand, as for nearly every
 * validation, the answer comes back at once, with no promise made and no microtask queued for each
 * certificate of the path. Inside the steps, `yield promise` gives the promise's value (or throws
 * its rejection), as `await` would.
 */
export type Steps<T> = Generator<unknown, T, unknown>;

export function runSteps<T>(steps: Steps<T>): T | Promise<T> {
  let step = steps.next();
  while (!step.done) {
    if (step.value instanceof Promise) return resume(steps, step.value);
    step = steps.next(step.value);
  }
  return step.value;
}

async function resume<T>(steps: Steps<T>, pending: Promise<unknown>): Promise<T> {
  let waiting: unknown = pending;
  for (;;) {
    let value: unknown;
    let failed = false;
    try {
      value = await waiting;
    } catch (err) {
      value = err;
      failed = true;
    }
    const step = failed ? steps.throw(value) : steps.next(value);
    if (step.done) return step.value;
    waiting = step.value;
  }
}
