import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * koffi loads its prebuilt FFI binary from `@koromix/koffi-<platform>-<arch>`, an optional dependency
 * that npm installs for the machine it runs on only. The packages for Windows and macOS need that of
 * their own system: `npm pack` fetches it from the registry (the version of the installed koffi) into
 * `.runtime/npm/`, once.
 */

const execFileAsync = promisify(execFile);

export type KoffiPlatform = 'linux' | 'darwin' | 'win32';

export interface KoffiBinary {
  /** The package name, e.g. `@koromix/koffi-win32-x64`. */
  name: string;
  /** The unpacked package folder, to copy into node_modules/@koromix/. */
  dir: string;
  /** The `.node` file inside it. */
  binary: string;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function findBinary(dir: string, platform: KoffiPlatform, arch: string): Promise<string> {
  const file = join(dir, `${platform}_${arch}`, 'koffi.node');
  if (!(await exists(file))) throw new Error(`${dir} holds no ${platform}_${arch}/koffi.node`);
  return file;
}

export async function fetchKoffiBinary(
  project: string,
  platform: KoffiPlatform,
  arch: 'x64' | 'arm64',
  log: (line: string) => void,
): Promise<KoffiBinary> {
  const koffi = JSON.parse(await readFile(join(project, 'node_modules/koffi/package.json'), 'utf8')) as {
    version: string;
  };
  const name = `@koromix/koffi-${platform}-${arch}`;
  const dir = join(project, '.runtime/npm', `${name.replace('/', '+')}@${koffi.version}`);
  if (await exists(join(dir, 'package.json'))) return { name, dir, binary: await findBinary(dir, platform, arch) };
  log(`fetching ${name}@${koffi.version} (koffi's ${platform}-${arch} binary)`);
  const tmp = await mkdtemp(join(tmpdir(), 'koffi-pack-'));
  try {
    await execFileAsync('npm', ['pack', '--silent', `${name}@${koffi.version}`], { cwd: tmp });
    const tarball = (await readdir(tmp)).find((f) => f.endsWith('.tgz'));
    if (tarball === undefined) throw new Error(`npm pack ${name}@${koffi.version} wrote no tarball`);
    const partial = `${dir}.partial`;
    await rm(partial, { recursive: true, force: true });
    await mkdir(partial, { recursive: true });
    await execFileAsync('tar', ['-xzf', join(tmp, tarball), '-C', partial, '--strip-components=1']);
    await rename(partial, dir);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return { name, dir, binary: await findBinary(dir, platform, arch) };
}
