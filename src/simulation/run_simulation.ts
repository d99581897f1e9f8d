import { type AgentEvent, createAgent } from "../agent/mod.ts";
import { type AlertChannel, MemoryAlertChannel } from "../alerts/mod.ts";
import type { Clock, Random } from "../clock/mod.ts";
import type { AgentConfig } from "../config/mod.ts";
import type { RunSummary } from "../processor/mod.ts";
import { createMockServices } from "../services/mod.ts";
import type { Scenario } from "./scenario.ts";

/** What a simulation needs. */
export interface SimulationDeps {
  clock: Clock;
  random: Random;
  /** Runs the whole simulation; a virtual clock's `run` makes it take milliseconds. */
  drive: <T>(task: () => Promise<T>) => Promise<T>;
  /** Receives every event as it happens. */
  onEvent: (event: AgentEvent) => void;
  /** Alert channels besides the in-memory one the simulation keeps. */
  alertChannels?: readonly AlertChannel[];
}

/** The end of a simulation. */
export interface SimulationResult {
  summary: RunSummary;
  /** Broken invariants; empty when the run behaved. */
  violations: string[];
  alerts: MemoryAlertChannel["sent"];
  /** Calls each mock service received. */
  calls: Record<string, number>;
}

/**
 * Runs `scenario` through the real agent (breakers, retries, health checker, processor,
 * alerts) against mock services, and checks the invariants: no call reached a service whose
 * breaker was OPEN, and every contact ended completed, failed or skipped.
 */
export async function runSimulation(
  config: AgentConfig,
  scenario: Scenario,
  deps: SimulationDeps,
): Promise<SimulationResult> {
  const { clock } = deps;
  const services = createMockServices(scenario.mocks, { clock });
  const memory = new MemoryAlertChannel();
  await using agent = createAgent(config, {
    clock,
    random: deps.random,
    services,
    alertChannels: [memory, ...(deps.alertChannels ?? [])],
  });
  const violations: string[] = [];
  using _events = agent.events.on(deps.onEvent);
  const mocks = [services.llm, services.tts, services.crm];
  const callWatchers = mocks.map((service) =>
    service.onCall((call) => {
      const state = agent.breakers.get(call.service).state;
      agent.events.emit({
        t: clock.now() - agent.startedAt,
        type: "service-call",
        service: call.service,
        result: call.result,
        breakerState: state,
      });
      if (state === "OPEN") {
        violations.push(`${call.service} was called while its breaker was OPEN`);
      }
    })
  );
  try {
    const { summary, results } = await deps.drive(async () => {
      agent.health.start();
      try {
        return await agent.processor.run(scenario.contacts);
      } finally {
        await agent.health.stop();
        await agent.alerts.flush();
      }
    });
    for (const contact of scenario.contacts) {
      if (!results.has(contact.id)) violations.push(`contact ${contact.id} has no final state`);
    }
    agent.events.emit({ t: clock.now() - agent.startedAt, type: "summary", ...summary });
    for (const violation of violations) {
      agent.events.emit({
        t: clock.now() - agent.startedAt,
        type: "invariant-violated",
        reason: violation,
      });
    }
    return {
      summary,
      violations,
      alerts: memory.sent,
      calls: Object.fromEntries(mocks.map((mock) => [mock.name, mock.callCount])),
    };
  } finally {
    for (const watcher of callWatchers) watcher[Symbol.dispose]();
  }
}
