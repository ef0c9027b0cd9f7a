// One fetch attempt in one crossing from wasm (driver.rs runs the core's machines, which decide
// retries and read the outcome). Per attempt: an own AbortController, aborted with TIMEOUT by a timer or with ABORTED
// by a listener on the caller's signal; the caller's signal is never handed to fetch, so the
// outcome never depends on what fetch rejects with or how a runtime words it. Redirects are
// refused (a 307/308 would re-send a password or a refresh token to whatever origin it names).
const TIMEOUT = "prefect-wasm: timeout";
const ABORTED = "prefect-wasm: aborted";
const BASE_HEADERS = { "Content-Type": "application/json", Accept: "application/json" };
// A request without a body (REST reads) says nothing of its content type: a cross-origin GET with
// only `Accept` needs no CORS preflight, and a browser caches preflights per URL (each run's URL
// would cost one).
const READ_HEADERS = { Accept: "application/json" };

// `extra`: undefined, or [name, value, name, value, ...] set after the base headers. Throws
// (synchronously) for a header fetch would refuse; everything later rejects the promise.
function headersFor(extra, body) {
  const base = body === undefined ? READ_HEADERS : BASE_HEADERS;
  if (extra === undefined) return base;
  const headers = new Headers(base);
  for (let i = 0; i < extra.length; i += 2) headers.set(extra[i], extra[i + 1]);
  return headers;
}

export function checkHeaders(extra) {
  headersFor(extra);
}

// Resolves to { status, retryAfter, text } (text a JS string, never copied into wasm), or to
// undefined when fetch resolved to something that is not a Response. Rejects with
// { kind, error }: kind 1 = own timeout, 2 = the caller's signal, 0 = anything else.
// `body` (JSON text) is undefined for a request without one.
export function attempt(method, url, body, extra, timeoutMs, signal) {
  return send(method, url, body, headersFor(extra, body), timeoutMs, signal);
}

async function send(method, url, body, headers, timeoutMs, signal) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(TIMEOUT), timeoutMs);
  const onAbort = signal === undefined ? undefined : () => controller.abort(ABORTED);
  if (onAbort !== undefined) signal.addEventListener("abort", onAbort);
  // The abort settles the attempt itself, fetch's own rejection is not waited for: Node's undici
  // links our signal to its request's signal weakly, and once GC has collected that link an
  // abort while the body streams in never reaches `text()` (a stalled body then hung the call).
  const aborted = new Promise((_, reject) => {
    controller.signal.addEventListener("abort", () => reject(controller.signal.reason), { once: true });
  });
  try {
    const response = await Promise.race([fetch(url, { method, headers, body, redirect: "error", signal: controller.signal }), aborted]);
    if (!(response instanceof Response)) return undefined;
    const text = await Promise.race([response.text(), aborted]);
    return { status: response.status, retryAfter: response.headers.get("retry-after"), text };
  } catch (error) {
    const reason = controller.signal.reason;
    throw { kind: reason === TIMEOUT ? 1 : reason === ABORTED ? 2 : 0, error };
  } finally {
    clearTimeout(timer);
    if (onAbort !== undefined) signal.removeEventListener("abort", onAbort);
  }
}
