import { describe, expect, it } from 'vitest';
import type { Steps } from '../../../../server/revocation/steps.js';
import { runSteps } from '../../../../server/revocation/steps.js';

/** The driver that lets the revocation step answer at once when nothing is to be waited for. */

function* add(values: readonly (number | Promise<number>)[]): Steps<number> {
  let sum = 0;
  for (const v of values) sum += v instanceof Promise ? ((yield v) as number) : v;
  return sum;
}

describe('runSteps', () => {
  it('answers at once when no step yields a promise', () => {
    expect(runSteps(add([1, 2, 3]))).toBe(6);
  });

  it('goes on asynchronously from the first promise, with every later value', async () => {
    const result = runSteps(add([1, Promise.resolve(2), 3, Promise.resolve(4)]));
    expect(result).toBeInstanceOf(Promise);
    expect(await result).toBe(10);
  });

  it('throws a rejection into the steps, where it can be caught or passed on', async () => {
    function* guarded(): Steps<string> {
      try {
        yield Promise.reject(new Error('fetch failed'));
        return 'not reached';
      } catch (err) {
        const next = (yield Promise.resolve('after')) as string;
        return `${(err as Error).message}, then ${next}`;
      }
    }
    await expect(runSteps(guarded())).resolves.toBe('fetch failed, then after');
    await expect(runSteps(add([Promise.reject(new Error('no')), 1]))).rejects.toThrow('no');
  });
});
