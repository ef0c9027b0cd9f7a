// Prefect's state types as the server describes them in `reference_data { state_info }`: colour,
// parent and the is_* flags per type. The page keeps no hierarchy or palette of its own; until the
// server has answered (or on a server that does not say), every state is drawn in one neutral grey.

const NEUTRAL = "#90A4AE";
const HEX = /^#[0-9a-f]{6}$/i;

export class StateInfo {
  #types = new Map();

  /** Takes the server's state_info ({ Type: { color, parent, is_* } } or a list of such); true when it changed anything. */
  update(info) {
    if (!info || typeof info !== "object") return false;
    const entries = Array.isArray(info)
      ? info.map((item) => [item?.type ?? item?.name ?? item?.state, item])
      : Object.entries(info);
    const next = new Map();
    for (const [type, value] of entries) {
      if (typeof type !== "string" || !value || typeof value !== "object") continue;
      next.set(type, { ...value, color: HEX.test(value.color ?? "") ? value.color.toUpperCase() : NEUTRAL });
    }
    if (next.size === 0) return false;
    const changed = JSON.stringify([...next]) !== JSON.stringify([...this.#types]);
    this.#types = next;
    return changed;
  }

  /** Forgets the types (another server is coming). */
  clear() {
    this.#types = new Map();
  }

  get loaded() {
    return this.#types.size > 0;
  }

  /** Every state type, in the server's order. */
  get types() {
    return [...this.#types.keys()];
  }

  color(type) {
    return this.#types.get(type)?.color ?? NEUTRAL;
  }

  isFinished(type) {
    return this.#types.get(type)?.is_finished === true;
  }

  isRunning(type) {
    return this.#types.get(type)?.is_running === true;
  }
}
