import type { Clock } from "../clock/mod.ts";
import { Emitter } from "../events/mod.ts";

/** A change in whether a destination takes what is sent to it. */
export type DeliveryHealthEvent =
  /** An attempt failed after deliveries went through (or since the start). */
  | { type: "failing"; error: unknown; since: number }
  /** Nothing went through for `stalledAfterMs` since the first failed attempt. */
  | { type: "stalled"; error: unknown; since: number }
  /** A delivery went through again after `downMs` of failing. */
  | { type: "delivering"; downMs: number };

/** Where a destination stands now. */
export interface DeliveryHealthStatus {
  state: "delivering" | "failing" | "stalled";
  /** Clock time of the first failed attempt of this outage. */
  since?: number;
  /** The last failed attempt's error (its class and message). */
  lastError?: string;
  /** Clock time of the last delivery that went through. */
  lastDeliveredAt?: number;
}

/**
 * Whether a destination (the Sheets log, an alert channel) takes what is sent, judged attempt by
 * attempt rather than once a whole retry schedule gave up: the first failed attempt is news at
 * once (`failing`), `stalledAfterMs` without a delivery since then is worth an alert
 * (`stalled`), and the first delivery after it ends the outage (`delivering`). Dispose it to
 * clear its timer.
 */
export class DeliveryHealth implements Disposable {
  readonly #stalledAfterMs: number;
  readonly #clock: Clock;
  readonly #events = new Emitter<DeliveryHealthEvent>();
  #status: DeliveryHealthStatus = { state: "delivering" };
  /** The last failed attempt's error, for the `stalled` event. */
  #latestError: unknown;
  #timer?: AbortController;

  constructor(stalledAfterMs: number, deps: { clock: Clock }) {
    this.#stalledAfterMs = stalledAfterMs;
    this.#clock = deps.clock;
  }

  onEvent(listener: (event: DeliveryHealthEvent) => void): Disposable {
    return this.#events.on(listener);
  }

  status(): DeliveryHealthStatus {
    return { ...this.#status };
  }

  /** An attempt to deliver failed on the destination's side. */
  attemptFailed(error: unknown): void {
    const lastError = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    if (this.#status.state !== "delivering") {
      this.#status.lastError = lastError;
      this.#latestError = error;
      return;
    }
    const since = this.#clock.now();
    this.#status = { ...this.#status, state: "failing", since, lastError };
    this.#latestError = error;
    this.#events.emit({ type: "failing", error, since });
    const timer = new AbortController();
    this.#timer = timer;
    this.#clock.sleep(this.#stalledAfterMs, timer.signal).then(() => {
      if (this.#timer !== timer || this.#status.state !== "failing") return;
      this.#status.state = "stalled";
      this.#events.emit({ type: "stalled", error: this.#latestError, since });
    }, () => {});
  }

  /** A delivery went through. */
  delivered(): void {
    const now = this.#clock.now();
    const was = this.#status;
    this.#status = { state: "delivering", lastDeliveredAt: now };
    this.#timer?.abort();
    this.#timer = undefined;
    if (was.state !== "delivering") {
      this.#events.emit({ type: "delivering", downMs: now - (was.since ?? now) });
    }
  }

  [Symbol.dispose](): void {
    this.#timer?.abort();
    this.#timer = undefined;
  }
}
