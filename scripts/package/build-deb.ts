import { execFile } from 'node:child_process';
import { chmod, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { bundledExtensionIds } from '../install/host-manifest.js';
import { hostArguments, posixLauncher } from '../install/launcher.js';
import { BROWSERS } from '../install/locations.js';
import { planInstall } from '../install/plan.js';
import { controlFile, postinstScript, postrmScript, prermScript } from './deb-control.js';
import { fetchNode } from './node-runtime.js';
import { SSO_UNIT_PATH, ssoUnit } from './sso-unit.js';
import { stageApp } from './stage-app.js';

/**
 * Builds `dist/hpki-login_<version>_<arch>.deb`: the CLI with its own Node runtime and native addons
 * under /usr/lib/hpki-login, the host launcher, `/usr/bin/hpki-login`, and the system-wide host
 * manifests of every supported browser (copied into place by postinst, see deb-control.ts). Needs `npm run build` first (dist/cli).
 */

export const INSTALL_ROOT = '/usr/lib/hpki-login';
export const LAUNCHER = `${INSTALL_ROOT}/hpki-login-host`;
const NODE = `${INSTALL_ROOT}/node`;
const CLI = `${INSTALL_ROOT}/bin/hpki-login.js`;
/** The host manifests as shipped; postinst copies each to the same path below `/`. */
export const SHIPPED_MANIFESTS = `${INSTALL_ROOT}/host-manifests`;

const execFileAsync = promisify(execFile);
const DEB_ARCH: Partial<Record<string, string>> = { x64: 'amd64', arm64: 'arm64' };

async function writeExecutable(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text);
  await chmod(path, 0o755);
}

/** The Node runtime the package ships, and the version it says it ships. */
export interface BundledNode {
  path: string;
  version: string;
}

/**
 * The pinned Node of .node-version (official build, from the npm registry's node-<os>-<arch>
 * package), never whatever Node runs the packager: a doctor's machine gets a supported runtime.
 * The native addons must load in it, or the package would install a host that cannot start.
 */
export async function pinnedNode(project: string, log: (line: string) => void): Promise<BundledNode> {
  const arch = process.arch === 'arm64' ? 'arm64' : 'x64';
  const node = await fetchNode(project, { os: 'linux', arch }, log);
  const addon = 'pkcs11js/build/Release/pkcs11.node';
  try {
    await execFileAsync(node.path, [
      '-e',
      `process.dlopen({ exports: {} }, ${JSON.stringify(join(project, 'node_modules', addon))})`,
    ]);
  } catch {
    throw new Error(
      `${addon} does not load in Node ${node.version}: run npm ci on Node ${node.version.split('.')[0]} (./dev does)`,
    );
  }
  // PC/SC goes through koffi's prebuilt binary (Node-API: any Node), which must be there for this system.
  try {
    await execFileAsync(node.path, ['-e', "require('koffi')"], { cwd: project });
  } catch {
    throw new Error(`koffi has no binary for ${process.platform}-${process.arch} in node_modules: run npm ci`);
  }
  return node;
}

/**
 * Writes the manifest of every browser below SHIPPED_MANIFESTS in the stage (not into the browsers'
 * directories: see postinstScript); returns the paths they are copied to on install.
 */
async function stageManifests(stage: string): Promise<string[]> {
  const written = new Set<string>();
  for (const browser of BROWSERS) {
    const plan = planInstall({
      browser,
      os: 'linux',
      system: true,
      home: '/root',
      host: { backend: 'pcsc' },
      runtime: { node: NODE, cli: CLI },
      ids: bundledExtensionIds(),
      // Never the development build: its key is public, so anyone could load an extension with its id.
      trust: 'release',
      launcherPath: LAUNCHER,
    });
    for (const file of plan.files) {
      // Brave reads Chrome's directory: the same manifest, written once.
      if (written.has(file.path)) continue;
      written.add(file.path);
      const staged = join(stage, SHIPPED_MANIFESTS, file.path);
      await mkdir(dirname(staged), { recursive: true });
      await writeFile(staged, file.content);
      await chmod(staged, file.mode);
    }
  }
  return [...written];
}

async function sizeKiB(dir: string): Promise<number> {
  const { stdout } = await execFileAsync('du', ['-sk', '--apparent-size', dir]);
  return Number.parseInt(stdout, 10);
}

export async function buildDeb(project: string, log: (line: string) => void): Promise<string> {
  try {
    await stat(join(project, 'dist/cli/main.js'));
  } catch {
    throw new Error('dist/cli is missing: run npm run build first');
  }
  const pkg = JSON.parse(await readFile(join(project, 'package.json'), 'utf8')) as { version: string };
  const architecture = DEB_ARCH[process.arch];
  if (architecture === undefined) throw new Error(`no Debian architecture for ${process.arch}`);
  const stage = join(project, 'dist/deb-stage');
  await rm(stage, { recursive: true, force: true });

  const node = await pinnedNode(project, log);
  log(`bundling Node.js ${node.version}`);
  await stageApp(project, join(stage, INSTALL_ROOT), { node: node.path, nodeName: 'node' }, log);
  await writeExecutable(
    join(stage, LAUNCHER),
    posixLauncher({ node: NODE, cli: CLI, args: hostArguments({ backend: 'pcsc' }) }),
  );
  await writeExecutable(join(stage, '/usr/bin/hpki-login'), `#!/bin/sh\nexec ${NODE} ${CLI} "$@"\n`);
  const manifests = await stageManifests(stage);
  await mkdir(dirname(join(stage, SSO_UNIT_PATH)), { recursive: true });
  await writeFile(join(stage, SSO_UNIT_PATH), ssoUnit(NODE, CLI));

  const control = controlFile({
    version: pkg.version,
    architecture,
    nodeVersion: node.version,
    installedSizeKiB: await sizeKiB(stage),
  });
  await mkdir(join(stage, 'DEBIAN'), { recursive: true });
  await writeFile(join(stage, 'DEBIAN/control'), control);
  await writeExecutable(join(stage, 'DEBIAN/postinst'), postinstScript(manifests, SHIPPED_MANIFESTS));
  await writeExecutable(join(stage, 'DEBIAN/prerm'), prermScript(manifests, SHIPPED_MANIFESTS));
  await writeExecutable(join(stage, 'DEBIAN/postrm'), postrmScript());

  const out = join(project, 'dist', `hpki-login_${pkg.version}_${architecture}.deb`);
  await rm(out, { force: true });
  await execFileAsync('dpkg-deb', ['--root-owner-group', '-Zgzip', '-z6', '--build', stage, out], {
    maxBuffer: 16 * 1024 * 1024,
  });
  await rm(stage, { recursive: true, force: true });
  log(`wrote ${out}`);
  return out;
}
