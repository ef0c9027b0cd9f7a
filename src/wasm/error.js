// PrefectError: the one error type every prefect-wasm call rejects with.
// A real Error subclass (instanceof Error, instanceof PrefectError, has a stack), built by the
// wasm side through this module so the class is the same one the package exports.
export class PrefectError extends Error {
  constructor(message, code, status, errors, data, cause, details) {
    super(message, cause === undefined || cause === null ? undefined : { cause });
    this.code = code;
    if (typeof status === "number") this.status = status;
    if (errors !== undefined && errors !== null) this.errors = errors;
    if (data !== undefined && data !== null) this.data = data;
    if (details !== undefined && details !== null) this.details = details;
  }
}
Object.defineProperty(PrefectError.prototype, "name", {
  value: "PrefectError",
  writable: true,
  configurable: true,
  enumerable: false,
});
