import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/** The host ships without the CLI's scripts: nothing under native-host/ may import from scripts/. */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function tsFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

describe('layering', () => {
  it('native-host/ imports nothing from scripts/', () => {
    const files = tsFiles('native-host');
    expect(files.length).toBeGreaterThan(0);
    const offending = files.filter((f) =>
      /(?:from|import)\s*\(?\s*'(?:\.\.\/)+scripts\//.test(readFileSync(join(ROOT, f), 'utf8')),
    );
    expect(offending).toEqual([]);
  });
});
