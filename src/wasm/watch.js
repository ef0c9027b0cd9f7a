// The async iterator `watch()` returns, around the wasm handle that polls (watch.rs). Calls to
// next() run one after another, so one read is in flight at most. The iterator's own
// AbortController carries the caller's signal into every step and stops the step in flight when
// the consumer leaves (return(), which a `break` out of `for await` calls); the end of the
// states, an error or return() free the handle and remove every listener, so nothing polls on.
export function iterate(handle, signal) {
  const controller = new AbortController();
  const onAbort = () => controller.abort(signal.reason);
  if (signal !== undefined) {
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
  }
  let open = true;
  let queue = Promise.resolve();
  const close = () => {
    if (!open) return;
    open = false;
    if (signal !== undefined) signal.removeEventListener("abort", onAbort);
    if (!controller.signal.aborted) controller.abort();
    handle.free();
  };
  const end = { value: undefined, done: true };
  const step = async () => {
    if (!open) return end;
    try {
      const value = await handle.next(controller.signal);
      if (!open || handle.done) {
        close();
        return end;
      }
      return { value, done: false };
    } catch (error) {
      const left = !open;
      close();
      if (left) return end;
      throw error;
    }
  };
  const iterator = {
    next() {
      const result = queue.then(step);
      queue = result.catch(() => {});
      return result;
    },
    return(value) {
      close();
      return Promise.resolve({ value, done: true });
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
