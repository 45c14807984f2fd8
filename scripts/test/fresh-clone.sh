#!/usr/bin/env bash
# A fresh clone of the committed tree, alone in an empty folder under the system's temporary directory
# (whose parents are not all root's), passes the unit tests, the reference-data ones (test vectors,
# real HPKI certificates, PKITS) among them, and changes no tracked file. Lean: the clone borrows this
# checkout's node_modules instead of installing them, and runs test/unit only (no daemons, no browsers).
# Run by CI after `./dev test`, and by `npm run test:fresh-clone`.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
source "$root/scripts/runtime.sh"
parent="$(mktemp -d "${TMPDIR:-/tmp}/hpki-fresh-clone-XXXXXX")"
trap 'rm -rf "$parent"' EXIT
git clone --quiet --no-hardlinks "$root" "$parent/hpki-login"
if [ "$(ls -A "$parent")" != "hpki-login" ]; then echo "fresh-clone: something beside the clone" >&2; exit 1; fi
cd "$parent/hpki-login"
ln -s "$root/node_modules" node_modules
echo "fresh-clone: $(git log --oneline -1) in $PWD"
start=$SECONDS
node node_modules/vitest/vitest.mjs run test/unit
echo "fresh-clone: unit and reference-data tests passed in $((SECONDS - start)) s"
changed="$(git status --porcelain --untracked-files=no)"
if [ -n "$changed" ]; then echo "fresh-clone: the tests changed tracked files:" >&2; echo "$changed" >&2; exit 1; fi
echo "fresh-clone: no tracked file changed"
