import { NATIVE_HOST_NAME } from '../../protocol/messages.js';
import type { ExtensionIds, Trust } from './host-manifest.js';
import { buildHostManifest, serializeHostManifest } from './host-manifest.js';
import type { HostOptions } from './launcher.js';
import { cmdLauncher, hostArguments, posixLauncher } from './launcher.js';
import type { BrowserId, RegistryTarget, TargetOs } from './locations.js';
import { installDirectory, manifestFlavor, manifestLocation, pathFor } from './locations.js';
import { registerPowerShell, registerReg, unregisterReg } from './windows-registry.js';

/**
 * What `install-host` writes, computed without touching the disk: every file with its content and
 * mode, in the target OS's path syntax. `uninstall-host` computes the same plan to know what it may
 * remove.
 */

export type PlannedFileRole = 'manifest' | 'launcher' | 'register-reg' | 'unregister-reg' | 'register-ps1';

export interface PlannedFile {
  path: string;
  role: PlannedFileRole;
  content: Uint8Array;
  mode: number;
}

export interface InstallRequest {
  browser: BrowserId;
  os: TargetOs;
  system: boolean;
  /** The user's home, in the target's path syntax. */
  home: string;
  userDataDir?: string;
  host: HostOptions;
  /** The runtime the launcher starts, absolute, in the target's path syntax. */
  runtime: { node: string; cli: string };
  ids: ExtensionIds;
  /** Whether the manifest also lets in the development build (`install-host --development`). */
  trust: Trust;
  /** Use this launcher instead of writing one (packages ship their own). */
  launcherPath?: string;
}

export interface InstallPlan {
  browser: BrowserId;
  os: TargetOs;
  /** Our own directory for this install: launcher, receipt and, on Windows, the manifest. */
  installDir: string;
  launcherPath: string;
  /** Where the receipt of an install (files written, directories created) is kept. */
  receiptPath: string;
  files: PlannedFile[];
  /** Windows: the keys that register.reg writes. */
  registry: RegistryTarget[];
}

const encoder = new TextEncoder();
const MANIFEST_FILE = `${NATIVE_HOST_NAME}.json`;

export function planInstall(request: InstallRequest): InstallPlan {
  const { browser, os } = request;
  const path = pathFor(os);
  const location = manifestLocation(request, NATIVE_HOST_NAME);
  const installDir = installDirectory(request);
  const ownLauncher = request.launcherPath === undefined;
  const launcherPath =
    request.launcherPath ?? path.join(installDir, os === 'win32' ? 'hpki-login-host.cmd' : 'hpki-login-host');
  const manifest = encoder.encode(
    serializeHostManifest(buildHostManifest(manifestFlavor(browser), launcherPath, request.ids, request.trust)),
  );
  const files: PlannedFile[] = [];
  const registry: RegistryTarget[] = [];

  if (ownLauncher) {
    const spec = { node: request.runtime.node, cli: request.runtime.cli, args: hostArguments(request.host) };
    const text = os === 'win32' ? cmdLauncher(spec) : posixLauncher(spec);
    files.push({ path: launcherPath, role: 'launcher', content: encoder.encode(text), mode: 0o755 });
  }
  if (location.kind === 'directories') {
    for (const dir of location.dirs)
      files.push({ path: path.join(dir, MANIFEST_FILE), role: 'manifest', content: manifest, mode: 0o644 });
  } else {
    const manifestPath = path.join(installDir, MANIFEST_FILE);
    registry.push(...location.keys);
    files.push(
      { path: manifestPath, role: 'manifest', content: manifest, mode: 0o644 },
      {
        path: path.join(installDir, 'register.reg'),
        role: 'register-reg',
        content: registerReg(location.keys, manifestPath),
        mode: 0o644,
      },
      {
        path: path.join(installDir, 'unregister.reg'),
        role: 'unregister-reg',
        content: unregisterReg(location.keys),
        mode: 0o644,
      },
      {
        path: path.join(installDir, 'register.ps1'),
        role: 'register-ps1',
        content: registerPowerShell(location.keys, manifestPath),
        mode: 0o644,
      },
    );
  }
  return {
    browser,
    os,
    installDir,
    launcherPath,
    receiptPath: path.join(installDir, 'hpki-login-host.receipt.json'),
    files,
    registry,
  };
}
