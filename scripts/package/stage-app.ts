import { chmod, cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, normalize } from 'node:path';
import { fetchKoffiBinary, type KoffiPlatform } from './koffi-binary.js';
import { runtimeModules } from './runtime-modules.js';

/**
 * The application tree every package installs, in one folder: the Node runtime, `bin/hpki-login.js`,
 * the files of the last CLI build (`dist/cli`, by the build's own list), a `package.json` saying
 * the CLI is ESM, and the npm packages it needs at run time. The .deb takes this machine's packages as installed; a package for another system leaves
 * out the addons compiled here and carries koffi's binary for that system instead.
 */

/** Compiler leftovers of native addons and source maps: not needed to run. */
export function runtimeFile(source: string): boolean {
  const name = basename(source);
  return name !== 'obj.target' && name !== '.deps' && !name.endsWith('.map');
}

/** Where the CLI build lists the files it wrote (scripts/build/cli.mjs), relative to `dist/cli`. */
export const CLI_OUTPUTS = 'dist/cli/outputs.json';

/**
 * The files the last CLI build wrote, relative to `dist/cli`, from its own list. The folder also
 * holds chunks of earlier builds (it is never cleaned, so that running tests keep theirs): a
 * package takes the list, never the folder.
 */
export async function builtCliFiles(project: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(join(project, CLI_OUTPUTS), 'utf8');
  } catch {
    throw new Error(`${CLI_OUTPUTS} is missing: run npm run build first`);
  }
  const list: unknown = JSON.parse(text);
  const inside = (path: unknown): path is string =>
    typeof path === 'string' && path !== '' && !isAbsolute(path) && !normalize(path).startsWith('..');
  if (!Array.isArray(list) || !list.every(inside) || !list.includes('main.js'))
    throw new Error(`${CLI_OUTPUTS} is not a list of the build's files: run npm run build again`);
  return list;
}

/** The built CLI into `dir/dist/cli`: the files of the last build only, without source maps. */
export async function stageBuiltCli(project: string, dir: string): Promise<string[]> {
  const files = (await builtCliFiles(project)).filter(runtimeFile);
  for (const file of files) {
    const target = join(dir, 'dist/cli', file);
    await mkdir(dirname(target), { recursive: true });
    await cp(join(project, 'dist/cli', file), target);
  }
  return files;
}

/** Addons compiled on this machine (node-gyp): useless on another system. */
const COMPILED_ADDONS = new Set(['pkcs11js']);

export interface AppTarget {
  platform: KoffiPlatform;
  arch: 'x64' | 'arm64';
}

export interface StageOptions {
  /** The Node executable to ship. */
  node: string;
  /** Its name in the tree: `node`, or `node.exe` for Windows. */
  nodeName: string;
  /** Another system than this one: swap the compiled addons for koffi's binary of that system. */
  foreign?: AppTarget;
}

export interface StagedApp {
  /** Relative paths of the npm packages shipped, sorted. */
  modules: string[];
  /** Relative path of koffi's binary for the target, when a foreign target was given. */
  koffiBinary?: string;
}

/**
 * The demo's sample documents (the 紹介状 PDF the doctor signs), where the built CLI looks for them:
 * `server/demo/sample-documents/` two levels above `dist/cli`.
 */
export const DEMO_SAMPLES = 'server/demo/sample-documents';

export async function stageDemoSamples(project: string, dir: string): Promise<void> {
  await cp(join(project, DEMO_SAMPLES), join(dir, DEMO_SAMPLES), { recursive: true });
}

async function writePackageJson(project: string, dir: string): Promise<void> {
  const pkg = JSON.parse(await readFile(join(project, 'package.json'), 'utf8')) as { name: string; version: string };
  await writeFile(
    join(dir, 'package.json'),
    `${JSON.stringify({ name: pkg.name, version: pkg.version, private: true, type: 'module' }, null, 2)}\n`,
  );
}

export async function stageApp(
  project: string,
  dir: string,
  options: StageOptions,
  log: (line: string) => void,
): Promise<StagedApp> {
  await mkdir(join(dir, 'bin'), { recursive: true });
  await cp(options.node, join(dir, options.nodeName));
  await chmod(join(dir, options.nodeName), 0o755);
  await cp(join(project, 'bin/hpki-login.js'), join(dir, 'bin/hpki-login.js'));
  await stageBuiltCli(project, dir);
  await stageDemoSamples(project, dir);
  await writePackageJson(project, dir);
  const { foreign } = options;
  const skip = (name: string): boolean =>
    foreign !== undefined && (COMPILED_ADDONS.has(name) || name.startsWith('@koromix/koffi-'));
  const modules = await runtimeModules(project, skip);
  for (const module of modules) {
    await cp(join(project, module), join(dir, module), {
      recursive: true,
      filter: runtimeFile,
      verbatimSymlinks: true,
    });
  }
  if (foreign === undefined) return { modules };
  const koffi = await fetchKoffiBinary(project, foreign.platform, foreign.arch, log);
  const target = join('node_modules', koffi.name);
  await cp(koffi.dir, join(dir, target), { recursive: true });
  return {
    modules: [...modules, target].sort(),
    koffiBinary: join(target, `${foreign.platform}_${foreign.arch}`, 'koffi.node'),
  };
}
