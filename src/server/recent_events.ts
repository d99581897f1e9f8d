import type { AgentEvent } from "../agent/mod.ts";
import type { Emitter } from "../events/mod.ts";

/** A run of like events as `/events` shows it: the latest, how many there were, since when,
 * and (for an alert) how many repeats were suppressed as duplicates. */
export type RecentEvent = AgentEvent & { count: number; firstT: number; duplicates?: number };

interface Group {
  key?: string;
  latest: AgentEvent;
  count: number;
  firstT: number;
  duplicates: number;
}

/** What makes events alike: the same kind of thing happening again (392 contacts deferred on
 * the same open breaker). Events with no key (a breaker's change, a run's start) stand alone. */
function keyOf(event: AgentEvent): string | undefined {
  switch (event.type) {
    case "contact-done":
      return `contact-done|${event.status}|${event.service ?? ""}|${event.reason ?? ""}`;
    case "retry":
      return `retry|${event.service ?? ""}|${event.errorClass ?? ""}`;
    case "give-up":
      return `give-up|${event.service ?? ""}|${event.reason}`;
    case "fallback":
      return `fallback|${event.step}|${event.from}|${event.to}`;
    case "released":
      return `released|${event.service}`;
    case "alert":
      return `alert|${event.key}|${event.status}|${event.decision}|${event.channel ?? ""}`;
    default:
      return undefined;
  }
}

/**
 * The dashboard's "recent events": the last `size` runs of like events, newest last. A repeat
 * moves its run to the end with its count; an alert suppressed as a duplicate is counted on the
 * alert it repeats and is never shown as a new one.
 */
export class RecentEvents implements Disposable {
  readonly #groups: Group[] = [];
  readonly #subscription: Disposable;

  constructor(events: Pick<Emitter<AgentEvent>, "on">, readonly size = 50) {
    this.#subscription = events.on((event) => this.#add(event));
  }

  list(): RecentEvent[] {
    return this.#groups.map((group) => ({
      ...group.latest,
      count: group.count,
      firstT: group.firstT,
      ...(group.duplicates > 0 ? { duplicates: group.duplicates } : {}),
    }));
  }

  [Symbol.dispose](): void {
    this.#subscription[Symbol.dispose]();
  }

  #add(event: AgentEvent): void {
    if (
      event.type === "attempt" || event.type === "step-done" || event.type === "contact-start" ||
      event.type === "service-call"
    ) return;
    if (event.type === "health" && !event.changed) return;
    if (event.type === "alert" && event.decision === "suppressed:duplicate") {
      // Counted on the alert it repeats, where that is still shown; never a new entry.
      const original = this.#groups.findLast((group) =>
        group.latest.type === "alert" && group.latest.key === event.key &&
        group.latest.status === event.status
      );
      if (original) original.duplicates++;
      return;
    }
    const key = keyOf(event);
    const index = key === undefined ? -1 : this.#groups.findIndex((group) => group.key === key);
    if (index >= 0) {
      const [group] = this.#groups.splice(index, 1);
      group.latest = event;
      group.count++;
      this.#groups.push(group);
      return;
    }
    this.#groups.push({ key, latest: event, count: 1, firstT: event.t, duplicates: 0 });
    if (this.#groups.length > this.size) this.#groups.shift();
  }
}
