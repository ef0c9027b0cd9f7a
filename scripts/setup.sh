#!/usr/bin/env bash
# Installs everything the project needs to build and test, and nothing twice.
#
#   scripts/setup.sh                       # what `make demo` and `make test` run first
#   PREFECT_WASM_OFFLINE=1 scripts/setup.sh  # skip rustup's download, take the offline path
#
# Online machine: `rustup target add wasm32-unknown-unknown`. Where that cannot download (this
# workplace has package registries only), the wasm32 standard library is built once from
# Debian's Rust source and linked as the rustup toolchain `prefect-debian`. Either way the chosen
# toolchain's name is written to `.toolchain`, which the Makefile exports as RUSTUP_TOOLCHAIN.
# A second run finds everything in place, downloads nothing and takes a few seconds.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

say() { printf '\033[1msetup:\033[0m %s\n' "$*"; }
die() { printf '\033[1;31msetup: %s\033[0m\n' "$*" >&2; exit 1; }

OFFLINE_TOOLCHAIN=prefect-debian
DEBIAN_RUST_PACKAGES=(rustc-web cargo-web rust-web-src lld-22)
TOOL_PACKAGES=(binaryen chromium chromium-driver)
WASM_TARGET=wasm32-unknown-unknown

# --- helpers ---------------------------------------------------------------------------------

apt_missing() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  printf '%s\n' "${missing[@]}"
}

apt_ensure() {
  local missing
  mapfile -t missing < <(apt_missing "$@" | sed '/^$/d')
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null || die "missing packages ${missing[*]} and no apt-get to install them"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  say "installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

toolchain_has_wasm_std() {
  local sysroot
  sysroot=$(RUSTUP_TOOLCHAIN="$1" rustc --print sysroot 2>/dev/null) || return 1
  compgen -G "$sysroot/lib/rustlib/$WASM_TARGET/lib/libstd*.rlib" >/dev/null
}

# --- 1. a Rust toolchain that targets wasm32 ------------------------------------------------

command -v rustup >/dev/null || die "rustup is required (https://rustup.rs)"

toolchain=""
if [ -z "${PREFECT_WASM_OFFLINE:-}" ] && [ -f .toolchain ] && toolchain_has_wasm_std "$(cat .toolchain)"; then
  toolchain=$(cat .toolchain)
else
  default=$(rustup show active-toolchain 2>/dev/null | awk '{print $1}')
  if [ -z "${PREFECT_WASM_OFFLINE:-}" ] && [ -n "$default" ] && toolchain_has_wasm_std "$default"; then
    toolchain=$default
  elif toolchain_has_wasm_std "$OFFLINE_TOOLCHAIN"; then
    toolchain=$OFFLINE_TOOLCHAIN
  else
    [ -z "${PREFECT_WASM_OFFLINE:-}" ] && say "trying: rustup target add $WASM_TARGET (gives up after 45 s)"
    if [ -z "${PREFECT_WASM_OFFLINE:-}" ] && [ -n "$default" ] && timeout 45 rustup target add "$WASM_TARGET" >/dev/null 2>&1 \
        && toolchain_has_wasm_std "$default"; then
      toolchain=$default
    else
      say "rustup cannot download here: building the wasm32 std from Debian's Rust source"
      apt_ensure "${DEBIAN_RUST_PACKAGES[@]}"
      src=$(ls -d /usr/src/rustc-*/library 2>/dev/null | sort -V | tail -n 1)
      [ -n "$src" ] || die "rust-web-src installed no library source under /usr/src"
      dest=/usr/lib/rustlib/$WASM_TARGET/lib
      if ! compgen -G "$dest/"libstd*.rlib >/dev/null; then
        work=$(mktemp -d)
        trap 'rm -rf "$work"' EXIT
        cp -r "$src" "$work/library"
        say "compiling the wasm32 standard library (about a minute, once)"
        env RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 \
          RUSTFLAGS="-Zforce-unstable-if-unmarked -Cembed-bitcode=yes" \
          CARGO_TARGET_DIR="$work/target" \
          /usr/bin/cargo build --quiet --release --target "$WASM_TARGET" \
          --manifest-path "$work/library/sysroot/Cargo.toml"
        mkdir -p "$dest"
        find "$work/target/$WASM_TARGET/release/deps" -name '*.rlib' ! -name 'libsysroot-*' \
          -exec cp {} "$dest/" \;
      fi
      lld_bin=/usr/lib/rustlib/x86_64-unknown-linux-gnu/bin
      mkdir -p "$lld_bin"
      [ -e "$lld_bin/rust-lld" ] || ln -s "$(command -v lld-22 || echo /usr/bin/lld-22)" "$lld_bin/rust-lld"
      rustup toolchain link "$OFFLINE_TOOLCHAIN" /usr
      toolchain_has_wasm_std "$OFFLINE_TOOLCHAIN" || die "the offline wasm32 toolchain is not usable"
      toolchain=$OFFLINE_TOOLCHAIN
    fi
  fi
fi
echo "$toolchain" > .toolchain
export RUSTUP_TOOLCHAIN=$toolchain
say "rust toolchain: $toolchain ($(rustc --version))"

# --- 2. wasm-opt, Chromium, ChromeDriver, Node ---------------------------------------------

apt_ensure "${TOOL_PACKAGES[@]}"
command -v node >/dev/null && command -v npm >/dev/null || apt_ensure nodejs npm
# The package's `require` and Vite 8 (the bundlers layer) both need require(esm): 20.19 or 22.12.
node_ok=$(node -p 'const [a, b] = process.versions.node.split(".").map(Number); (a === 20 && b >= 19) || (a === 22 && b >= 12) || a > 22')
[ "$node_ok" = true ] || die "Node.js 20.19+ or 22.12+ is required (found $(node --version))"

# --- 3. wasm-bindgen-cli at exactly the pinned version, and wasm-pack -----------------------

bindgen_version=$(sed -n 's/^wasm-bindgen = "=\([0-9.]*\)"/\1/p' Cargo.toml)
[ -n "$bindgen_version" ] || die "Cargo.toml must pin wasm-bindgen with '='"
export PATH="$HOME/.cargo/bin:$PATH"
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$bindgen_version" ]; then
  say "installing wasm-bindgen-cli $bindgen_version (a few minutes, once)"
  cargo install --quiet --force wasm-bindgen-cli --version "$bindgen_version"
fi
if ! command -v wasm-pack >/dev/null; then
  say "installing wasm-pack (a few minutes, once)"
  cargo install --quiet wasm-pack
fi

# --- 4. Node packages from the lock files ---------------------------------------------------
# The workspace's tooling (package-lock.json) and the bundlers of the `bundlers` test layer
# (tests/bundlers/package-lock.json: Vite, webpack, Rollup, esbuild, about 95 MB).

for dir in . tests/bundlers; do
  if [ ! -f "$dir/node_modules/.package-lock.json" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    say "installing Node packages in $dir (npm ci)"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
done

# --- 5. real Prefect in git-ignored venvs (the prefect1/prefect3 test layers, `make demo`) ------
# Each venv is installed from its pinned requirements file and stamped with that file's hash and
# the Python version; a second run compares the stamp and installs nothing. Without python3 this
# step only warns: the layers that need a venv fail on their own with a clear message, and
# `make demo` falls back to --simulate. PREFECT_SETUP_PYTHON=skip skips it.

PYTHON_VENVS=(
  "prefect1:tests/prefect1/requirements.txt:40:prefect 1.4.1"
  "prefect015:tests/prefect1/requirements-0.15.13.txt:40:prefect 0.15.13 (token flow checks)"
  "prefect3:tests/prefect3/requirements.txt:80:prefect 3.9.1"
)

venv_stamp() { printf '%s %s\n' "$(sha256sum "$1" | cut -d' ' -f1)" "$("$2" -c 'import sys; print(sys.version.split()[0])')"; }

# Runs "$@" with a line every 15 s, so a long pip install does not look hung.
with_ticker() {
  local label=$1 start=$SECONDS; shift
  ( while sleep 15; do say "  ... $label: $(( SECONDS - start )) s"; done ) &
  local ticker=$! status=0
  "$@" || status=$?
  kill "$ticker" 2>/dev/null; wait "$ticker" 2>/dev/null || true
  return $status
}

ensure_python_venv() {
  local name=$1 requirements=$2 seconds=$3 label=$4 dir=.venv/$1
  [ -f "$requirements" ] || die "missing $requirements"
  if [ -x "$dir/bin/python" ] && [ -f "$dir/.setup-stamp" ] \
      && [ "$(cat "$dir/.setup-stamp")" = "$(venv_stamp "$requirements" "$dir/bin/python")" ]; then
    return 0
  fi
  say "installing $label into $dir (about $seconds s, once)"
  local start=$SECONDS
  rm -rf "$dir"
  python3 -m venv "$dir" || die "python3 -m venv failed (on Debian: apt-get install python3-venv)"
  with_ticker "$name" "$dir/bin/pip" install --quiet --disable-pip-version-check --progress-bar off \
    --no-deps -r "$requirements" \
    || { rm -rf "$dir"; die "pip could not install $requirements into $dir"; }
  "$dir/bin/pip" check >/dev/null || { "$dir/bin/pip" check >&2; rm -rf "$dir"; die "$dir: inconsistent requirements in $requirements"; }
  venv_stamp "$requirements" "$dir/bin/python" > "$dir/.setup-stamp"
  say "installed $label in $(( SECONDS - start )) s"
}

if [ "${PREFECT_SETUP_PYTHON:-}" = skip ]; then
  :
elif ! command -v python3 >/dev/null; then
  printf '\033[1;33msetup: python3 not found: the prefect1 and prefect3 test layers will fail, and make demo runs --simulate (install Python 3.10+)\033[0m\n' >&2
else
  py_version=$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
  python3 -c 'import sys; sys.exit(sys.version_info < (3, 10))' \
    || die "python3 is $py_version; the real Prefect venvs need Python 3.10 or newer"
  for spec in "${PYTHON_VENVS[@]}"; do
    IFS=: read -r name requirements seconds label <<< "$spec"
    ensure_python_venv "$name" "$requirements" "$seconds" "$label"
  done
  say "python venvs: $(for spec in "${PYTHON_VENVS[@]}"; do printf '.venv/%s ' "${spec%%:*}"; done)(python $py_version)"
fi

say "ready: wasm-bindgen $bindgen_version, $(wasm-pack --version), $(wasm-opt --version | head -n1), $(chromium --version 2>/dev/null | head -n1), node $(node --version)"
