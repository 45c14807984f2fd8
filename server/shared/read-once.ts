/**
 * What `read` gives, on first use, kept afterwards: for files a server serves from memory. While
 * `read` throws (the file is not there, e.g. a package without it), the answer is undefined and
 * the next call tries again.
 */
export function readOnce<T>(read: () => T): () => T | undefined {
  let value: T | undefined;
  return () => {
    if (value === undefined) {
      try {
        value = read();
      } catch {
        return undefined;
      }
    }
    return value;
  };
}
