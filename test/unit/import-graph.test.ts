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

/** The top-level folder of every relative import (static, dynamic or re-export) in `text`, the source of `file`. */
function projectImports(file: string, text = readFileSync(join(ROOT, file), 'utf8')): string[] {
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

  it('sees every form of import that would break a rule', () => {
    const source = [
      "import { main } from '../../scripts/cli/main.js';",
      "export { x } from '../../native-host/card/apdu.js';",
      "const m = await import('../../test/helpers/e2e-browser.js');",
      "import type { Token } from '../../protocol/token.js';",
    ].join('\n');
    expect(projectImports('server/http/x.ts', source)).toEqual(['scripts', 'native-host', 'test', 'protocol']);
  });
});
