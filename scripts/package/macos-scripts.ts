import { NATIVE_HOST_NAME } from '../../protocol/messages.js';
import { buildHostManifest, type ExtensionIds, serializeHostManifest } from '../install/host-manifest.js';
import { LAUNCHER_MARKER } from '../install/launcher.js';
import { type BrowserId, manifestFlavor, manifestLocation } from '../install/locations.js';

/**
 * `install.sh` and `uninstall.sh` of the macOS archives, POSIX sh (they run under macOS's /bin/sh and
 * Debian's dash alike, so the tests run them on Linux with HOME redirected). install.sh copies the
 * archive's `app/` to ~/Library/Application Support/hpki-login/, writes the launcher there and one
 * host manifest per browser in that browser's per-user folder, creating only the folders that are
 * missing, and writes down every manifest and folder it made. uninstall.sh removes exactly those:
 * each manifest that still names our launcher, install.sh's own files in that folder (`app/`, the
 * launcher, the list, itself), and the folders it created once empty. The folder is shared: a
 * per-user `hpki-login install-host` keeps its per-browser launchers there (installDirectory in
 * scripts/install/locations.ts), and those stay.
 */

/** The browsers the archives register, per user. */
export const MACOS_BROWSERS: readonly BrowserId[] = ['chrome', 'chromium', 'edge', 'firefox'];
export const MACOS_APP_DIR = 'Library/Application Support/hpki-login';
const PLACEHOLDER = '@@LAUNCHER@@';

/** The per-user manifest paths, relative to HOME. */
export function macosManifestPaths(): { browser: BrowserId; path: string }[] {
  return MACOS_BROWSERS.map((browser) => {
    const location = manifestLocation({ browser, os: 'darwin', system: false, home: '' }, NATIVE_HOST_NAME);
    if (location.kind !== 'directories' || location.dirs[0] === undefined) throw new Error(`no folder for ${browser}`);
    return { browser, path: `${location.dirs[0].replace(/^\//, '')}/${NATIVE_HOST_NAME}.json` };
  });
}

function shQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** One manifest, its `path` left for install.sh to fill in with the launcher's JSON string. */
function manifestWriter(browser: BrowserId, relPath: string, ids: ExtensionIds): string {
  const text = serializeHostManifest(buildHostManifest(manifestFlavor(browser), PLACEHOLDER, ids, 'release'));
  const [before, after] = text.split(`"${PLACEHOLDER}"`);
  return [`write_manifest ${shQuote(relPath)} ${shQuote(before ?? '')} ${shQuote(after ?? '')}`].join('\n');
}

export function installScript(arch: 'arm64' | 'x64', ids: ExtensionIds): string {
  const machine = arch === 'arm64' ? 'arm64' : 'x86_64';
  return `#!/bin/sh
# HPKI Login for macOS (${arch}): registers the native messaging host ${NATIVE_HOST_NAME} for the
# current user in Google Chrome, Chromium, Microsoft Edge and Firefox. No administrator rights needed.
# Undo with: sh uninstall.sh (here, or in ~/${MACOS_APP_DIR}).
set -eu

here=$(cd "$(dirname "$0")" && pwd -P)
case "\${HOME:-}" in
  /*) ;;
  *) echo "HOME is not an absolute path" >&2; exit 1 ;;
esac
case "$HOME" in
  *'"'*|*'\\'*) echo "HOME holds a quote or a backslash: not supported" >&2; exit 1 ;;
esac
if [ "$(uname -s)" = Darwin ] && [ "$(uname -m)" != ${machine} ] && [ ${machine} = arm64 ]; then
  echo "this is the Apple Silicon (arm64) package; this Mac needs the x64 one" >&2
  exit 1
fi

app_dir="$HOME/${MACOS_APP_DIR}"
if [ -f "$app_dir/uninstall.sh" ]; then
  sh "$app_dir/uninstall.sh" >/dev/null
fi

created=""
# Creates the missing folders on the way to $1, noting each one it made.
make_dirs() {
  missing=""
  dir="$1"
  while [ ! -e "$dir" ]; do
    missing="$dir
$missing"
    dir=$(dirname "$dir")
  done
  old_ifs=$IFS
  IFS='
'
  for dir in $missing; do
    mkdir -m 755 "$dir"
    created="$created$dir
"
  done
  IFS=$old_ifs
}

make_dirs "$app_dir"
cp -R "$here/app" "$app_dir/app"
cp "$here/uninstall.sh" "$app_dir/uninstall.sh"
# A browser download is quarantined, and Gatekeeper would stop the copied runtime and koffi's library.
if [ "$(uname -s)" = Darwin ] && command -v xattr >/dev/null 2>&1; then
  xattr -dr com.apple.quarantine "$app_dir" 2>/dev/null || true
fi

launcher="$app_dir/hpki-login-host"
quoted_app=$(printf '%s' "$app_dir/app" | sed "s/'/'\\\\\\\\''/g")
{
  echo '#!/bin/sh'
  echo '# ${LAUNCHER_MARKER}'
  echo "exec '$quoted_app/node' '$quoted_app/bin/hpki-login.js' 'host' '--backend' 'pcsc'"
} > "$launcher"
chmod 755 "$launcher"

state="$app_dir/installed-files"
: > "$state"
write_manifest() {
  file="$HOME/$1"
  make_dirs "$(dirname "$file")"
  printf '%s"%s"%s' "$2" "$launcher" "$3" > "$file"
  chmod 644 "$file"
  echo "manifest $file" >> "$state"
  echo "wrote $file"
}

${MACOS_BROWSERS.map((b) => manifestWriter(b, macosManifestPaths().find((m) => m.browser === b)?.path ?? '', ids)).join('\n')}

printf '%s' "$created" | while IFS= read -r dir; do
  [ -n "$dir" ] && echo "dir $dir" >> "$state"
done
echo "installed in $app_dir"
echo "check with: \\"$app_dir/app/node\\" \\"$app_dir/app/bin/hpki-login.js\\" doctor"
`;
}

export function uninstallScript(): string {
  return `#!/bin/sh
# Removes what install.sh wrote for the current user, and nothing else: each host manifest that still
# names our launcher, the runtime, the launcher, the list and this script in ~/${MACOS_APP_DIR}, and the
# folders install.sh created (that one included) once empty.
set -eu

case "\${HOME:-}" in
  /*) ;;
  *) echo "HOME is not an absolute path" >&2; exit 1 ;;
esac
app_dir="$HOME/${MACOS_APP_DIR}"
state="$app_dir/installed-files"
if [ ! -f "$state" ]; then
  echo "HPKI Login is not installed for this user"
  exit 0
fi
launcher="$app_dir/hpki-login-host"
list=$(cat "$state")

old_ifs=$IFS
IFS='
'
for line in $list; do
  case "$line" in
    "manifest "*)
      file=\${line#manifest }
      if [ -f "$file" ] && grep -qF "\\"path\\": \\"$launcher\\"" "$file"; then
        rm -f "$file"
        echo "removed $file"
      fi
      ;;
  esac
done
# Only install.sh's own files: the folder also holds the per-browser launchers of
# \`hpki-login install-host\` (~/${MACOS_APP_DIR}/<browser>/), which are not ours to take.
rm -rf "$app_dir/app"
rm -f "$launcher" "$app_dir/uninstall.sh" "$state"
echo "removed $app_dir/app, $launcher"
for dir in $(printf '%s\\n' "$list" | sed -n 's/^dir //p' | sort -r); do
  rmdir "$dir" 2>/dev/null || true
done
IFS=$old_ifs
`;
}
