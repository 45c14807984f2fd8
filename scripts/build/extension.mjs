import { readFileSync } from 'node:fs';
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';

// The WebExtension for Chrome/Edge and Firefox, and the page client library.
//   part `extension`:       development flavour → dist/extension/{chrome,firefox}/ (fixed ID, loopback on),
//                            and dist/hpki-login-client.js + .d.ts
//   part `extension-store`: store flavour → dist/extension-store/{chrome,firefox}/ (no key, loopback off)
// HPKI_EXTENSION_FLAVOUR=store makes part `extension` build the store flavour instead.

const root = new URL('../../', import.meta.url);
const rootPath = root.pathname;
const templates = new URL('manifests/extension/', root);

export const BROWSERS = ['chrome', 'firefox'];
export const FLAVOURS = ['development', 'store'];

const TARGETS = { chrome: 'chrome116', firefox: 'firefox140' };

const ENTRIES = {
  background: 'extension/background/main.ts',
  content: 'extension/content/main.ts',
  pin: 'extension/pin/main.ts',
  options: 'extension/options/main.ts',
  popup: 'extension/popup/main.ts',
};

const PAGES = [
  'extension/pin/pin.html',
  'extension/options/options.html',
  'extension/popup/popup.html',
  'extension/pages.css',
];

function readTemplate(name) {
  try {
    return JSON.parse(readFileSync(new URL(name, templates), 'utf8'));
  } catch (err) {
    if (err.code === 'ENOENT') return {};
    throw err;
  }
}

function isPlainObject(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Objects merge key by key; anything else (arrays included) is replaced by the overlay. */
function merge(base, overlay) {
  const out = { ...base };
  for (const [key, value] of Object.entries(overlay)) {
    out[key] = isPlainObject(value) && isPlainObject(out[key]) ? merge(out[key], value) : value;
  }
  return out;
}

/**
 * The manifest for one browser and flavour: manifest.json ← <browser>.json ← <flavour>.json ←
 * <browser>.<flavour>.json, all under manifests/extension/, with the package's version.
 */
export function composeManifest({ browser, flavour, version }) {
  if (!BROWSERS.includes(browser)) throw new Error(`unknown browser '${browser}'`);
  if (!FLAVOURS.includes(flavour)) throw new Error(`unknown flavour '${flavour}'`);
  const layers = ['manifest.json', `${browser}.json`, `${flavour}.json`, `${browser}.${flavour}.json`].map(
    readTemplate,
  );
  return { ...layers.reduce(merge, {}), version };
}

async function packageVersion() {
  return JSON.parse(await readFile(new URL('package.json', root), 'utf8')).version;
}

async function buildBrowser(browser, flavour, outdir, version) {
  const { build } = await import('esbuild');
  await rm(outdir, { recursive: true, force: true });
  await mkdir(outdir, { recursive: true });
  // Minified, with linked source maps so that a stack trace (or a store reviewer) can read the source.
  const result = await build({
    absWorkingDir: rootPath,
    entryPoints: ENTRIES,
    outdir,
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: TARGETS[browser],
    minify: true,
    sourcemap: 'linked',
    metafile: true,
    define: { HPKI_EXTENSION_FLAVOUR: JSON.stringify(flavour) },
    legalComments: 'eof',
    logLevel: 'warning',
  });
  // What went into each bundle, outside the extension folder (it is not shipped): tests read it.
  await mkdir(new URL('dist/meta/', root), { recursive: true });
  await writeFile(new URL(`dist/meta/extension-${flavour}-${browser}.json`, root), JSON.stringify(result.metafile));
  for (const page of PAGES) await cp(new URL(page, root), `${outdir}/${page.split('/').pop()}`);
  await cp(new URL('extension/_locales/', root), `${outdir}/_locales/`, { recursive: true });
  await mkdir(`${outdir}/icons`, { recursive: true });
  for (const size of [16, 32, 48, 128])
    await cp(new URL(`extension/icons/icon-${size}.png`, root), `${outdir}/icons/icon-${size}.png`);
  const manifest = composeManifest({ browser, flavour, version });
  await writeFile(`${outdir}/manifest.json`, `${JSON.stringify(manifest, null, 2)}\n`);
}

async function buildFlavour(flavour) {
  const version = await packageVersion();
  const base = flavour === 'development' ? 'dist/extension/' : 'dist/extension-store/';
  for (const browser of BROWSERS)
    await buildBrowser(browser, flavour, new URL(`${base}${browser}`, root).pathname, version);
}

const CLIENT_SOURCE = 'extension/client/hpki-login-client.ts';
const CLIENT_TYPES_DIR = 'dist/hpki-login-client.types/';

/** The declarations of the client and the protocol types it names, from the TypeScript compiler. */
async function emitClientDeclarations() {
  // Loaded here, not at the top: composeManifest alone (and the tests that use it) needs neither.
  const { default: ts } = await import('typescript');
  const outDir = new URL(CLIENT_TYPES_DIR, root).pathname;
  const program = ts.createProgram([new URL(CLIENT_SOURCE, root).pathname], {
    declaration: true,
    emitDeclarationOnly: true,
    outDir,
    rootDir: rootPath,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
    types: [],
    strict: true,
    skipLibCheck: true,
    resolveJsonModule: true,
  });
  const result = program.emit();
  const errors = ts
    .getPreEmitDiagnostics(program)
    .concat(result.diagnostics)
    .filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (errors.length > 0) {
    throw new Error(
      ts.formatDiagnostics(errors, {
        getCanonicalFileName: (f) => f,
        getCurrentDirectory: () => rootPath,
        getNewLine: () => '\n',
      }),
    );
  }
}

async function buildClient() {
  const { build } = await import('esbuild');
  await rm(new URL(CLIENT_TYPES_DIR, root), { recursive: true, force: true });
  const result = await build({
    absWorkingDir: rootPath,
    entryPoints: [CLIENT_SOURCE],
    outfile: new URL('dist/hpki-login-client.js', root).pathname,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    // Readable, not minified: sites vendor this one file and review it; their own build minifies it.
    sourcemap: 'linked',
    metafile: true,
    legalComments: 'eof',
    logLevel: 'warning',
  });
  await mkdir(new URL('dist/meta/', root), { recursive: true });
  await writeFile(new URL('dist/meta/client.json', root), JSON.stringify(result.metafile));
  await emitClientDeclarations();
  await writeFile(
    new URL('dist/hpki-login-client.d.ts', root),
    `export * from './hpki-login-client.types/extension/client/hpki-login-client.js';\n`,
  );
}

export async function buildExtension() {
  await buildFlavour(process.env.HPKI_EXTENSION_FLAVOUR === 'store' ? 'store' : 'development');
  await buildClient();
}

export async function buildExtensionStore() {
  await buildFlavour('store');
}

/** The parts this module adds to scripts/build.mjs. */
export const extensionParts = { extension: buildExtension, 'extension-store': buildExtensionStore };
