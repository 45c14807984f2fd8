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

/** Where the package keeps the list of directories its postinst created (and so may remove). */
export const STATE_DIR = '/var/lib/hpki-login';
const CREATED = `${STATE_DIR}/created-dirs`;

function quoted(paths: readonly string[]): string {
  for (const p of paths) if (!/^\/[A-Za-z0-9._/-]+$/.test(p)) throw new RangeError(`not a plain absolute path: ${p}`);
  return paths.map((p) => `'${p}'`).join(' ');
}

/**
 * The host manifests go into the browsers' directories (/etc/opt/chrome/…, /usr/lib/mozilla/…),
 * which belong to the browsers, not to us. Were they in the package's file list, dpkg would take
 * such a directory away on removal whenever it is empty, even one that was there before. So the
 * package ships them under `shipped` and postinst copies each into place, creating only the
 * directories that are missing and writing down those it created.
 */
export function postinstScript(manifests: readonly string[], shipped: string): string {
  return [
    '#!/bin/sh',
    'set -e',
    'case "$1" in',
    '  configure)',
    `    mkdir -p '${STATE_DIR}'`,
    `    for manifest in ${quoted(manifests)}; do`,
    '      missing=""',
    '      dir="$(dirname "$manifest")"',
    '      while [ ! -e "$dir" ]; do',
    '        missing="$dir $missing"',
    '        dir="$(dirname "$dir")"',
    '      done',
    '      for dir in $missing; do',
    '        mkdir -m 755 "$dir"',
    `        echo "$dir" >> '${CREATED}'`,
    '      done',
    `      install -m 644 '${shipped}'"$manifest" "$manifest"`,
    '    done',
    '    ;;',
    'esac',
    'exit 0',
    '',
  ].join('\n');
}

/** Before the files go (not on upgrade): each manifest that is still the one we shipped. */
export function prermScript(manifests: readonly string[], shipped: string): string {
  return [
    '#!/bin/sh',
    'set -e',
    'case "$1" in',
    '  remove)',
    `    for manifest in ${quoted(manifests)}; do`,
    `      if cmp -s '${shipped}'"$manifest" "$manifest"; then rm -f "$manifest"; fi`,
    '    done',
    '    ;;',
    'esac',
    'exit 0',
    '',
  ].join('\n');
}

/**
 * After removal: the directories postinst created, deepest first, each only when it is empty and
 * no other package lists it. A directory that was there before (a browser's, even an empty one) is
 * never touched; dpkg handles the package's own directories.
 */
export function postrmScript(): string {
  return [
    '#!/bin/sh',
    'set -e',
    'case "$1" in',
    '  remove|purge|abort-install)',
    `    if [ -f '${CREATED}' ]; then`,
    `      for dir in $(sort -r -u '${CREATED}'); do`,
    '        if dpkg-query -S "$dir" >/dev/null 2>&1; then continue; fi',
    '        rmdir "$dir" 2>/dev/null || true',
    '      done',
    `      rm -f '${CREATED}'`,
    '    fi',
    `    rmdir '${STATE_DIR}' 2>/dev/null || true`,
    '    ;;',
    'esac',
    'exit 0',
    '',
  ].join('\n');
}
