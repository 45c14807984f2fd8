import { execFile } from 'node:child_process';
import { chmod, lstat, mkdir, readFile, rename, rmdir, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import { promisify } from 'node:util';
import { z } from 'zod';
import { NATIVE_HOST_NAME } from '../../protocol/messages.js';
import { MAX_MANIFEST_BYTES, parseHostManifest } from './host-manifest.js';
import { LAUNCHER_MARKER } from './launcher.js';
import type { TargetOs } from './locations.js';
import type { InstallPlan, PlannedFile } from './plan.js';

/**
 * Carries out an install plan on the disk, and undoes it. Install records a receipt (files written,
 * directories it had to create) so that uninstall removes exactly that, and only files that are
 * still recognisably ours.
 */

export interface ApplyOptions {
  /** Everything is written below this directory instead of `/` (tests and packaging). */
  root?: string;
  /** Receives one line per file written or removed. */
  log: (line: string) => void;
}

/** Maps a path of the target OS onto this machine, below `root` when given. */
export function localPath(targetPath: string, os: TargetOs, root: string | undefined): string {
  if (os === 'win32') {
    const match = /^([A-Za-z]):\\(.*)$/.exec(targetPath);
    if (match === null || match[1] === undefined || match[2] === undefined)
      throw new RangeError(`not an absolute Windows path: ${targetPath}`);
    if (root === undefined) return targetPath;
    return join(root, match[1].toUpperCase(), ...match[2].split('\\').filter((p) => p !== ''));
  }
  if (!targetPath.startsWith('/')) throw new RangeError(`not an absolute path: ${targetPath}`);
  return root === undefined ? targetPath : join(root, targetPath);
}

const receiptSchema = z
  .object({
    receipt: z.literal('hpki-login install-host'),
    version: z.literal(1),
    files: z.array(z.string().max(4096)).max(64),
    createdDirs: z.array(z.string().max(4096)).max(64),
  })
  .strict();
type Receipt = z.infer<typeof receiptSchema>;

/** True when something (a link included, unfollowed) is at `path`. */
export async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}

/** Creates `dir` and its missing parents; returns those it created, outermost first. */
async function makeDirs(dir: string): Promise<string[]> {
  const missing: string[] = [];
  for (let d = dir; !(await exists(d)); d = dirname(d)) {
    missing.unshift(d);
    if (dirname(d) === d) break;
  }
  for (const d of missing) await mkdir(d, { mode: 0o755 });
  return missing;
}

async function writeAtomically(path: string, content: Uint8Array, mode: number): Promise<void> {
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, content, { mode });
  // The umask may have narrowed the mode; browsers and other users must be able to read and run these.
  await chmod(temp, mode);
  await rename(temp, path);
}

const execFileAsync = promisify(execFile);

/** On a real Windows machine (no --root), the registry is changed with reg.exe. */
function touchesRealRegistry(plan: InstallPlan, root: string | undefined): boolean {
  return plan.os === 'win32' && plan.registry.length > 0 && process.platform === 'win32' && root === undefined;
}

export async function applyInstall(plan: InstallPlan, options: ApplyOptions): Promise<string[]> {
  const { root, log } = options;
  const written: string[] = [];
  const createdDirs: string[] = [];
  const receiptPath = localPath(plan.receiptPath, plan.os, root);
  for (const file of plan.files) {
    const path = localPath(file.path, plan.os, root);
    createdDirs.push(...(await makeDirs(dirname(path))));
    await writeAtomically(path, file.content, file.mode);
    written.push(path);
    log(`wrote ${path}`);
  }
  createdDirs.push(...(await makeDirs(dirname(receiptPath))));
  const receipt: Receipt = { receipt: 'hpki-login install-host', version: 1, files: written, createdDirs };
  await writeAtomically(receiptPath, new TextEncoder().encode(`${JSON.stringify(receipt, null, 2)}\n`), 0o644);
  log(`wrote ${receiptPath}`);
  if (touchesRealRegistry(plan, root)) {
    const reg = plan.files.find((f) => f.role === 'register-reg');
    if (reg !== undefined) {
      await execFileAsync('reg.exe', ['import', reg.path]);
      for (const k of plan.registry) log(`registered ${k.hive}\\${k.key}`);
    }
  }
  return [...written, receiptPath];
}

/** True when the file at `path` is the one install would have written for this plan. */
async function isOurs(file: PlannedFile, path: string, plan: InstallPlan): Promise<boolean> {
  let data: Buffer;
  try {
    const stat = await lstat(path);
    if (!stat.isFile() || stat.size > MAX_MANIFEST_BYTES) return false;
    data = await readFile(path);
  } catch {
    return false;
  }
  switch (file.role) {
    case 'manifest': {
      // Another install (Brave and Chrome share directories) may own it now: then it is not ours.
      const manifest = parseHostManifest(data.toString('utf8'));
      return manifest !== undefined && manifest.name === NATIVE_HOST_NAME && manifest.path === plan.launcherPath;
    }
    case 'launcher':
      return data.toString('utf8').includes(LAUNCHER_MARKER);
    default:
      return Buffer.compare(data, file.content) === 0;
  }
}

async function readReceipt(path: string, allowedDirs: ReadonlySet<string>): Promise<string[]> {
  try {
    const text = await readFile(path, 'utf8');
    if (text.length > MAX_MANIFEST_BYTES) return [];
    const parsed = receiptSchema.safeParse(JSON.parse(text));
    // Only directories on the way to files of this plan: a tampered receipt cannot aim elsewhere.
    return parsed.success ? parsed.data.createdDirs.filter((d) => allowedDirs.has(d)) : [];
  } catch {
    return [];
  }
}

function ancestors(path: string): string[] {
  const out: string[] = [];
  for (let d = dirname(path); dirname(d) !== d; d = dirname(d)) out.push(d);
  return out;
}

export interface UninstallResult {
  removed: string[];
  /** Directories install created for this plan; remove them with removeEmptyDirs once every plan is undone. */
  createdDirs: string[];
}

export async function applyUninstall(plan: InstallPlan, options: ApplyOptions): Promise<UninstallResult> {
  const { root, log } = options;
  const removed: string[] = [];
  const receiptPath = localPath(plan.receiptPath, plan.os, root);
  const planned = plan.files.map((f) => ({ file: f, path: localPath(f.path, plan.os, root) }));
  const allowedDirs = new Set([...planned.map((p) => p.path), receiptPath].flatMap(ancestors));
  const createdDirs = await readReceipt(receiptPath, allowedDirs);

  if (touchesRealRegistry(plan, root)) {
    const unreg = planned.find((p) => p.file.role === 'unregister-reg');
    if (unreg !== undefined && (await isOurs(unreg.file, unreg.path, plan))) {
      await execFileAsync('reg.exe', ['import', unreg.path]);
      for (const k of plan.registry) log(`unregistered ${k.hive}\\${k.key}`);
    }
  }
  for (const { file, path } of planned) {
    if (!(await isOurs(file, path, plan))) continue;
    await unlink(path);
    removed.push(path);
    log(`removed ${path}`);
  }
  if (await exists(receiptPath)) {
    await unlink(receiptPath);
    removed.push(receiptPath);
    log(`removed ${receiptPath}`);
  }
  return { removed, createdDirs };
}

/**
 * Removes directories install created, deepest first, once they are empty; one holding anything
 * else (another browser's install, the user's files) stays.
 */
export async function removeEmptyDirs(dirs: string[], log: (line: string) => void): Promise<string[]> {
  const removed: string[] = [];
  const byDepth = [...new Set(dirs)].sort((a, b) => b.split(sep).length - a.split(sep).length);
  for (const dir of byDepth) {
    try {
      await rmdir(dir);
      removed.push(dir);
      log(`removed ${dir}${sep}`);
    } catch {
      // Not empty or already gone: not ours to touch.
    }
  }
  return removed;
}
