import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/** ARCHITECTURE.md: arrows point down. server/ imports protocol/ (and npm packages) only, protocol/ nothing. */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

function projectImports(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g)].map((m) => m[1]!);
  return specifiers.map((s) => relative(ROOT, resolve(ROOT, file, '..', s)).split('/')[0]!);
}

describe('import graph', () => {
  it.each([
    ['server', ['server', 'protocol']],
    ['protocol', ['protocol']],
  ])('%s/ imports only %j', (part, allowed) => {
    const outside = sources(part).flatMap((file) =>
      projectImports(file)
        .filter((top) => !allowed.includes(top))
        .map((top) => `${file} → ${top}/`),
    );
    expect(outside).toEqual([]);
  });
});
