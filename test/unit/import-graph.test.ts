import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * ARCHITECTURE.md: arrows point down. protocol/ imports nothing of the project; server/, native-host/
 * and extension/ import protocol/ (and npm packages) only; scripts/ may use every shipped part but
 * never test/ (its launchers live in scripts/dev/). Read from the sources, so a new import that breaks
 * a rule fails here.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sources(join(dir, entry.name))
      : /\.(ts|mjs)$/.test(entry.name)
        ? [join(dir, entry.name)]
        : [],
  );
}

/** The top-level folder of every relative import (static, dynamic or re-export) of `file`. */
function projectImports(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g)].map((m) => m[1]!);
  return specifiers.map((s) => relative(ROOT, resolve(ROOT, file, '..', s)).split('/')[0]!);
}

const RULES: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['protocol', ['protocol']],
  ['server', ['server', 'protocol']],
  ['native-host', ['native-host', 'protocol']],
  ['extension', ['extension', 'protocol']],
  ['scripts', ['scripts', 'protocol', 'native-host', 'server', 'extension', 'manifests']],
];

describe('import graph', () => {
  it.each(RULES)('%s/ imports only %j', (part, allowed) => {
    const files = sources(part);
    expect(files.length).toBeGreaterThan(0);
    const outside = files.flatMap((file) =>
      projectImports(file)
        .filter((top) => !allowed.includes(top))
        .map((top) => `${file} → ${top}/`),
    );
    expect(outside).toEqual([]);
  });

  it('sees an import that breaks a rule', () => {
    // The reader itself: a relative import two levels up from server/ lands in its top folder.
    expect(relative(ROOT, resolve(ROOT, 'server/http/x.ts', '..', '../../scripts/cli/main.js')).split('/')[0]).toBe(
      'scripts',
    );
  });
});
