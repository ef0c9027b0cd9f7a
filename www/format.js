// Times and durations, as a person reads them.

export function parseTime(value) {
  if (!value) return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

const pad = (n) => String(n).padStart(2, "0");

/** Code-unit order, for sorting names: localeCompare() makes an ICU collator on first use (slow). */
export function compareText(a, b) {
  const [x, y] = [String(a), String(b)];
  return x < y ? -1 : x > y ? 1 : 0;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const hms = (d) => `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;

/** "14:03:07" today, "Nov 30 14:03" otherwise; "—" when there is no time. */
export function formatTime(value, now = new Date()) {
  const d = parseTime(value);
  if (!d) return "—";
  if (d.toDateString() === now.toDateString()) return hms(d);
  const year = d.getFullYear() === now.getFullYear() ? "" : ` ${d.getFullYear()}`;
  return `${MONTHS[d.getMonth()]} ${d.getDate()}${year} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** "Dec 4 2025 14:03:07" (local time). Built by hand: Intl's formatters cost tens of ms to make
 * the first time, and the runs table formats three times per row per poll. */
export function formatFullTime(value) {
  const d = parseTime(value);
  return d ? `${MONTHS[d.getMonth()]} ${d.getDate()} ${d.getFullYear()} ${hms(d)}` : "";
}

/** "850 ms", "4.2 s", "3m 05s", "2h 14m". */
export function formatDuration(ms) {
  if (ms == null || !Number.isFinite(ms) || ms < 0) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${pad(Math.floor(s % 60))}s`;
  return `${Math.floor(m / 60)}h ${pad(m % 60)}m`;
}

/** The run's duration: end − start, or now − start while it is still going. */
export function runDuration(run, now = Date.now()) {
  const start = parseTime(run.start_time);
  if (!start) return null;
  const end = parseTime(run.end_time);
  return (end ? end.getTime() : now) - start.getTime();
}

/** "in 2 min", "5 s ago". */
export function relative(value, now = Date.now()) {
  const d = parseTime(value);
  if (!d) return "";
  const diff = d.getTime() - now;
  const abs = Math.abs(diff);
  const unit = abs < 60_000 ? [Math.round(abs / 1000), "s"]
    : abs < 3_600_000 ? [Math.round(abs / 60_000), "min"]
    : abs < 86_400_000 ? [Math.round(abs / 3_600_000), "h"]
    : [Math.round(abs / 86_400_000), "d"];
  return diff > 0 ? `in ${unit[0]} ${unit[1]}` : `${unit[0]} ${unit[1]} ago`;
}
