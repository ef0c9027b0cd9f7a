// `prefect-wasm/bundler`: wasm-bindgen's bundler build, for setups with wasm ESM integration
// (webpack's `asyncWebAssembly`, `vite-plugin-wasm`), where the .wasm is instantiated as an
// imported module. `init()` exists so that code written for the other builds runs unchanged.
export * from "./prefect_wasm.js";

export default function init() {
  return Promise.resolve();
}
