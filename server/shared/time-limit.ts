/**
 * What `work` settles with, or `'timeout'` when it has not settled within `ms` (the work itself goes
 * on; only the wait ends). The timer never outlives the wait, so it keeps no process alive.
 */
export function withTimeLimit<T>(work: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  return Promise.race([work, limit]).finally(() => clearTimeout(timer));
}
