import type { Agent } from "../agent/mod.ts";
import { chainsOf } from "../config/mod.ts";
import { serviceOf } from "../domain/mod.ts";
import type { LedgerHolder, StateCounts } from "../ledger/mod.ts";
import { SheetsLogSink } from "../sheets/mod.ts";
import { Counter, Gauge, Histogram, MetricsRegistry } from "./metrics_registry.ts";

/** The process serving the metrics, as the ledger's lock names it. */
export type ProcessIdentity = Pick<LedgerHolder, "pid" | "host">;

const stateValue = { CLOSED: 0, HALF_OPEN: 1, OPEN: 2 } as const;

/**
 * The agent's Prometheus metrics: calls by service and outcome, retries, breaker state and
 * transitions, contacts by state, alerts sent and suppressed, call latency. Counters follow
 * the agent's events; gauges are read at scrape time.
 */
export class AgentMetrics implements Disposable {
  readonly registry = new MetricsRegistry();
  readonly #subscriptions: Disposable[];
  readonly #served: Counter;
  #counts: StateCounts | undefined;
  #spent: { total: number; onDay: number } | undefined;
  #outboxes: Record<string, number> = {};

  constructor(
    agent: Agent,
    about: { version: string; instance?: ProcessIdentity } = { version: "" },
  ) {
    const r = this.registry;
    r.register(
      new Gauge(
        "ai_call_agent_info",
        "Always 1: the agent's version, and the process (pid, host) that the ledger lock names.",
        () => [{
          labels: {
            version: about.version,
            ...(about.instance
              ? { pid: String(about.instance.pid), host: about.instance.host }
              : {}),
          },
          value: 1,
        }],
      ),
    );
    const calls = r.register(
      new Counter(
        "ai_call_agent_calls_total",
        "Attempts that reached a service, by outcome (success or error class).",
      ),
    );
    const latency = r.register(
      new Histogram(
        "ai_call_agent_call_duration_seconds",
        "Duration of attempts that reached a service.",
        [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      ),
    );
    const retries = r.register(
      new Counter(
        "ai_call_agent_retries_total",
        "Retries sent to a service (attempts after a call's first; a retry cancelled because the breaker opened is not one).",
      ),
    );
    const transitions = r.register(
      new Counter("ai_call_agent_breaker_transitions_total", "Circuit breaker state changes."),
    );
    const alerts = r.register(
      new Counter(
        "ai_call_agent_alerts_total",
        "Alert decisions: sent, outboxed, replayed, suppressed.",
      ),
    );
    const served = this.#served = r.register(
      new Counter(
        "ai_call_agent_steps_served_total",
        "Steps each provider served, by step (a fallback chain's links; say: Twilio's voice).",
      ),
    );
    const spend = r.register(
      new Counter(
        "ai_call_agent_spend_total",
        "What this process's paid requests cost, by service and provider (pricing.currency).",
      ),
    );
    const scriptsRejected = r.register(
      new Counter(
        "ai_call_agent_scripts_rejected_total",
        "Scripts the checks rejected before their voice was paid for, by provider and rule (each one paid, none voiced).",
      ),
    );
    const canceled = r.register(
      new Counter(
        "ai_call_agent_calls_canceled_total",
        "Calls the provider still queued when their calling hours closed, canceled before they rang.",
      ),
    );
    const contactsDone = r.register(
      new Counter("ai_call_agent_contact_outcomes_total", "Contacts processed, by outcome."),
    );
    r.register(
      new Gauge(
        "ai_call_agent_breaker_state",
        "Circuit breaker state: 0 closed, 1 half-open, 2 open.",
        () =>
          agent.breakers.all().map((b) => ({
            labels: { service: b.service },
            value: stateValue[b.state],
          })),
      ),
    );
    r.register(
      new Gauge(
        "ai_call_agent_contacts",
        "Contacts in the ledger by state (at the last refresh).",
        () =>
          Object.entries(this.#counts ?? {}).map(([state, value]) => ({
            labels: { state },
            value,
          })),
      ),
    );
    const chains = chainsOf(agent.config);
    r.register(
      new Gauge(
        "ai_call_agent_chain_links_up",
        "Providers of each role's chain whose breaker is not OPEN (0: every provider is down).",
        () =>
          Object.entries(chains).map(([role, links]) => ({
            labels: { role },
            value: links.filter((link) => agent.breakers.get(link).state !== "OPEN").length,
          })),
      ),
    );
    r.register(
      new Gauge(
        "ai_call_agent_budget_spent",
        "What the campaign spent (period campaign) and today (period day), as the ledger counts it toward the caps (at the last refresh).",
        () =>
          this.#spent
            ? [
              { labels: { period: "campaign" }, value: this.#spent.total },
              { labels: { period: "day" }, value: this.#spent.onDay },
            ]
            : [],
      ),
    );
    r.register(
      new Gauge(
        "ai_call_agent_budget_cap",
        "The campaign's spend caps (budget.campaign, budget.daily), where set.",
        () =>
          [
            { labels: { period: "campaign" }, value: agent.config.budget.campaign },
            { labels: { period: "day" }, value: agent.config.budget.daily },
          ].filter((cap) => cap.value > 0),
      ),
    );
    r.register(
      new Gauge(
        "ai_call_agent_sink_breaker_state",
        "Breaker state of each sink (alert channels, the Sheets log): 0 closed, 1 half-open, 2 open.",
        () => [
          ...agent.alerts.channels().map((d) => ({
            labels: { sink: `alerts:${d.channel.name}` },
            value: stateValue[d.breaker.state],
          })),
          ...(agent.sheets
            ? [{ labels: { sink: "sheets" }, value: stateValue[agent.sheets.breaker.state] }]
            : []),
        ],
      ),
    );
    r.register(
      new Gauge(
        "ai_call_agent_sink_delivering",
        "Whether each sink's last attempt went through: 1 delivering, 0 failing (from its first failed attempt, not once its retries gave up).",
        () => [
          ...agent.alerts.channels().map((d) => ({
            labels: { sink: `alerts:${d.channel.name}` },
            value: d.health.status().state === "delivering" ? 1 : 0,
          })),
          ...(agent.sheets
            ? [{
              labels: { sink: "sheets" },
              value: agent.sheets.health().state === "delivering" ? 1 : 0,
            }]
            : []),
        ],
      ),
    );
    r.register(
      new Gauge(
        "ai_call_agent_outbox_items",
        "Undelivered items waiting in each outbox (at the last refresh).",
        () =>
          Object.entries(this.#outboxes).map(([queue, value]) => ({ labels: { queue }, value })),
      ),
    );
    r.register(
      new Gauge(
        "ai_call_agent_alerts_firing",
        "Alerts firing now.",
        () => [{ labels: {}, value: agent.alerts.firing().length }],
      ),
    );
    this.#subscriptions = [
      agent.caller.onAttemptEnd((attempt) => {
        calls.inc({ service: attempt.service, outcome: attempt.outcome });
        if (attempt.attempt > 1) retries.inc({ service: attempt.service });
        latency.observe({ service: attempt.service }, attempt.durationMs / 1000);
      }),
      agent.events.on((event) => {
        if (event.type === "breaker") {
          transitions.inc({
            service: event.service ?? "",
            from: event.from ?? "",
            to: event.to ?? "",
          });
        } else if (
          event.type === "alert" && typeof event.decision === "string" &&
          event.decision !== "queued"
        ) {
          alerts.inc({ decision: event.decision, severity: String(event.severity) });
        } else if (event.type === "contact-done") {
          contactsDone.inc({ outcome: String(event.status) });
        } else if (event.type === "call-canceled") {
          canceled.inc({});
        } else if (event.type === "script-rejected") {
          scriptsRejected.inc({ provider: event.provider, rule: event.rule });
          if (event.cost) spend.inc({ service: "llm", provider: event.provider }, event.cost);
        } else if (event.type === "step-done" && !event.reused && event.provider) {
          if (event.step !== "call") served.inc({ step: event.step, provider: event.provider });
          if (event.cost) {
            spend.inc({ service: serviceOf(event.step), provider: event.provider }, event.cost);
          }
        }
      }),
    ];
  }

  /** Steps each provider served, per step: `{tts: {tts: 180, "openai-speech": 20}}`. */
  served(): Record<string, Record<string, number>> {
    const byStep: Record<string, Record<string, number>> = {};
    for (const { labels, value } of this.#served.series()) {
      (byStep[labels.step] ??= {})[labels.provider] = value;
    }
    return byStep;
  }

  /** Reads the ledger's counts for the contacts gauge (call before rendering). */
  async refresh(agent: Agent): Promise<void> {
    this.#counts = await agent.store.counts(agent.config.campaign.name);
    this.#spent = await agent.store.spendTotals(agent.config.campaign.name, agent.budget.today());
    const queues = [
      ...agent.alerts.channels().map((d) => `alerts:${d.channel.name}`),
      ...(agent.sheets ? [SheetsLogSink.queue, SheetsLogSink.deadLetters] : []),
    ];
    const outboxes: Record<string, number> = {};
    for (const queue of queues) outboxes[queue] = await agent.store.outbox.size(queue);
    this.#outboxes = outboxes;
  }

  render(): string {
    return this.registry.render();
  }

  [Symbol.dispose](): void {
    for (const subscription of this.#subscriptions) subscription[Symbol.dispose]();
  }
}
