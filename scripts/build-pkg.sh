#!/usr/bin/env bash
# Builds the npm package in pkg/: the client compiled to wasm once, bound by wasm-bindgen for three
# targets, plus the package's hand-written files, copied from pkg-template/.
#
#   pkg/web/      --target web                         browsers, bundlers, Web Workers: `await init()`
#   pkg/bundler/  --target bundler                     prefect-wasm/bundler (wasm ESM integration)
#   pkg/node/     --target experimental-nodejs-module  Node: an ES module (`require` loads it too)
#
# pkg-template/package.json's `exports` map picks the build; node/ and bundler/ get an entry
# module that adds the no-op `init()` of the one documented import.
#
# wasm-bindgen runs directly rather than through `wasm-pack build`: wasm-pack can pass neither
# `--remove-name-section` nor the Node ES module target, and its one post-processing hook,
# wasm-opt, breaks the module with the binaryen these machines have (see Cargo.toml).
#
# Idempotent: when nothing that goes into the build changed since the last run, it only says so.
# Uses $RUSTUP_TOOLCHAIN / $CARGO_TARGET_DIR from the environment when set.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
say() { printf '\033[1mbuild-pkg:\033[0m %s\n' "$*"; }

if [ -z "${RUSTUP_TOOLCHAIN:-}" ] && [ -f .toolchain ]; then
  export RUSTUP_TOOLCHAIN=$(cat .toolchain)
fi

inputs_hash() {
  { find src pkg-template -type f | sort; echo Cargo.toml; [ -f Cargo.lock ] && echo Cargo.lock; echo scripts/build-pkg.sh; } \
    | xargs sha256sum | sha256sum | cut -d' ' -f1
}
stamp=pkg/.build-stamp
hash=$(inputs_hash)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$hash" ] \
   && [ -f pkg/package.json ] && [ -f pkg/web/prefect_wasm_bg.wasm ] && [ -f pkg/bundler/prefect_wasm_bg.wasm ] && [ -f pkg/node/prefect_wasm_bg.wasm ]; then
  say "pkg/ is up to date"
  exit 0
fi

# The `wasm-package` profile (Cargo.toml) optimises for size: the size is a benchmark figure.
say "cargo build --profile wasm-package --target wasm32-unknown-unknown"
cargo build --quiet --lib --profile wasm-package --target wasm32-unknown-unknown
wasm="${CARGO_TARGET_DIR:-target}/wasm32-unknown-unknown/wasm-package/prefect_wasm.wasm"

rm -rf pkg
mkdir -p pkg
for target in web bundler experimental-nodejs-module; do
  dir=$target; [ "$target" = experimental-nodejs-module ] && dir=node
  say "wasm-bindgen --target $target → pkg/$dir"
  # No `name` section (function names for stack traces, ~90 KB) nor `producers` section.
  wasm-bindgen "$wasm" --target "$target" --out-dir "pkg/$dir" --out-name prefect_wasm \
    --remove-name-section --remove-producers-section
done
cp -R pkg-template/. pkg/
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
(cd pkg && npm pkg set version="$version")

echo "$hash" > "$stamp"
wasm_gz=$(gzip -9c pkg/web/prefect_wasm_bg.wasm | wc -c)
js_gz=$(cat pkg/web/prefect_wasm.js $(find pkg/web/snippets -name '*.js' | sort) | gzip -9c | wc -c)
say "done: pkg/ $version (web build gzipped: wasm $wasm_gz B + JS $js_gz B = $((wasm_gz + js_gz)) B)"
