// Prefect 1.x state types: hierarchy and colours (the same palette as the client core and the
// server's `reference_data { state_info }`, which overrides these when it answers).

const PARENT = {
  Pending: null, Running: null, Finished: null, Submitted: null, Queued: null, ClientFailed: null,
  Scheduled: "Pending",
  Paused: "Scheduled", Resume: "Scheduled", Retrying: "Scheduled",
  Cancelling: "Running",
  Looped: "Finished", Cancelled: "Finished", Success: "Finished", Failed: "Finished",
  Cached: "Success", Mapped: "Success", Skipped: "Success",
  TimedOut: "Failed", TriggerFailed: "Failed", ValidationFailed: "Failed",
};

const COLORS = {
  Pending: "#B0BEC5", Scheduled: "#FFAB00", Paused: "#CFD8DC", Resume: "#FFAB00",
  Retrying: "#FFEB3B", Running: "#27B1FF", Cancelling: "#CFD8DC", Finished: "#BA68C8",
  Looped: "#9CCC65", Cancelled: "#BDBDBD", Success: "#2E7D32", Cached: "#FFA726",
  Mapped: "#4DD0E1", Skipped: "#B2EBF2", Failed: "#E53935", TimedOut: "#CDC9A5",
  TriggerFailed: "#C67171", ValidationFailed: "#D32F2F", Submitted: "#FFE082",
  Queued: "#FFD54F", ClientFailed: "#FF7043",
};

/** Every state type, in the order a person would pick from. */
export const STATE_TYPES = [
  "Scheduled", "Submitted", "Queued", "Running", "Retrying", "Paused", "Resume", "Pending",
  "Cancelling", "Success", "Failed", "Cancelled", "Cached", "Mapped", "Skipped", "Looped",
  "TimedOut", "TriggerFailed", "ValidationFailed", "ClientFailed", "Finished",
];

export function isA(type, ancestor) {
  for (let t = type; t; t = PARENT[t]) if (t === ancestor) return true;
  return false;
}
export const isFinished = (type) => isA(type, "Finished");
export const isRunning = (type) => isA(type, "Running");
export const isKnownState = (type) => Object.hasOwn(PARENT, type);

/** Merges the server's state_info ({ TypeName: { color, ... } } or a list) into the palette. */
export function applyStateInfo(info) {
  if (!info || typeof info !== "object") return;
  const entries = Array.isArray(info)
    ? info.map((i) => [i?.type ?? i?.name ?? i?.state, i])
    : Object.entries(info);
  for (const [type, value] of entries) {
    const color = typeof value === "string" ? value : value?.color;
    if (type && typeof color === "string" && /^#[0-9a-f]{6}$/i.test(color)) COLORS[type] = color.toUpperCase();
  }
}

export function stateColor(type) {
  return COLORS[type] ?? "#90A4AE";
}

/** Dark or light text, whichever reads better on the state's colour (WCAG relative luminance). */
export function textOn(hex) {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  const l = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  return (l + 0.05) / 0.05 > 1.05 / (l + 0.05) ? "#1A1F2B" : "#FFFFFF";
}
