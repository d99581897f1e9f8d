import { type AgentEvent, createAgent, reportProgress } from "../agent/mod.ts";
import { type AlertChannel, MemoryAlertChannel } from "../alerts/mod.ts";
import type { Clock, Random } from "../clock/mod.ts";
import type { AgentConfig } from "../config/mod.ts";
import { type CampaignStore, InMemoryCampaignStore } from "../ledger/mod.ts";
import type { RunSummary } from "../processor/mod.ts";
import { httpProviders, mockProviders, type SimulationProviders } from "./providers.ts";
import type { Scenario } from "./scenario.ts";

/** What a simulation needs. */
export interface SimulationDeps {
  clock: Clock;
  random: Random;
  /** Runs the whole simulation; a virtual clock's `run` makes it take milliseconds. */
  drive: <T>(task: () => Promise<T>) => Promise<T>;
  /** Receives every event as it happens. */
  onEvent: (event: AgentEvent) => void;
  /** `mock`: in-memory services; `http`: the real clients against fake servers. @default "mock" */
  providers?: "mock" | "http";
  /** The fetch the real clients use in `http` mode. */
  fetch?: typeof fetch;
  /** Alert channels besides the in-memory one the simulation keeps. */
  alertChannels?: readonly AlertChannel[];
  /** A live progress line (`simulate --realtime` on a terminal). */
  progress?: { intervalMs: number; write: (text: string) => void };
}

/** The end of a simulation. */
export interface SimulationResult {
  summary: RunSummary;
  /** Broken invariants; empty when the run behaved. */
  violations: string[];
  alerts: MemoryAlertChannel["sent"];
  /** HTTP requests each fake provider received (`http` mode). */
  requests: Record<string, number>;
}

/**
 * Runs `scenario` through the real agent (breakers, retries, health checker, processor,
 * alerts) and checks the invariants: no call reached a service whose breaker was OPEN, and
 * every contact ended completed, failed or skipped.
 */
export async function runSimulation(
  config: AgentConfig,
  scenario: Scenario,
  deps: SimulationDeps,
): Promise<SimulationResult> {
  const { clock } = deps;
  await using providers: SimulationProviders = deps.providers === "http"
    ? httpProviders(config, scenario, { clock, fetch: deps.fetch ?? fetch })
    : mockProviders(config, scenario, clock);
  const memory = new MemoryAlertChannel();
  await using store: CampaignStore = new InMemoryCampaignStore();
  await store.ensureCampaign(providers.config.campaign.name, clock.now());
  await store.addContacts(providers.config.campaign.name, scenario.contacts, clock.now());
  await using agent = createAgent(providers.config, {
    store,
    clock,
    random: deps.random,
    services: providers.services,
    alertChannels: [memory, ...(deps.alertChannels ?? [])],
    callLinksKey: providers.publicSide?.linksKey,
  });
  providers.publicSide?.answer(agent);
  const at = () => clock.now() - agent.startedAt;
  const violations: string[] = [];
  using _events = agent.events.on(deps.onEvent);
  const callWatchers = providers.callSources.map((source) =>
    source.onCall((call) => {
      const state = agent.breakers.get(call.service).state;
      agent.events.emit({
        t: at(),
        type: "service-call",
        service: call.service,
        operation: call.operation,
        result: call.result,
        breakerState: state,
      });
      if (state === "OPEN") {
        violations.push(`${call.service} was called while its breaker was OPEN`);
      }
    })
  );
  try {
    const summary = await deps.drive(async () => {
      agent.start();
      const progress = deps.progress
        ? reportProgress(agent, { ...deps.progress, terminal: true }, clock)
        : undefined;
      try {
        return await agent.runner.run();
      } finally {
        await progress?.stop();
        await agent.stop();
      }
    });
    if (summary.pending + summary.in_progress > 0) {
      violations.push(`${summary.pending + summary.in_progress} contact(s) have no final state`);
    }
    const requests = providers.requestCounts();
    if (deps.providers === "http") {
      agent.events.emit({ t: at(), type: "provider-requests", requests });
    }
    agent.events.emit({ t: at(), type: "summary", ...summary });
    for (const violation of violations) {
      agent.events.emit({ t: at(), type: "invariant-violated", reason: violation });
    }
    return { summary, violations, alerts: memory.sent, requests };
  } finally {
    for (const watcher of callWatchers) watcher[Symbol.dispose]();
  }
}
