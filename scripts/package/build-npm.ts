import { execFile } from 'node:child_process';
import { cp, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import ts from 'typescript';
import { runtimeFile, stageBuiltCli, stageDemoSamples } from './stage-app.js';

/** The development build of the extension, which `hpki-login demo` loads (scripts/cli/demo-browser.ts). */
const DEV_EXTENSION = 'dist/extension/chrome';

/**
 * `dist/release/hpki-login-<version>.tgz`, the npm package for site developers and operators. Its
 * `exports`: `hpki-login/server` (and `hpki-login`) the server library of server/index.ts (verifier,
 * challenge stores, HTTP routes), `hpki-login/client` the page client; both typed. Its `bin` is the
 * CLI. It installs with no compiler: the addon built with node-gyp (pkcs11js) is an
 * optional peer, not dependencies, and koffi comes with prebuilt binaries. Needs `npm run build`.
 */

const execFileAsync = promisify(execFile);

/** Built with node-gyp at install: left to the user who wants them (PROTOCOL.md §9, docs/install.md). */
export const OPTIONAL_ADDONS: Readonly<Record<string, string>> = {
  pkcs11js: 'the PKCS#11 backend (hpki-login host --backend pkcs11)',
};

interface ProjectPackage {
  name: string;
  version: string;
  description: string;
  license: string;
  engines: Record<string, string>;
  dependencies: Record<string, string>;
}

function packageJson(pkg: ProjectPackage): string {
  const dependencies = Object.fromEntries(Object.entries(pkg.dependencies).filter(([n]) => !(n in OPTIONAL_ADDONS)));
  const peers = Object.fromEntries(Object.keys(OPTIONAL_ADDONS).map((n) => [n, pkg.dependencies[n] ?? '*']));
  const server = { types: './dist/lib/server.d.ts', import: './dist/lib/server.js' };
  return `${JSON.stringify(
    {
      name: pkg.name,
      version: pkg.version,
      description: pkg.description,
      license: pkg.license,
      type: 'module',
      engines: pkg.engines,
      bin: { 'hpki-login': 'bin/hpki-login.js' },
      exports: {
        '.': server,
        './server': server,
        './client': { types: './dist/hpki-login-client.d.ts', import: './dist/hpki-login-client.js' },
        './package.json': './package.json',
      },
      types: './dist/lib/server.d.ts',
      dependencies,
      peerDependencies: peers,
      peerDependenciesMeta: Object.fromEntries(Object.keys(peers).map((n) => [n, { optional: true }])),
    },
    null,
    2,
  )}\n`;
}

/** The declarations of server/index.ts and what it names, from the TypeScript compiler. */
function emitServerDeclarations(project: string, outDir: string): void {
  const program = ts.createProgram([join(project, 'server/index.ts')], {
    declaration: true,
    emitDeclarationOnly: true,
    outDir,
    rootDir: project,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    skipLibCheck: true,
    resolveJsonModule: true,
    types: ['node'],
  });
  const result = program.emit();
  const errors = ts
    .getPreEmitDiagnostics(program)
    .concat(result.diagnostics)
    .filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (errors.length > 0) {
    const host = { getCanonicalFileName: (f: string) => f, getCurrentDirectory: () => project, getNewLine: () => '\n' };
    throw new Error(ts.formatDiagnostics(errors, host));
  }
}

async function stageLibrary(project: string, stage: string): Promise<void> {
  await build({
    absWorkingDir: project,
    entryPoints: ['server/index.ts'],
    outfile: join(stage, 'dist/lib/server.js'),
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    packages: 'external',
    logLevel: 'warning',
  });
  emitServerDeclarations(project, join(stage, 'dist/lib/types'));
  await writeFile(join(stage, 'dist/lib/server.d.ts'), "export * from './types/server/index.js';\n");
  for (const path of ['dist/hpki-login-client.js', 'dist/hpki-login-client.d.ts', 'dist/hpki-login-client.types']) {
    await cp(join(project, path), join(stage, path), { recursive: true, filter: runtimeFile });
  }
}

export async function buildNpmPackage(project: string, log: (line: string) => void): Promise<string> {
  for (const built of ['dist/cli/main.js', 'dist/hpki-login-client.js', `${DEV_EXTENSION}/manifest.json`]) {
    try {
      await stat(join(project, built));
    } catch {
      throw new Error(`${built} is missing: run npm run build first`);
    }
  }
  const pkg = JSON.parse(await readFile(join(project, 'package.json'), 'utf8')) as ProjectPackage;
  const stage = join(project, 'dist/npm-stage');
  await rm(stage, { recursive: true, force: true });
  await mkdir(join(stage, 'bin'), { recursive: true });
  await cp(join(project, 'bin/hpki-login.js'), join(stage, 'bin/hpki-login.js'));
  await stageBuiltCli(project, stage);
  await stageDemoSamples(project, stage);
  // `hpki-login demo` opens Chromium with the development extension (PROTOCOL.md §9): site
  // developers run the demo from this package, so it carries that build (without source maps).
  await cp(join(project, DEV_EXTENSION), join(stage, DEV_EXTENSION), { recursive: true, filter: runtimeFile });
  await stageLibrary(project, stage);
  for (const file of ['README.md', 'LICENSE']) await cp(join(project, file), join(stage, file));
  await writeFile(join(stage, 'package.json'), packageJson(pkg));
  const release = join(project, 'dist/release');
  await mkdir(release, { recursive: true });
  const { stdout } = await execFileAsync('npm', ['pack', '--silent', '--pack-destination', release], { cwd: stage });
  const out = join(release, stdout.trim().split('\n').pop() ?? '');
  await rm(stage, { recursive: true, force: true });
  log(`wrote ${out}`);
  return out;
}
