// Start-up of the web build in a page: time of `await init()` (fetch + compile + instantiate),
// or, with ?mode=breakdown, the three steps one by one. The result lands in window.__result.
const PKG = "/pkg/web/";
const mode = new URLSearchParams(location.search).get("mode") ?? "init";
try {
  const t0 = performance.now();
  const glue = await import(PKG + "prefect_wasm.js");
  const t1 = performance.now();
  const result = { mode, glue_import_ms: t1 - t0 };
  if (mode === "breakdown") {
    const a = performance.now();
    const response = await fetch(PKG + "prefect_wasm_bg.wasm");
    const bytes = await response.arrayBuffer();
    const b = performance.now();
    const module = await WebAssembly.compile(bytes);
    const c = performance.now();
    await glue.default({ module_or_path: module });
    const d = performance.now();
    Object.assign(result, {
      content_type: response.headers.get("content-type"),
      wasm_bytes: bytes.byteLength,
      fetch_ms: b - a,
      compile_ms: c - b,
      instantiate_ms: d - c,
    });
  } else {
    const exports = await glue.default();
    result.init_ms = performance.now() - t1;
    result.memory_bytes = exports.memory?.buffer.byteLength ?? null;
  }
  window.__result = result;
} catch (err) {
  window.__result = { error: String(err?.stack ?? err) };
}
