#!/usr/bin/env bash
# Every test layer, in order; a failing layer fails the run, and the rest still run so one
# report shows everything. Called by `make test` after scripts/setup.sh.
#
#   scripts/test.sh              # all layers
#   scripts/test.sh node e2e     # only the named layers
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export RUSTUP_TOOLCHAIN=${RUSTUP_TOOLCHAIN:-$(cat .toolchain)}
export PATH="$HOME/.cargo/bin:$PATH"
export PREFECT_DEV_SERVER_BIN="$root/target/debug/prefect-dev-server"
with_servers=(node tests/support/servers.mjs --)

layers=(native build browser node package types bundlers e2e reliability prefect1 prefect3)
[ $# -gt 0 ] && layers=("$@")

need_venv() {
  [ -x ".venv/$1/bin/python" ] && return 0
  echo "no .venv/$1: run scripts/setup.sh (it installs the real Prefect venvs; it needs python3 3.10+)" >&2
  return 1
}

run_layer() {
  case "$1" in
    native)  cargo test --workspace --no-fail-fast ;;
    # The dev server as the native layer built it (same features: `cargo build -p` alone would
    # resolve them without the dev-dependencies and compile the server's whole tree a second time).
    build)   bash scripts/build-pkg.sh && cargo test --workspace --no-run --quiet ;;
    browser) "${with_servers[@]}" wasm-pack test --headless --chrome -- --test browser --test worker ;;
    node)    "${with_servers[@]}" wasm-pack test --node -- --test node ;;
    package) "${with_servers[@]}" node tests/node/consumer.mjs ;;
    types)   npx --no-install tsc -p tests/types/tsconfig.json ;;
    bundlers) "${with_servers[@]}" node tests/bundlers/run.mjs ;;
    e2e)     node --test --test-concurrency=1 tests/e2e/ ;;
    reliability) node --test --test-concurrency=1 tests/reliability/ ;;
    # The real Prefect 1.4.1 library / a real Prefect 3.9.1 server, from the venvs of scripts/setup.sh.
    prefect1) need_venv prefect1 && need_venv prefect015 && node --test --test-concurrency=1 tests/prefect1/ ;;
    prefect3) need_venv prefect3 && node --test --test-concurrency=1 tests/prefect3/ ;;
    *)       echo "unknown layer: $1" >&2; return 2 ;;
  esac
}

passed=()
failed=()
summary=()
for layer in "${layers[@]}"; do
  printf '\n\033[1m== test layer: %s\033[0m\n' "$layer"
  start=$(date +%s)
  if run_layer "$layer"; then
    passed+=("$layer")
    outcome=ok
  else
    failed+=("$layer")
    outcome=FAILED
  fi
  summary+=("$(printf '%-11s %-6s %4ss' "$layer" "$outcome" $(( $(date +%s) - start )))")
done

printf '\n\033[1m== summary\033[0m\n'
printf '  %s\n' "${summary[@]}"
echo "layers: ${#passed[@]} passed, ${#failed[@]} failed"
[ ${#failed[@]} -eq 0 ]
