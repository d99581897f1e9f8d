import { getLogger } from "@logtape/logtape";
import type { Clock } from "../clock/mod.ts";
import { errorClass } from "../errors.ts";
import { Emitter } from "../events/mod.ts";
import type { Alert, AlertChannel, AlertManager } from "./alert.ts";

const logger = getLogger(["ai-call-agent", "alerts"]);

/** Announced for every alert handed to a channel, and whether it got there. */
export interface AlertDelivery {
  channel: string;
  alert: Alert;
  delivered: boolean;
  error?: string;
}

/**
 * Sends each alert to every channel at once. It remembers which keys fire, so a "resolved"
 * goes out only for an alert that was raised. A failing channel is logged, never thrown.
 */
export class BasicAlertManager implements AlertManager {
  readonly #channels: readonly AlertChannel[];
  readonly #clock: Clock;
  readonly #firing = new Map<string, Alert>();
  readonly #deliveries = new Emitter<AlertDelivery>();
  readonly #pending = new Set<Promise<void>>();

  constructor(channels: readonly AlertChannel[], deps: { clock: Clock }) {
    this.#channels = channels;
    this.#clock = deps.clock;
  }

  /** Subscribes to every delivery attempt. */
  onDelivery(listener: (delivery: AlertDelivery) => void): Disposable {
    return this.#deliveries.on(listener);
  }

  /** Alerts firing now. */
  firing(): Alert[] {
    return [...this.#firing.values()];
  }

  raise(input: Omit<Alert, "status" | "at">): void {
    const alert: Alert = { ...input, status: "firing", at: this.#clock.now() };
    this.#firing.set(alert.key, alert);
    this.#dispatch(alert);
  }

  resolve(key: string, summary?: string): void {
    const raised = this.#firing.get(key);
    if (!raised) return;
    this.#firing.delete(key);
    this.#dispatch({
      ...raised,
      summary: summary ?? `resolved: ${raised.summary}`,
      status: "resolved",
      at: this.#clock.now(),
    });
  }

  async flush(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all(this.#pending);
  }

  #dispatch(alert: Alert): void {
    for (const channel of this.#channels) {
      const delivery = channel.send([alert]).then(
        () => this.#deliveries.emit({ channel: channel.name, alert, delivered: true }),
        (error) => {
          logger.error("Alert {key} could not be delivered to {channel}: {errorClass}", {
            key: alert.key,
            channel: channel.name,
            errorClass: errorClass(error),
          });
          this.#deliveries.emit({
            channel: channel.name,
            alert,
            delivered: false,
            error: errorClass(error),
          });
        },
      );
      this.#pending.add(delivery);
      delivery.finally(() => this.#pending.delete(delivery));
    }
  }
}
