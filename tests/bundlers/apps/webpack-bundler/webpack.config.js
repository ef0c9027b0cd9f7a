// prefect-wasm/bundler needs wasm ESM integration, which webpack 5 has behind this flag.
export default {
  experiments: { asyncWebAssembly: true },
};
