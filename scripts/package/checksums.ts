import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** `SHA256SUMS` of every file in `dir` (sorted, `sha256sum -c` reads it), written into `dir`. */

export const SUMS_FILE = 'SHA256SUMS';

function sha256(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

export async function writeChecksums(dir: string): Promise<string> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries
    .filter((e) => e.isFile() && e.name !== SUMS_FILE)
    .map((e) => e.name)
    .sort();
  const lines: string[] = [];
  for (const name of names) lines.push(`${await sha256(join(dir, name))}  ${name}\n`);
  const out = join(dir, SUMS_FILE);
  await writeFile(out, lines.join(''));
  return out;
}
