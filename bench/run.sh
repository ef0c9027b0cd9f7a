#!/usr/bin/env bash
# `make bench` (after setup and the package build): builds the dev server (Cargo profile `server`:
# release at opt-level 3 without LTO, see Cargo.toml), then runs
# bench/bench.mjs, which prints the table and writes bench/out/results.json.
#
#   bash bench/run.sh                                   # what `make bench` runs
#   PREFECT_DEV_SERVER_BIN=/path/to/server bash bench/run.sh   # use that server, build nothing
#   BENCH_ROUNDS=3 BENCH_MEMORY_CALLS=20000 bash bench/run.sh  # quicker, rougher (see README)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export PATH="$HOME/.cargo/bin:$PATH"
if [ -z "${RUSTUP_TOOLCHAIN:-}" ] && [ -f .toolchain ]; then
  export RUSTUP_TOOLCHAIN=$(cat .toolchain)
fi

say() { printf '\033[1mbench:\033[0m %s\n' "$*" >&2; }

if [ -z "${PREFECT_DEV_SERVER_BIN:-}" ] && [ "${BENCH_STANDIN:-}" != 1 ]; then
  say "building the dev server (cargo build --profile server -p prefect-dev-server)"
  start=$(date +%s)
  cargo build --quiet --profile server -p prefect-dev-server
  say "server built in $(( $(date +%s) - start )) s"
  export PREFECT_DEV_SERVER_BIN="${CARGO_TARGET_DIR:-$root/target}/server/prefect-dev-server"
fi

if [ ! -f "${BENCH_PKG_DIR:-pkg}/web/prefect_wasm.js" ]; then
  say "no web build at ${BENCH_PKG_DIR:-pkg}/web/prefect_wasm.js (bash scripts/build-pkg.sh): prefect-wasm rows will be n/a"
fi

node bench/bench.mjs
# The REST half (a real Prefect 3 server from .venv/prefect3; skipped without it): bench/rest.mjs.
[ "${BENCH_REST:-1}" = 0 ] || node bench/rest.mjs
