import { execFile } from 'node:child_process';
import { lstat, readFile, stat } from 'node:fs/promises';
import { posix, win32 } from 'node:path';
import { promisify } from 'node:util';
import { NATIVE_HOST_NAME } from '../../protocol/messages.js';
import { localPath } from './apply.js';
import type { ExtensionIds } from './host-manifest.js';
import { chromeAllowedOrigins, chromeOrigin, MAX_MANIFEST_BYTES, parseHostManifest } from './host-manifest.js';
import type { ExpectedIds, LauncherFacts, ManifestFacts } from './install-checks.js';
import { parsePosixLauncher } from './launcher.js';
import type { BrowserId, ManifestLocation, TargetOs } from './locations.js';
import { BROWSERS, installDirectory, manifestFlavor, manifestLocation, pathFor } from './locations.js';
import { parseRegDefault } from './windows-registry.js';

const execFileAsync = promisify(execFile);

/** Reads the host manifests and launchers installed on this machine, for `hpki-login doctor`. */

export interface ManifestQuery {
  os: TargetOs;
  home: string;
  root?: string;
  browsers?: BrowserId[];
  /** Look only in this Chromium profile (`--user-data-dir`). */
  userDataDir?: string;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function launcherFacts(path: string, os: TargetOs, root: string | undefined): Promise<LauncherFacts> {
  const local = localPath(path, os, root);
  const facts: LauncherFacts = { path, exists: false, executable: false, runs: [] };
  let mode: number;
  let size: number;
  try {
    const s = await stat(local);
    if (!s.isFile()) return facts;
    mode = s.mode;
    size = s.size;
  } catch {
    return facts;
  }
  facts.exists = true;
  // Windows has no execute bit; a .cmd is runnable by its extension.
  facts.executable = os === 'win32' ? /\.(cmd|bat|exe)$/i.test(path) : (mode & 0o111) !== 0;
  if (os === 'win32' || size > MAX_MANIFEST_BYTES) return facts;
  const words = parsePosixLauncher(await readFile(local, 'utf8'));
  if (words === undefined) return facts;
  const targets = [words[0], words[1]];
  const card = words.indexOf('--card');
  if (card >= 0) targets.push(words[card + 1]);
  for (const t of targets)
    if (t !== undefined) facts.runs.push({ path: t, exists: await exists(localPath(t, os, root)) });
  return facts;
}

/** The PKCS#11 module a launcher we wrote passes to the host, if any. */
/** The value of one option in an installed launcher's command line (undefined when absent or unreadable). */
async function launcherOption(
  option: string,
  path: string,
  os: TargetOs,
  root: string | undefined,
): Promise<string | undefined> {
  try {
    const local = localPath(path, os, root);
    if ((await lstat(local)).size > MAX_MANIFEST_BYTES) return undefined;
    const words = parsePosixLauncher(await readFile(local, 'utf8')) ?? [];
    const i = words.indexOf(option);
    return i >= 0 ? words[i + 1] : undefined;
  } catch {
    return undefined;
  }
}

export function launcherModule(path: string, os: TargetOs, root: string | undefined): Promise<string | undefined> {
  return launcherOption('--module', path, os, root);
}

/** The card backend an installed launcher starts the host with (the host's default, pcsc, without --backend). */
export async function launcherBackend(path: string, os: TargetOs, root: string | undefined): Promise<string> {
  return (await launcherOption('--backend', path, os, root)) ?? 'pcsc';
}

async function manifestFacts(
  browser: BrowserId,
  scope: ManifestFacts['scope'],
  path: string,
  query: ManifestQuery,
): Promise<ManifestFacts> {
  const facts: ManifestFacts = { browser, scope, path, flavor: manifestFlavor(browser), state: 'missing' };
  let text: string;
  try {
    const local = localPath(path, query.os, query.root);
    const s = await stat(local);
    if (s.size > MAX_MANIFEST_BYTES) {
      facts.state = 'invalid';
      return facts;
    }
    text = await readFile(local, 'utf8');
  } catch {
    return facts;
  }
  const manifest = parseHostManifest(text);
  if (manifest === undefined) {
    facts.state = 'invalid';
    return facts;
  }
  facts.state = 'present';
  facts.name = manifest.name;
  if (manifest.allowed_origins !== undefined) facts.allowedOrigins = manifest.allowed_origins;
  if (manifest.allowed_extensions !== undefined) facts.allowedExtensions = manifest.allowed_extensions;
  // On Windows a relative `path` is relative to the manifest's folder (the MSI's manifests use one).
  const launcher =
    query.os === 'win32' && !win32.isAbsolute(manifest.path)
      ? win32.join(win32.dirname(path), manifest.path)
      : manifest.path;
  facts.launcher = await launcherFacts(launcher, query.os, query.root);
  return facts;
}

/**
 * On a real Windows machine, the manifest the registry names for `browser` (HKCU for the user,
 * HKLM for the machine: the MSI's), else undefined.
 */
async function registeredManifest(location: ManifestLocation, root: string | undefined): Promise<string | undefined> {
  if (location.kind !== 'registry' || process.platform !== 'win32' || root !== undefined) return undefined;
  for (const { hive, key } of location.keys) {
    const out = await execFileAsync('reg.exe', ['query', `${hive}\\${key}`, '/ve']).catch(() => ({ stdout: '' }));
    const value = parseRegDefault(out.stdout);
    if (value !== undefined) return value;
  }
  return undefined;
}

export async function gatherManifestFacts(query: ManifestQuery): Promise<ManifestFacts[]> {
  const out: ManifestFacts[] = [];
  const browsers = query.browsers ?? [...BROWSERS];
  for (const browser of browsers) {
    const base = { browser, os: query.os, home: query.home };
    if (query.userDataDir !== undefined) {
      out.push(
        await manifestFacts(
          browser,
          'profile',
          posix.join(query.userDataDir, 'NativeMessagingHosts', `${NATIVE_HOST_NAME}.json`),
          query,
        ),
      );
      continue;
    }
    for (const system of [false, true]) {
      const scope = system ? 'system' : 'user';
      const location = manifestLocation({ ...base, system }, NATIVE_HOST_NAME);
      // On Windows the registry points at the manifest: the one it names, else where install-host puts it.
      const registered = await registeredManifest(location, query.root);
      const paths =
        location.kind === 'directories'
          ? location.dirs.map((d) => posix.join(d, `${NATIVE_HOST_NAME}.json`))
          : [registered ?? pathFor(query.os).join(installDirectory({ ...base, system }), `${NATIVE_HOST_NAME}.json`)];
      for (const path of paths) out.push(await manifestFacts(browser, scope, path, query));
    }
  }
  return out;
}

export function expectedIds(ids: ExtensionIds): ExpectedIds {
  const development = [
    ids.chrome.development === '' ? [] : [chromeOrigin(ids.chrome.development)],
    [ids.firefox.development],
  ];
  return {
    chromeOrigins: chromeAllowedOrigins(ids, 'release'),
    firefoxId: ids.firefox.release,
    development: development.flat(),
  };
}
