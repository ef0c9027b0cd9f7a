export * from "./prefect_wasm.js";

/** Resolves at once: the bundler instantiates the .wasm when it loads the module. Arguments are ignored. */
export default function init(options?: unknown): Promise<void>;
