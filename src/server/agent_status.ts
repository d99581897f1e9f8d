import type { RoutingAlertManager } from "../alerts/mod.ts";
import type { BreakerRegistry } from "../breaker/mod.ts";
import type { Clock } from "../clock/mod.ts";
import type { HealthChecker } from "../health/mod.ts";
import type { StateCounts } from "../ledger/mod.ts";
import { SheetsLogSink } from "../sheets/mod.ts";
import type { ProcessIdentity } from "./agent_metrics.ts";

/** What `/status` and `/readyz` read: each component's own snapshot, nothing of their
 * insides. */
export interface StatusSources {
  campaign: string;
  counts(): Promise<StateCounts>;
  breakers: Pick<BreakerRegistry, "all">;
  health: Pick<HealthChecker, "status">;
  alerts: Pick<RoutingAlertManager, "status">;
  sheets?: Pick<SheetsLogSink, "status">;
  /** The script's and the voice's chains, each link by service name, the primary first. */
  chains: Chains;
  /** Contacts each provider served, per step (`say`: Twilio's voice). */
  served(): Record<string, Record<string, number>>;
  /** What the campaign's contacts cost so far, per step, and its currency. */
  spend(): Promise<{ byStep: Record<string, number>; currency: string }>;
  /** How calls are placed: the pace asked for (0: unpaced), and how long the provider last held
   * a call in its queue (within the last minute). */
  calls?: { callsPerSecond: number; queueTimeMs(): number | undefined };
}

/** Each role with a chain, and its links' service names, the primary first. */
export type Chains = Readonly<Record<"llm" | "tts", readonly string[]>>;

/** Whether processing can proceed, and why not: not while a service every contact needs is
 * OPEN; a role with a chain only when every link is. */
export function readiness(
  breakers: Pick<BreakerRegistry, "all">,
  chains: Chains,
): { ready: boolean; reasons: string[] } {
  const open = breakers.all().filter((b) => b.state === "OPEN");
  const openNames = new Set(open.map((b) => b.service));
  const reasons = open.filter((b) => {
    const chain = Object.values(chains).find((links) => links.includes(b.service));
    return !chain || chain.length === 1 || chain.every((link) => openNames.has(link));
  }).map((b) =>
    `${b.service} circuit breaker is OPEN${
      b.forced ? ` (forced by an operator on ${b.snapshot().forcedBy?.by ?? "an agent"})` : ""
    }`
  );
  return { ready: reasons.length === 0, reasons };
}

/** Each chain as `/status` shows it: its links, the one a new contact gets now (the first not
 * OPEN; null when every link is), and the contacts each link served. */
function chainStatus(sources: StatusSources) {
  const states = new Map(sources.breakers.all().map((b) => [b.service, b.state]));
  const served = sources.served();
  return Object.fromEntries(
    Object.entries(sources.chains).map(([role, links]) => {
      const active = links.find((link) => states.get(link) !== "OPEN") ?? null;
      return [role, {
        links,
        active,
        onFallback: active !== null && active !== links[0],
        served: Object.fromEntries(links.map((link) => [link, served[role]?.[link] ?? 0])),
      }];
    }),
  );
}

/** How calls are placed: their pace, and whether the provider's own calls per second hold
 * them up (it queued a call for more than a second within the last minute). */
function callsStatus(calls: StatusSources["calls"]) {
  if (!calls) return null;
  const queueTimeMs = calls.queueTimeMs() ?? null;
  const held = queueTimeMs !== null && queueTimeMs > 1_000;
  return {
    callsPerSecond: calls.callsPerSecond || null,
    providerQueueTimeMs: queueTimeMs,
    providerCpsBottleneck: held,
    ...(held
      ? {
        note:
          `Twilio held a call ${queueTimeMs} ms in its queue: the account's calls per second are what holds calls up; raise them with Twilio, or lower services.telephony.callsPerSecond to match`,
      }
      : {}),
  };
}

/** The `/status` document: version, uptime, progress, services, alerts, outboxes. */
export async function agentStatus(
  sources: StatusSources,
  deps: { clock: Clock; version: string; instance?: ProcessIdentity; startedAt: number },
): Promise<Record<string, unknown>> {
  const { clock } = deps;
  const [counts, alerts, sheets, spend] = await Promise.all([
    sources.counts(),
    sources.alerts.status(),
    sources.sheets?.status(),
    sources.spend(),
  ]);
  const spent = Object.values(spend.byStep).reduce((a, b) => a + b, 0);
  const health = new Map(sources.health.status().map((h) => [h.service, h]));
  const elapsedS = (clock.now() - deps.startedAt) / 1000;
  const done = counts.completed + counts.failed + counts.skipped;
  const remaining = counts.pending + counts.in_progress + counts.deferred;
  const rate = elapsedS > 0 ? done / elapsedS : 0;
  const outboxes: Record<string, number> = {};
  for (const channel of alerts.channels) outboxes[`alerts:${channel.name}`] = channel.pending;
  if (sheets) {
    outboxes[SheetsLogSink.queue] = sheets.pending;
    outboxes[SheetsLogSink.deadLetters] = sheets.deadLetters;
  }
  return {
    version: deps.version,
    process: deps.instance ?? null,
    uptimeSeconds: Math.round(elapsedS),
    ready: readiness(sources.breakers, sources.chains),
    campaign: {
      name: sources.campaign,
      counts,
      total: Object.values(counts).reduce((a, b) => a + b, 0),
      ratePerSecond: Number(rate.toFixed(2)),
      etaSeconds: rate > 0 ? Math.round(remaining / rate) : null,
      spend: {
        total: spent,
        byStep: spend.byStep,
        perCompleted: counts.completed > 0 ? spent / counts.completed : null,
        currency: spend.currency,
      },
    },
    chains: chainStatus(sources),
    calls: callsStatus(sources.calls),
    services: sources.breakers.all().map((breaker) => {
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
          // When an OPEN breaker's next trial may go: at that time, and (unless configured
          // otherwise) only once a health probe is healthy. null when not OPEN or forced.
          nextTrial: snapshot.state === "OPEN" && Number.isFinite(snapshot.remainingMs)
            ? {
              at: new Date(clock.now() + snapshot.remainingMs).toISOString(),
              inMs: snapshot.remainingMs,
              afterHealthyProbe: breaker.options.halfOpenRequiresHealthyProbe,
            }
            : null,
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
      firing: alerts.firing,
      channels: alerts.channels.map(({ lastErrorClass: _, ...channel }) => channel),
    },
    outboxes,
    sheets: sheets ?? null,
  };
}
