export * from "./prefect_wasm.js";

/** Resolves at once: the Node build is ready as soon as it is imported. Arguments are ignored. */
export default function init(options?: unknown): Promise<void>;
