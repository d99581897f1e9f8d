/** How urgent an alert is. */
export type Severity = "critical" | "error" | "warning" | "info";

/** Labels that say what an alert is about. */
export interface AlertLabels {
  service?: string;
  campaign?: string;
  contactId?: string;
}

/** Something a person should know. `key` identifies it across raise and resolve. */
export interface Alert {
  key: string;
  severity: Severity;
  summary: string;
  details?: string;
  labels: AlertLabels;
  status: "firing" | "resolved";
  /** Clock time it was raised or resolved. */
  at: number;
}

/** A place alerts are delivered to (log, Telegram, email, webhook...). */
export interface AlertChannel {
  readonly name: string;
  /** Delivers a group of alerts as one message; rejects when delivery failed. */
  send(alerts: readonly Alert[]): Promise<void>;
}

/** Takes alerts from the agent; never throws into the call path. */
export interface AlertManager {
  /** Raises an alert; it fires until resolved. */
  raise(alert: Omit<Alert, "status" | "at">): void;
  /** Resolves the firing alert with `key`; nothing happens if none fires. */
  resolve(key: string, summary?: string): void;
  /** Waits until every alert handed over so far was delivered or given up on. */
  flush(): Promise<void>;
}
