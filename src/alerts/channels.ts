import { getLogger } from "@logtape/logtape";
import { literalMessage } from "../logging/mod.ts";
import type { AlertChannel, Notification } from "./alert.ts";

/** Keeps every notification in an array: for tests and the simulation's narrative. */
export class MemoryAlertChannel implements AlertChannel {
  readonly notifications: Notification[] = [];
  constructor(readonly name = "memory") {}

  /** Every alert of every notification, in order. */
  get sent(): Notification["alerts"] {
    return this.notifications.flatMap((n) => n.alerts);
  }

  send(notification: Notification): Promise<void> {
    this.notifications.push(notification);
    return Promise.resolve();
  }
}

const levels = { critical: "fatal", error: "error", warning: "warning", info: "info" } as const;

/** Writes every alert as a structured log record under `ai-call-agent.alerts.log`. */
export class LogAlertChannel implements AlertChannel {
  readonly name: string;
  readonly #logger = getLogger(["ai-call-agent", "alerts", "log"]);

  constructor(name = "log") {
    this.name = name;
  }

  send(notification: Notification): Promise<void> {
    for (const alert of notification.alerts) {
      const level = alert.status === "resolved" ? "info" : levels[alert.severity];
      // A sentence that reads as such in the log; the fields are properties for searching.
      const line = `ALERT ${alert.status} [${alert.severity}] ${alert.summary}${
        alert.details ? ` (${alert.details})` : ""
      }`;
      this.#logger[level](literalMessage(line), {
        ...alert,
        ...alert.labels,
        notificationId: notification.id,
      });
    }
    return Promise.resolve();
  }
}
