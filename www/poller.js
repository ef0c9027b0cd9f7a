// Polling: one poll in flight at a time, the next one `intervalMs` after the last ended (slower
// while the tab is hidden), `now()` for a poll as soon as possible. The "Live" indicator counts
// the polls that succeeded (data-polls) and shows whether the last one did (data-ok).

export function createPoller(indicator, { poll, onResult, onError, intervalMs, hiddenIntervalMs, isHidden }) {
  let ctx = null; // what start() was given (the client); null when stopped
  let generation = 0; // bumps on start/stop: a poll of an older generation reports nothing
  let timer = null;
  let inflight = null; // the generation of the poll in flight
  let again = false;
  let ticks = 0;

  function schedule(ms) {
    clearTimeout(timer);
    timer = setTimeout(tick, ms);
  }

  async function tick() {
    clearTimeout(timer);
    timer = null;
    if (!ctx) return;
    if (inflight === generation) {
      again = true; // poll once more as soon as the current one is done
      return;
    }
    const gen = generation;
    const first = ticks === 0;
    inflight = gen;
    again = false;
    let ok = false;
    try {
      const result = await poll(ctx, ticks);
      if (gen !== generation) return;
      ticks++;
      ok = true;
      indicator.dataset.ok = "true";
      indicator.dataset.polls = String(Number(indicator.dataset.polls ?? 0) + 1);
      onResult(result, { first });
    } catch (err) {
      if (gen !== generation) return;
      indicator.dataset.ok = "false";
      onError(err, { first });
    } finally {
      if (inflight === gen) inflight = null;
    }
    // onResult/onError may have stopped or restarted the poller; a failed first poll ends it
    if (gen !== generation || !ctx || (!ok && first)) return;
    schedule(again ? 0 : isHidden() ? hiddenIntervalMs : intervalMs);
  }

  return {
    /** Polls `context` from now on (the first poll at once). */
    start(context) {
      generation++;
      ctx = context;
      ticks = 0;
      tick();
    },
    stop() {
      generation++;
      ctx = null;
      clearTimeout(timer);
      timer = null;
    },
    /** A poll now (after an action, or when the tab shows again) rather than at the next interval. */
    now() {
      if (ctx) tick();
    },
    get running() {
      return ctx !== null;
    },
  };
}
