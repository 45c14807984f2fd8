import { readFile, stat } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';

/**
 * The npm packages the CLI needs at run time: the closure of package.json's `dependencies` (never
 * devDependencies), resolved the way Node does (nested node_modules first, then upwards).
 */

interface PackageJson {
  name?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

async function isDir(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

async function readPackage(dir: string): Promise<PackageJson> {
  return JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as PackageJson;
}

/** Finds `name` from `fromDir` upwards, stopping at the project root. */
async function resolvePackage(name: string, fromDir: string, root: string): Promise<string | undefined> {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (await isDir(candidate)) return candidate;
    if (dir === root || dirname(dir) === dir) return undefined;
  }
}

/**
 * Package directories (relative to `root`) that the runtime needs, sorted. `skip` names packages
 * (and so everything only they need) to leave out: the packages for another system leave out the
 * addons compiled for this one.
 */
export async function runtimeModules(root: string, skip: (name: string) => boolean = () => false): Promise<string[]> {
  const found = new Set<string>();
  const queue: { name: string; from: string; optional: boolean }[] = [];
  const enqueue = (pkg: PackageJson, from: string): void => {
    for (const name of Object.keys(pkg.dependencies ?? {})) queue.push({ name, from, optional: false });
    for (const name of Object.keys(pkg.optionalDependencies ?? {})) queue.push({ name, from, optional: true });
  };
  enqueue(await readPackage(root), root);
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    if (skip(next.name)) continue;
    const dir = await resolvePackage(next.name, next.from, root);
    if (dir === undefined) {
      if (next.optional) continue;
      throw new Error(`runtime dependency ${next.name} is not installed (run npm ci)`);
    }
    const rel = relative(root, dir);
    if (found.has(rel)) continue;
    found.add(rel);
    enqueue(await readPackage(dir), dir);
  }
  return [...found].sort();
}
