#!/usr/bin/env bash
# The pcscd integration and end-to-end tests, run while the machine's pcscd is running, leave it as it
# was: the same process on the same socket afterwards. Starts that pcscd when none runs (as
# `systemctl start pcscd` would) and stops only the one it started, by its pid. Run by CI after
# `./dev test`, and by `npm run test:pcscd-untouched` (extra vitest arguments pass through).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
source scripts/runtime.sh
socket=/run/pcscd/pcscd.comm
machine_pid() { [ -S "$socket" ] && tr -d '\0' < /run/pcscd/pcscd.pid 2>/dev/null | head -1 || true; }

started=""
pid="$(machine_pid)"
if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then
  pcscd --foreground >/dev/null 2>&1 &
  started=$!
  for _ in $(seq 100); do pid="$(machine_pid)"; [ -n "$pid" ] && break; sleep 0.1; done
fi
cleanup() { if [ -n "$started" ]; then kill -TERM "$started" 2>/dev/null || true; wait "$started" 2>/dev/null || true; fi; }
trap cleanup EXIT
echo "pcscd-untouched: the machine's pcscd is pid $pid${started:+ (started for this check)}"

files=(test/integration/host-pcsc.test.ts test/integration/host-no-pcscd.test.ts test/integration/doctor-pcsc.test.ts
  test/integration/pcscd-left-alone.test.ts test/e2e/pin-window-fit.test.ts)
node node_modules/vitest/vitest.mjs run "${files[@]}" "$@"

after="$(machine_pid)"
if [ "$after" != "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then
  echo "pcscd-untouched: the machine's pcscd was pid $pid, now '${after:-none}'" >&2
  exit 1
fi
echo "pcscd-untouched: pid $pid still serves $socket"
