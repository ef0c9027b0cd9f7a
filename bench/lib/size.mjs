// Size: what a page downloads to make one request, bundled the same way for every client
// (esbuild --bundle --minify, ESM for the browser), compressed with `gzip -9` and brotli (q 11).
// prefect-wasm counts its bundled glue plus its .wasm file (fetched next to the glue).
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import * as esbuild from "esbuild";

const here = path.dirname(new URL(import.meta.url).pathname);

export function compressed(bytes) {
  const gz = execFileSync("gzip", ["-9", "-n", "-c"], { input: bytes, maxBuffer: 1 << 28 }).length;
  const br = zlib.brotliCompressSync(bytes, {
    params: {
      [zlib.constants.BROTLI_PARAM_QUALITY]: 11,
      [zlib.constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
    },
  }).length;
  return { raw: bytes.length, gz, br };
}

async function bundle(entry, root) {
  const result = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    write: false,
    logLevel: "silent",
    absWorkingDir: root,
    nodePaths: [path.join(root, "node_modules")],
    metafile: true,
  });
  if (result.outputFiles.length !== 1) throw new Error(`size: ${entry} bundled into ${result.outputFiles.length} files`);
  return Buffer.from(result.outputFiles[0].contents);
}

/** Sizes of the four clients; outDir keeps the bundles for inspection. */
export async function measureSizes({ root, pkgDir, outDir }) {
  mkdirSync(outDir, { recursive: true });
  const sizes = {};
  for (const [name, file] of [
    ["graphql-request", "graphql-request.js"],
    ["urql", "urql.js"],
    ["raw fetch", "raw-fetch.js"],
  ]) {
    const js = await bundle(path.join(here, "size", file), root);
    writeFileSync(path.join(outDir, file), js);
    sizes[name] = { js: compressed(js), total: compressed(js) };
  }

  const glue = path.join(pkgDir, "web", "prefect_wasm.js");
  const wasmFile = path.join(pkgDir, "web", "prefect_wasm_bg.wasm");
  if (!existsSync(glue) || !existsSync(wasmFile)) {
    sizes["prefect-wasm"] = { error: `no web build at ${glue}` };
    return sizes;
  }
  const entry = path.join(outDir, "prefect-wasm-entry.js");
  writeFileSync(
    entry,
    readFileSync(path.join(here, "size", "prefect-wasm.js"), "utf8").replace('"PKG_WEB"', JSON.stringify(glue)),
  );
  const js = await bundle(entry, root);
  writeFileSync(path.join(outDir, "prefect-wasm.js"), js);
  const wasm = readFileSync(wasmFile);
  const jsC = compressed(js);
  const wasmC = compressed(wasm);
  const glueMin = await esbuild.transform(readFileSync(glue, "utf8"), { minify: true, format: "esm", loader: "js" });
  sizes["prefect-wasm"] = {
    js: jsC,
    wasm: wasmC,
    glue_minified: compressed(Buffer.from(glueMin.code)),
    total: { raw: jsC.raw + wasmC.raw, gz: jsC.gz + wasmC.gz, br: jsC.br + wasmC.br },
  };
  return sizes;
}
