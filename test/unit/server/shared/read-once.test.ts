import { describe, expect, it } from 'vitest';
import { readOnce } from '../../../../server/shared/index.js';

describe('readOnce', () => {
  it('reads on first use and keeps what it read', () => {
    let reads = 0;
    const text = readOnce(() => `read ${++reads}`);
    expect(reads).toBe(0);
    expect([text(), text(), text()]).toEqual(['read 1', 'read 1', 'read 1']);
    expect(reads).toBe(1);
  });

  it('answers undefined while reading throws, and tries again until it works', () => {
    let there = false;
    let reads = 0;
    const bytes = readOnce(() => {
      reads++;
      if (!there) throw new Error('ENOENT');
      return new Uint8Array([1, 2, 3]);
    });
    expect(bytes()).toBeUndefined();
    expect(bytes()).toBeUndefined();
    there = true;
    expect(bytes()).toEqual(new Uint8Array([1, 2, 3]));
    expect(bytes()).toEqual(new Uint8Array([1, 2, 3]));
    expect(reads).toBe(3);
  });
});
