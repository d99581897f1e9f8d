import { createHash } from "node:crypto";
import type { Clock } from "../clock/mod.ts";
import type { AlertClaim, FiringAlerts, SharedState } from "../ledger/mod.ts";
import { Emitter } from "../events/mod.ts";
import type { Alert, AlertManager, Notification, Severity } from "./alert.ts";
import { severities } from "./alert.ts";
import type { ChannelDelivery, DeliveryResult } from "./channel_delivery.ts";
import type { DeliveryStatus } from "../delivery/mod.ts";

/** Alert manager parameters; defaults live in `config/defaults.ts`. */
export interface RoutingOptions {
  /** Alerts arriving within this window go out as one message per channel. @default 10000 */
  groupWaitMs: number;
  /** A firing alert is not sent again before this much time. @default 14400000 (4 h) */
  repeatIntervalMs: number;
  /** Channel names per severity. */
  routes: Readonly<Record<Severity, readonly string[]>>;
}

/** What the manager decided about an alert, for the narrative, logs and metrics. */
export type AlertDecision =
  | { type: "queued"; alert: Alert; channels: string[] }
  | {
    type: "suppressed";
    alert: Alert;
    reason: "duplicate" | "inhibited" | "not-firing" | "no-route";
  }
  | { type: "delivery"; result: DeliveryResult };

/** Alerting's state, as `/status` shows it. */
export interface AlertingStatus {
  firing: { key: string; severity: Severity; summary: string }[];
  channels: ({ name: string } & DeliveryStatus)[];
}

/**
 * Routes alerts to channels by severity, like Prometheus' Alertmanager: alerts that arrive
 * within `groupWaitMs` go out as one message per channel; the same key is not sent again
 * within `repeatIntervalMs` while it fires; a resolve goes out once, for an alert that fired;
 * an `error` alert about a service whose breaker-open alert fires is inhibited (the outage
 * is already known). Delivery happens in the background; nothing here throws to the caller.
 */
export class RoutingAlertManager implements AlertManager, Disposable {
  readonly #options: RoutingOptions;
  readonly #deliveries: Map<string, ChannelDelivery>;
  readonly #clock: Clock;
  readonly #firing = new Map<string, { alert: Alert; lastSentAt: number }>();
  readonly #groups = new Map<string, Alert[]>();
  readonly #decisions = new Emitter<AlertDecision>();
  readonly #inFlight = new Set<Promise<unknown>>();
  #groupTimer?: AbortController;
  #sequence = 0;
  /** Where firing alerts are kept across restarts, so an outage that ends after a restart
   * still gets its "resolved". */
  readonly #kept?: FiringAlerts;
  /** Where processes share the ledger: one of them sends each alert. */
  readonly #shared?: Pick<SharedState, "claimAlerts">;
  #saving: Promise<void> = Promise.resolve();

  constructor(
    options: RoutingOptions,
    deliveries: readonly ChannelDelivery[],
    deps: {
      clock: Clock;
      firing?: FiringAlerts;
      shared?: Pick<SharedState, "claimAlerts">;
    },
  ) {
    this.#kept = deps.firing;
    this.#shared = deps.shared;
    this.#options = options;
    this.#deliveries = new Map(deliveries.map((d) => [d.channel.name, d]));
    for (const severity of severities) {
      for (const name of options.routes[severity] ?? []) {
        if (!this.#deliveries.has(name)) {
          throw new RangeError(
            `alerts.routes.${severity}: no channel named "${name}"; configured: ${
              [...this.#deliveries.keys()].join(", ")
            }`,
          );
        }
      }
    }
    this.#clock = deps.clock;
  }

  onDecision(listener: (decision: AlertDecision) => void): Disposable {
    return this.#decisions.on(listener);
  }

  /**
   * Takes back the alerts an earlier run left firing: they are resolved (and the resolve
   * sent) once their condition clears, and not sent again while they fire.
   */
  async restore(): Promise<void> {
    // Where processes share the ledger, they share what fires.
    for (const payload of await this.#kept?.list() ?? []) {
      const alert = JSON.parse(payload) as Alert;
      if (!this.#firing.has(alert.key)) {
        this.#firing.set(alert.key, { alert, lastSentAt: alert.at });
      }
    }
  }

  /** Alerts firing now. */
  firing(): Alert[] {
    return [...this.#firing.values()].map((entry) => entry.alert);
  }

  /** What fires now, and how each channel delivers, as a status page shows it. */
  async status(): Promise<AlertingStatus> {
    return {
      firing: this.firing().map(({ key, severity, summary }) => ({ key, severity, summary })),
      channels: await Promise.all(this.channels().map((delivery) => delivery.status())),
    };
  }

  /** Every channel's delivery (status pages read their breakers and outboxes). */
  channels(): ChannelDelivery[] {
    return [...this.#deliveries.values()];
  }

  raise(input: Omit<Alert, "status" | "at">): void {
    const now = this.#clock.now();
    const alert: Alert = { ...input, status: "firing", at: now };
    const previous = this.#firing.get(alert.key);
    if (previous && now - previous.lastSentAt < this.#options.repeatIntervalMs) {
      previous.alert = { ...alert, at: previous.alert.at };
      return this.#decisions.emit({ type: "suppressed", alert, reason: "duplicate" });
    }
    if (alert.severity !== "critical" && alert.labels.service) {
      const outage = this.#firing.get(`breaker-open:${alert.labels.service}`);
      if (outage) return this.#decisions.emit({ type: "suppressed", alert, reason: "inhibited" });
    }
    this.#firing.set(alert.key, { alert, lastSentAt: now });
    this.#keep((kept) => kept.fire(alert.key, JSON.stringify(alert)));
    this.#enqueue(alert);
  }

  resolve(key: string, summary?: string): void {
    const entry = this.#firing.get(key);
    if (!entry) return;
    this.#firing.delete(key);
    this.#keep((kept) => kept.resolve(key));
    this.#enqueue({
      ...entry.alert,
      summary: summary ?? `resolved: ${entry.alert.summary}`,
      // What was wrong (a 403's text) is no longer true: a resolve says only that it ended.
      details: undefined,
      status: "resolved",
      at: this.#clock.now(),
    });
  }

  /** Clears the channels' deadline timers (after {@link flush}). */
  [Symbol.dispose](): void {
    for (const delivery of this.#deliveries.values()) delivery[Symbol.dispose]();
  }

  /** Stops every channel's sending now (a run's exit waited long enough): what is not sent
   * waits in the ledger's outbox for the next run. */
  cutShort(): void {
    for (const delivery of this.#deliveries.values()) delivery.cutShort();
  }

  /** Sends every pending group now, and waits for all deliveries in flight. */
  async flush(): Promise<void> {
    this.#groupTimer?.abort();
    this.#groupTimer = undefined;
    this.#sendGroups();
    while (this.#inFlight.size > 0) await Promise.all(this.#inFlight);
    await this.#saving;
  }

  /** Writes one alert's change to the ledger, one write after another (a raise and its
   * resolve land in that order). A ledger that refuses it costs the restart its resolve, not
   * the alert. */
  #keep(write: (kept: FiringAlerts) => Promise<void>): void {
    const kept = this.#kept;
    if (!kept) return;
    this.#saving = this.#saving.then(() => write(kept)).catch(() => {});
  }

  /** Replays every channel's outbox (called on a timer by the agent). */
  async replay(): Promise<void> {
    await Promise.all(this.channels().map((delivery) => delivery.replay()));
  }

  #enqueue(alert: Alert): void {
    const channels = [...(this.#options.routes[alert.severity] ?? [])];
    if (channels.length === 0) {
      return this.#decisions.emit({ type: "suppressed", alert, reason: "no-route" });
    }
    for (const channel of channels) {
      const group = this.#groups.get(channel) ?? [];
      group.push(alert);
      this.#groups.set(channel, group);
    }
    this.#decisions.emit({ type: "queued", alert, channels });
    if (!this.#groupTimer) {
      const timer = new AbortController();
      this.#groupTimer = timer;
      this.#clock.sleep(this.#options.groupWaitMs, timer.signal).then(() => {
        if (this.#groupTimer === timer) this.#groupTimer = undefined;
        this.#sendGroups();
      }, () => {});
    }
  }

  #sendGroups(): void {
    const groups = [...this.#groups];
    this.#groups.clear();
    if (groups.length === 0) return;
    const sending = this.#ours(groups).then((ours) =>
      Promise.all(
        ours.map(([channel, alerts]) =>
          this.#deliveries.get(channel)!.deliver(this.#notification(alerts)).then((result) =>
            this.#decisions.emit({ type: "delivery", result })
          )
        ),
      )
    );
    this.#inFlight.add(sending);
    sending.finally(() => this.#inFlight.delete(sending));
  }

  /**
   * The groups with only the alerts this process is to send: where processes share the
   * ledger, another may have sent an alert for the same outage already (one message per
   * outage, not one per process). A ledger that cannot say sends them all: twice is better
   * than never for an alert.
   */
  async #ours(groups: [string, Alert[]][]): Promise<[string, Alert[]][]> {
    if (!this.#shared) return groups;
    const offered = new Map<string, AlertClaim>();
    for (const [, alerts] of groups) {
      for (const alert of alerts) {
        offered.set(`${alert.key}\n${alert.status}`, {
          key: alert.key,
          status: alert.status,
        });
      }
    }
    let won: Set<string>;
    try {
      const claimed = await this.#shared.claimAlerts(
        [...offered.values()],
        this.#clock.now(),
        this.#options.repeatIntervalMs,
      );
      won = new Set(claimed.map(({ key, status }) => `${key}\n${status}`));
    } catch {
      won = new Set(offered.keys());
    }
    const reported = new Set<string>();
    const ours: [string, Alert[]][] = [];
    for (const [channel, alerts] of groups) {
      const kept = alerts.filter((alert) => won.has(`${alert.key}\n${alert.status}`));
      for (const alert of alerts) {
        const id = `${alert.key}\n${alert.status}`;
        if (won.has(id) || reported.has(id)) continue;
        reported.add(id);
        this.#decisions.emit({ type: "suppressed", alert, reason: "duplicate" });
      }
      if (kept.length > 0) ours.push([channel, kept]);
    }
    return ours;
  }

  #notification(alerts: Alert[]): Notification {
    const at = this.#clock.now();
    const severity =
      severities.find((s) => alerts.some((a) => a.severity === s && a.status === "firing")) ??
        severities.find((s) => alerts.some((a) => a.severity === s))!;
    const digest = createHash("sha256")
      .update(`${at}:${this.#sequence++}:${alerts.map((a) => `${a.key}:${a.status}`).join(",")}`)
      .digest("hex");
    return { id: `ntf_${digest.slice(0, 24)}`, severity, alerts, at };
  }
}
