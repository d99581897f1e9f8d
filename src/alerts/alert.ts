/** How urgent an alert is. */
export type Severity = "critical" | "error" | "warning" | "info";

/** Severities from most to least urgent. */
export const severities: readonly Severity[] = ["critical", "error", "warning", "info"];

/** Labels that say what an alert is about. */
export interface AlertLabels {
  service?: string;
  campaign?: string;
  contactId?: string;
  /** A fallback chain's role (`llm`, `tts`), for alerts about the chain as a whole. */
  role?: string;
  /** The provider of a chain that stands in for its primary. */
  provider?: string;
}

/** Something a person should know. `key` identifies it across raise, repeat and resolve. */
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

/** One message to one channel: the alerts grouped within `groupWaitMs`. */
export interface Notification {
  /** Stable across retries and replays: channels use it as their idempotency key. */
  id: string;
  /** The most urgent severity among its alerts. */
  severity: Severity;
  alerts: Alert[];
  /** Clock time it was made. */
  at: number;
}

/** A place notifications are delivered to (log, Telegram, email, webhook...). */
export interface AlertChannel {
  readonly name: string;
  /** Delivers one notification; rejects (with a taxonomy error) when it could not. `signal`
   * aborts at the attempt's deadline. */
  send(notification: Notification, signal?: AbortSignal): Promise<void>;
}

/** Takes alerts from the agent; never throws into the call path. */
export interface AlertManager {
  /** Raises an alert; it fires until resolved. */
  raise(alert: Omit<Alert, "status" | "at">): void;
  /** Resolves the firing alert with `key`; nothing happens if none fires. */
  resolve(key: string, summary?: string): void;
  /** Sends every pending group now and waits for deliveries in flight. */
  flush(): Promise<void>;
}
