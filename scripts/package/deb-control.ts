/** The DEBIAN/ control files of the package. */

export interface ControlFields {
  version: string;
  architecture: string;
  /** The Node.js version shipped inside, e.g. 24.22.3. */
  nodeVersion: string;
  installedSizeKiB: number;
}

export function controlFile(f: ControlFields): string {
  return [
    'Package: hpki-login',
    `Version: ${f.version}`,
    `Architecture: ${f.architecture}`,
    'Maintainer: HPKI Login <hpki-login@hpkilogin.jp>',
    'Section: utils',
    'Priority: optional',
    // The Node runtime ships inside; only the C runtime and the PC/SC client library come from the system.
    'Depends: libc6, libstdc++6, libgcc-s1, libpcsclite1',
    'Recommends: pcscd',
    'Suggests: vsmartcard-vpcd, opensc',
    `Installed-Size: ${f.installedSizeKiB}`,
    // Read with `dpkg-query -W -f='${Bundled-Node}' hpki-login`: which runtime a machine got.
    `Bundled-Node: ${f.nodeVersion}`,
    'Description: log into web sites with an HPKI card (医師資格証)',
    ' The native messaging host (jp.hpkilogin.host) that lets the HPKI Login browser',
    ' extension read the HPKI card and sign a login challenge, with its own runtime',
    ` (Node.js ${f.nodeVersion}), registered for Google Chrome, Chromium,`,
    ' Microsoft Edge, Brave and Firefox.',
    '',
  ].join('\n');
}

/**
 * dpkg removes the files and the directories it created; this also takes away the browsers' manifest
 * directories when we were their last user, so nothing of ours is left behind.
 */
export function postrmScript(manifestDirs: readonly string[]): string {
  const dirs = [...manifestDirs, ...manifestDirs.map((d) => d.replace(/\/[^/]+$/, '')), '/usr/lib/hpki-login'];
  const unique = [...new Set(dirs)].map((d) => `'${d}'`).join(' ');
  return [
    '#!/bin/sh',
    'set -e',
    'case "$1" in',
    '  remove|purge)',
    `    for dir in ${unique}; do`,
    '      rmdir "$dir" 2>/dev/null || true',
    '    done',
    '    ;;',
    'esac',
    'exit 0',
    '',
  ].join('\n');
}
