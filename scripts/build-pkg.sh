#!/usr/bin/env bash
# Builds the npm package in pkg/: the wasm client for three wasm-bindgen targets, plus one
# package.json whose `exports` map picks the right one.
#
#   pkg/web/      --target web      (plain <script type="module">; needs `await init()`)
#   pkg/bundler/  --target bundler  (webpack, vite, ...: `browser` / `import`)
#   pkg/node/     --target nodejs   (Node: `node` / `require`)
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
  { find src -type f | sort; echo Cargo.toml; [ -f Cargo.lock ] && echo Cargo.lock; echo scripts/build-pkg.sh; } \
    | xargs sha256sum | sha256sum | cut -d' ' -f1
}
stamp=pkg/.build-stamp
hash=$(inputs_hash)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$hash" ] \
   && [ -f pkg/package.json ] && [ -f pkg/web/prefect_wasm_bg.wasm ] && [ -f pkg/bundler/prefect_wasm_bg.wasm ] && [ -f pkg/node/prefect_wasm_bg.wasm ]; then
  say "pkg/ is up to date"
  exit 0
fi

# Size is a benchmark figure: optimise the wasm build for size (only here, not the dev server's
# release build), and since wasm-opt is unusable (see Cargo.toml) drop the `name` custom section
# (function names for stack traces, ~90 KB) from the final modules ourselves.
export CARGO_PROFILE_RELEASE_OPT_LEVEL=z
strip_names() {
  node -e '
    const fs = require("fs");
    const file = process.argv[1];
    const d = fs.readFileSync(file);
    const leb = (i) => { let r = 0, s = 0, b; do { b = d[i++]; r |= (b & 0x7f) << s; s += 7; } while (b & 0x80); return [r >>> 0, i]; };
    const out = [d.subarray(0, 8)];
    let i = 8;
    while (i < d.length) {
      const start = i, id = d[i++];
      const [size, body] = leb(i);
      i = body + size;
      if (id === 0) {
        const [n, at] = leb(body);
        if (d.subarray(at, at + n).toString() === "name") continue;
      }
      out.push(d.subarray(start, i));
    }
    fs.writeFileSync(file, Buffer.concat(out));
  ' "$1"
}

version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
rm -rf pkg/web pkg/bundler pkg/node
for target in web bundler nodejs; do
  dir=$target; [ "$target" = nodejs ] && dir=node
  say "wasm-pack build --release --target $target → pkg/$dir"
  wasm-pack --quiet build --release --no-pack --target "$target" --out-dir "pkg/$dir" --out-name prefect_wasm >/dev/null
  rm -f "pkg/$dir/.gitignore" "pkg/$dir/README.md" "pkg/$dir/package.json" "pkg/$dir/LICENSE"*
  strip_names "pkg/$dir/prefect_wasm_bg.wasm"
done

# The PrefectError class lives in a JS snippet the glue imports; export it from every entry.
snippet=$(cd pkg/web && ls snippets/*/src/wasm/error.js)
grep -q "from './$snippet'" pkg/web/prefect_wasm.js || { echo "build-pkg: the web glue no longer imports $snippet" >&2; exit 1; }
printf '\nexport { PrefectError };\n' >> pkg/web/prefect_wasm.js
printf '\nexport { PrefectError } from "./%s";\n' "$snippet" >> pkg/bundler/prefect_wasm.js
# Node's build is CommonJS and requires its snippets (error.js, fetch.js): make them CommonJS
# too (Node < 20.19 cannot require ESM). Snippets export with `export class|function|const`.
for node_snippet in $(find pkg/node/snippets -name '*.js' | sort); do
  names=$(sed -n 's/^export \(class\|function\|const\) \([A-Za-z_$][A-Za-z0-9_$]*\).*/\2/p' "$node_snippet" | paste -sd, -)
  grep -q '^export {\|^export default' "$node_snippet" && { echo "build-pkg: $node_snippet: only export class|function|const is converted" >&2; exit 1; }
  sed -i 's/^export \(class\|function\|const\) /\1 /' "$node_snippet"
  printf '\nmodule.exports = { %s };\n' "$names" >> "$node_snippet"
done
printf '\nexports.PrefectError = PrefectError;\n' >> pkg/node/prefect_wasm.js
echo '{ "type": "module" }' > pkg/web/package.json
echo '{ "type": "module", "sideEffects": ["./prefect_wasm.js", "./snippets/*"] }' > pkg/bundler/package.json
echo '{ "type": "commonjs" }' > pkg/node/package.json

cat > pkg/package.json <<JSON
{
  "name": "prefect-wasm",
  "version": "$version",
  "description": "A Rust → WebAssembly client for the Prefect 1.x GraphQL API",
  "license": "Apache-2.0",
  "type": "module",
  "main": "./node/prefect_wasm.js",
  "module": "./bundler/prefect_wasm.js",
  "browser": "./bundler/prefect_wasm.js",
  "types": "./bundler/prefect_wasm.d.ts",
  "exports": {
    ".": {
      "types": "./bundler/prefect_wasm.d.ts",
      "browser": "./bundler/prefect_wasm.js",
      "node": "./node/prefect_wasm.js",
      "import": "./bundler/prefect_wasm.js",
      "require": "./node/prefect_wasm.js",
      "default": "./bundler/prefect_wasm.js"
    },
    "./web": {
      "types": "./web/prefect_wasm.d.ts",
      "default": "./web/prefect_wasm.js"
    },
    "./web/prefect_wasm_bg.wasm": "./web/prefect_wasm_bg.wasm",
    "./package.json": "./package.json"
  },
  "files": ["web", "bundler", "node", "README.md"],
  "sideEffects": ["./bundler/prefect_wasm.js", "./bundler/snippets/*"],
  "engines": { "node": ">=20" }
}
JSON

cat > pkg/README.md <<'MD'
# prefect-wasm

A Rust → WebAssembly client for the Prefect 1.x GraphQL API: `Client`, `FlowRuns`, `TaskRuns`
and `PrefectError`, for browsers (plain ES modules or bundlers), Web Workers and Node ≥ 20.

```js
// Node or a bundler: no init needed
import { Client, FlowRuns, TaskRuns, PrefectError } from "prefect-wasm";
// A plain <script type="module"> (the web build):
//   import init, { Client, FlowRuns } from "prefect-wasm/web"; await init();

const client = new Client({ apiServer: "http://127.0.0.1:4200" });
const flowRuns = new FlowRuns(client);
const { id } = await flowRuns.create(flowId, { parameters: { x: 1 } });
const state = await flowRuns.setState(id, "Running", { expectedState: "Scheduled" });
try {
  await client.graphql("query { hello }");
} catch (e) {
  if (e instanceof PrefectError) console.log(e.code, e.status, e.errors);
}
```

Every method returns a Promise; every rejection is a `PrefectError` (a real `Error`) whose
`code` is one of `NETWORK`, `TIMEOUT`, `ABORTED`, `HTTP`, `GRAPHQL`, `UNAUTHENTICATED`,
`VERSION_LOCKING_ERROR`, `STATE_MISMATCH`, `NOT_FOUND`, `INVALID_ARGUMENT`, `DECODE`.
Types are in the bundled `.d.ts` files.
MD

echo "$hash" > "$stamp"
wasm=$(gzip -9c pkg/web/prefect_wasm_bg.wasm | wc -c)
js=$(cat pkg/web/prefect_wasm.js $(find pkg/web/snippets -name '*.js' | sort) | gzip -9c | wc -c)
say "done: pkg/ (web build gzipped: wasm $wasm B + JS $js B = $((wasm + js)) B)"
