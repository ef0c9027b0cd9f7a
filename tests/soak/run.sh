#!/usr/bin/env bash
# Crash safety (`make soak`): bursts of setState calls from several clients against a dev server on
# a temp database file, the server killed with SIGKILL mid-burst and restarted on the same file;
# every acknowledged write must be there, versions contiguous per run, nothing else.
#
#   bash tests/soak/run.sh                 # SOAK_CYCLES=3 bursts of SOAK_CALLS=1000 calls
#   SOAK_CYCLES=10 SOAK_SEED=7 bash tests/soak/run.sh
# Server binary: $PREFECT_DEV_SERVER_BIN, else target/server (make bench's build) or target/debug,
# the newer one.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
if [ -z "${PREFECT_DEV_SERVER_BIN:-}" ]; then
  rel=target/server/prefect-dev-server
  dbg=target/debug/prefect-dev-server
  if [ -x "$rel" ] && { [ ! -x "$dbg" ] || [ "$rel" -nt "$dbg" ]; }; then bin=$rel; else bin=$dbg; fi
  export PREFECT_DEV_SERVER_BIN="$root/$bin"
fi
if [ ! -x "$PREFECT_DEV_SERVER_BIN" ]; then
  echo "soak: no server binary at $PREFECT_DEV_SERVER_BIN (make build)" >&2
  exit 2
fi
if [ ! -f "${PREFECT_WASM_PKG:-pkg}/node/prefect_wasm.js" ]; then
  echo "soak: no Node build of the package in pkg/node (make build)" >&2
  exit 2
fi
exec node tests/soak/soak.mjs "$@"
