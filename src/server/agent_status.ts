import type { Agent, AgentEvent } from "../agent/mod.ts";
import type { ProcessIdentity } from "./agent_metrics.ts";
import type { Clock } from "../clock/mod.ts";
import type { DeliveryHealthStatus } from "../delivery/mod.ts";
import { SheetsLogSink } from "../sheets/mod.ts";

/** The last `size` agent events, newest last: the dashboard's "recent events". */
export class RecentEvents implements Disposable {
  readonly #events: AgentEvent[] = [];
  readonly #subscription: Disposable;

  constructor(agent: Agent, readonly size = 50) {
    this.#subscription = agent.events.on((event) => {
      if (
        event.type === "attempt" || event.type === "step-done" || event.type === "contact-start"
      ) return;
      if (event.type === "health" && !event.changed) return;
      this.#events.push(event);
      if (this.#events.length > size) this.#events.shift();
    });
  }

  list(): AgentEvent[] {
    return [...this.#events];
  }

  [Symbol.dispose](): void {
    this.#subscription[Symbol.dispose]();
  }
}

/** Whether processing can proceed, and why not. */
export function readiness(agent: Agent): { ready: boolean; reasons: string[] } {
  const reasons = agent.breakers.all().filter((b) => b.state === "OPEN").map((b) =>
    `${b.service} circuit breaker is OPEN${
      b.forced ? ` (forced by an operator on ${b.snapshot().forcedBy?.by ?? "an agent"})` : ""
    }`
  );
  return { ready: reasons.length === 0, reasons };
}

/** The `/status` document: version, uptime, progress, services, alerts, outboxes. */
export async function agentStatus(
  agent: Agent,
  deps: { clock: Clock; version: string; instance?: ProcessIdentity; startedAt: number },
): Promise<Record<string, unknown>> {
  const { clock } = deps;
  const counts = await agent.store.counts(agent.config.campaign.name);
  const health = new Map(agent.health.status().map((h) => [h.service, h]));
  const elapsedS = (clock.now() - deps.startedAt) / 1000;
  const done = counts.completed + counts.failed + counts.skipped;
  const remaining = counts.pending + counts.in_progress + counts.deferred;
  const rate = elapsedS > 0 ? done / elapsedS : 0;
  const outboxes: Record<string, number> = {};
  for (const delivery of agent.alerts.channels()) {
    outboxes[`alerts:${delivery.channel.name}`] = await delivery.pending();
  }
  if (agent.sheets) {
    outboxes[SheetsLogSink.queue] = await agent.sheets.pending();
    outboxes[SheetsLogSink.deadLetters] = await agent.store.outbox.size(SheetsLogSink.deadLetters);
  }
  return {
    version: deps.version,
    process: deps.instance ?? null,
    uptimeSeconds: Math.round(elapsedS),
    ready: readiness(agent),
    campaign: {
      name: agent.config.campaign.name,
      counts,
      total: Object.values(counts).reduce((a, b) => a + b, 0),
      ratePerSecond: Number(rate.toFixed(2)),
      etaSeconds: rate > 0 ? Math.round(remaining / rate) : null,
    },
    services: agent.breakers.all().map((breaker) => {
      const snapshot = breaker.snapshot();
      const probe = health.get(breaker.service);
      return {
        service: breaker.service,
        breaker: {
          state: snapshot.state,
          forced: snapshot.forced,
          // Who forced it (the agent whose admin route was used) and when, on every agent.
          forcedBy: snapshot.forcedBy
            ? { agent: snapshot.forcedBy.by, at: new Date(snapshot.forcedBy.at).toISOString() }
            : null,
          consecutiveFailures: snapshot.consecutiveFailures,
          windowFailures: snapshot.windowFailures,
          windowCalls: snapshot.windowCalls,
          // null while an operator holds it open: no timer will end that.
          msToHalfOpen: Number.isFinite(snapshot.remainingMs) ? snapshot.remainingMs : null,
          lastErrorClass: snapshot.lastErrorClass ?? null,
          lastError: snapshot.lastError ?? null,
        },
        health: probe
          ? {
            status: probe.status,
            latencyMs: probe.latencyMs ?? null,
            lastCheckedAt: probe.lastCheckedAt ?? null,
            lastError: probe.lastError ?? null,
          }
          : null,
      };
    }),
    alerts: {
      firing: agent.alerts.firing().map((a) => ({
        key: a.key,
        severity: a.severity,
        summary: a.summary,
      })),
      channels: agent.alerts.channels().map((d) => ({
        name: d.channel.name,
        breaker: d.breaker.state,
        ...deliveryOf(d.health.status()),
        pending: outboxes[`alerts:${d.channel.name}`],
      })),
    },
    outboxes,
    sheets: agent.sheets
      ? {
        breaker: agent.sheets.breaker.state,
        lastErrorClass: agent.sheets.breaker.snapshot().lastErrorClass ?? null,
        ...deliveryOf(agent.sheets.health()),
        pending: outboxes[SheetsLogSink.queue],
        deadLetters: outboxes[SheetsLogSink.deadLetters],
      }
      : null,
  };
}

/** Where a sink's delivery stands, as `/status` shows it: from its first failed attempt on. */
function deliveryOf(health: DeliveryHealthStatus) {
  return {
    delivery: health.state,
    failingSince: health.since === undefined ? null : new Date(health.since).toISOString(),
    lastError: health.state === "delivering" ? null : health.lastError ?? null,
    lastDeliveredAt: health.lastDeliveredAt === undefined
      ? null
      : new Date(health.lastDeliveredAt).toISOString(),
  };
}
