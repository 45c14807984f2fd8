import { execFile } from 'node:child_process';
import { chmod, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { bundledExtensionIds } from '../install/host-manifest.js';
import { installScript, uninstallScript } from './macos-scripts.js';
import { fetchNode } from './node-runtime.js';
import { stageApp } from './stage-app.js';

/**
 * `npm run package:macos`: `dist/release/hpki-login-<version>-macos-arm64.tar.gz` (Apple Silicon) and
 * `…-macos-x64.tar.gz` (Intel), built on Linux. Each is one folder: `app/` (the official, unmodified
 * Node runtime of that architecture, still signed by the Node.js Foundation, the CLI, its npm
 * packages with koffi's darwin binary), `install.sh`, `uninstall.sh` and a short README.
 * Needs `npm run build` first (dist/cli).
 */

const execFileAsync = promisify(execFile);
export const MACOS_ARCHES = ['arm64', 'x64'] as const;
export type MacosArch = (typeof MACOS_ARCHES)[number];

function readme(version: string, folder: string): string {
  return [
    `HPKI Login ${version} for macOS`,
    '',
    'インストール (利用者ごと、管理者権限は不要):',
    `  xattr -d com.apple.quarantine ~/Downloads/${folder}.tar.gz   (展開する前に、一度だけ)`,
    `  tar -xzf ~/Downloads/${folder}.tar.gz -C ~/Downloads && sh ~/Downloads/${folder}/install.sh`,
    '確認: ~/Library/Application\\ Support/hpki-login/app/node ~/Library/Application\\ Support/hpki-login/app/bin/hpki-login.js doctor',
    'アンインストール: sh ~/Library/Application\\ Support/hpki-login/uninstall.sh',
    '',
    'Install (per user, no administrator rights):',
    `  xattr -d com.apple.quarantine ~/Downloads/${folder}.tar.gz   (once, before unpacking)`,
    `  tar -xzf ~/Downloads/${folder}.tar.gz -C ~/Downloads && sh ~/Downloads/${folder}/install.sh`,
    'Check: ~/Library/Application\\ Support/hpki-login/app/node ~/Library/Application\\ Support/hpki-login/app/bin/hpki-login.js doctor',
    'Uninstall: sh ~/Library/Application\\ Support/hpki-login/uninstall.sh',
    '',
    'https://hpkilogin.jp/ — Chrome, Chromium, Microsoft Edge, Firefox',
    '',
  ].join('\n');
}

async function writeExecutable(path: string, text: string): Promise<void> {
  await writeFile(path, text);
  await chmod(path, 0o755);
}

export async function buildMacosArchive(
  project: string,
  arch: MacosArch,
  log: (line: string) => void,
): Promise<string> {
  const { version } = JSON.parse(await readFile(join(project, 'package.json'), 'utf8')) as { version: string };
  const node = await fetchNode(project, { os: 'darwin', arch }, log);
  log(`bundling Node.js ${node.version} for macOS ${arch}`);
  const folder = `hpki-login-${version}-macos-${arch}`;
  const work = join(project, 'dist/macos-stage', arch);
  await rm(work, { recursive: true, force: true });
  const root = join(work, folder);
  await stageApp(
    project,
    join(root, 'app'),
    { node: node.path, nodeName: 'node', foreign: { platform: 'darwin', arch } },
    log,
  );
  await writeExecutable(join(root, 'install.sh'), installScript(arch, bundledExtensionIds()));
  await writeExecutable(join(root, 'uninstall.sh'), uninstallScript());
  await writeFile(join(root, 'README.txt'), readme(version, folder));
  await mkdir(join(project, 'dist/release'), { recursive: true });
  const out = join(project, 'dist/release', `${folder}.tar.gz`);
  await execFileAsync('tar', ['-czf', out, '--owner=0', '--group=0', '--numeric-owner', '-C', work, folder]);
  await rm(work, { recursive: true, force: true });
  log(`wrote ${out}`);
  return out;
}

export async function buildMacos(project: string, log: (line: string) => void): Promise<string[]> {
  try {
    await stat(join(project, 'dist/cli/main.js'));
  } catch {
    throw new Error('dist/cli is missing: run npm run build first');
  }
  const out: string[] = [];
  for (const arch of MACOS_ARCHES) out.push(await buildMacosArchive(project, arch, log));
  return out;
}
