import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/repo-root.js';

/**
 * ARCHITECTURE.md: arrows point down. protocol/ imports nothing of the project; server/, native-host/
 * and extension/ import protocol/ (and npm packages) only; scripts/ may use every shipped part but
 * never test/ (its launchers live in scripts/dev/). Read from the sources, so a new import that breaks
 * a rule fails here.
 *
 * Inside server/, native-host/ and extension/, a folder (server/cert, native-host/card, extension/shared…)
 * is entered from another folder only through its `index.ts`: what it offers the rest is listed there,
 * and everything else may change without a caller noticing. Type-only imports count too. Data files
 * (the `_locales` catalogs) are not modules and are exempt. test/ and scripts/ may import deep paths: a
 * unit test checks one file's inner functions, and the CLI and benchmarks load one card backend lazily
 * by its file so that the others' native libraries are never opened.
 */

const ROOT = REPO_ROOT;

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

const FOLDERED = ['server', 'native-host', 'extension'];

/** `part/folder` of a project path, or undefined for a file at a part's top or outside the foldered parts. */
function folderOf(path: string): string | undefined {
  const segments = path.split('/');
  return FOLDERED.includes(segments[0]!) && segments.length > 2 ? segments.slice(0, 2).join('/') : undefined;
}

/** Every module import of `file` that enters another folder somewhere other than its index.ts. */
function deepImports(file: string, text = readFileSync(join(ROOT, file), 'utf8')): string[] {
  const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+\.js)'/g)].map((m) => m[1]!);
  return specifiers
    .map((s) => relative(ROOT, resolve(ROOT, file, '..', s)))
    .filter((target) => {
      const folder = folderOf(target);
      return folder !== undefined && folder !== folderOf(file) && target !== `${folder}/index.js`;
    })
    .map((target) => `${file} → ${target}`);
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

  it.each(FOLDERED)('%s/ enters another folder only through its index.ts', (part) => {
    expect(sources(part).flatMap((file) => deepImports(file))).toEqual([]);
  });

  it('sees every deep import into another folder, and lets the folder itself and index.ts pass', () => {
    const source = [
      "import { validatePath } from '../cert/path-validation.js';",
      "import type { ParsedCertificate } from '../cert/parsed-certificate.js';",
      "export { createCrlStore } from '../revocation/crl-store.js';",
      "const m = await import('../sso/server.js');",
      "import { checkKeyPolicy } from '../cert/index.js';",
      "import { checkRole } from './role.js';",
      "import { HpkiError } from '../../protocol/errors.js';",
      "import ja from '../../extension/_locales/ja/messages.json' with { type: 'json' };",
    ].join('\n');
    expect(deepImports('server/verify/x.ts', source)).toEqual([
      'server/verify/x.ts → server/cert/path-validation.js',
      'server/verify/x.ts → server/cert/parsed-certificate.js',
      'server/verify/x.ts → server/revocation/crl-store.js',
      'server/verify/x.ts → server/sso/server.js',
    ]);
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
