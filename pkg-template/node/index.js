// Node's entry: wasm-bindgen's Node ES module build, which compiles and instantiates the .wasm
// synchronously when imported (and CommonJS `require` loads it as an ES module). `init()` exists
// so that the one documented import works here too; there is nothing left for it to do.
export * from "./prefect_wasm.js";

export default function init() {
  return Promise.resolve();
}
