import { getLogger } from "@logtape/logtape";
import type { Alert, AlertChannel } from "./alert.ts";

/** Keeps every alert in an array: for tests and the simulation's narrative. */
export class MemoryAlertChannel implements AlertChannel {
  readonly sent: Alert[] = [];
  constructor(readonly name = "memory") {}
  send(alerts: readonly Alert[]): Promise<void> {
    this.sent.push(...alerts);
    return Promise.resolve();
  }
}

const levels = { critical: "fatal", error: "error", warning: "warning", info: "info" } as const;

/** Writes every alert as a structured log record under `ai-call-agent.alerts.log`. */
export class LogAlertChannel implements AlertChannel {
  readonly name = "log";
  readonly #logger = getLogger(["ai-call-agent", "alerts", "log"]);

  send(alerts: readonly Alert[]): Promise<void> {
    for (const alert of alerts) {
      const level = alert.status === "resolved" ? "info" : levels[alert.severity];
      this.#logger[level]("ALERT {status} [{severity}] {summary}", { ...alert, ...alert.labels });
    }
    return Promise.resolve();
  }
}
