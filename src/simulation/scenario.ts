import type { AgentConfig } from "../config/mod.ts";
import type { MockServicesOptions } from "../services/mod.ts";
import type { Contact } from "../domain/mod.ts";

/** The seed scenario: ten contacts and the fault scripts that tell the product's story. */
export interface Scenario {
  contacts: Contact[];
  /** Mock scripts; fault times are relative to the run's start. */
  mocks: MockServicesOptions;
  /** Settings the story needs, merged over the run's config (a fallback chain's links). */
  config?: Record<string, unknown>;
}

/** The stories `simulate --scenario` tells. */
export const scenarios = ["seed", "fallback"] as const;
export type ScenarioName = typeof scenarios[number];

/** The scenario `name` names, starting at `startMs`. */
export function scenarioNamed(name: ScenarioName, startMs: number): Scenario {
  return name === "fallback" ? fallbackScenario(startMs) : seedScenario(startMs);
}

/** The fallback voice of {@link fallbackScenario}. */
export const fallbackVoice = "backup-voice";

/**
 * The seed story with a fallback voice: ElevenLabs' outage is the same, but the contacts that
 * would have waited for it are spoken by the fallback instead, and once ElevenLabs is back (its
 * recovery time, a healthy probe, a trial call) the next contacts are spoken by it again.
 */
export function fallbackScenario(startMs: number): Scenario {
  const seed = seedScenario(startMs);
  return {
    ...seed,
    mocks: { ...seed.mocks, fallbacks: { tts: { [fallbackVoice]: { latencyMs: 1_000 } } } },
    config: { services: { tts: { fallbacks: [{ name: fallbackVoice, kind: "mock" }] } } },
  };
}

const names = [
  "Ada Lovelace",
  "Grace Hopper",
  "Alan Turing",
  "Katherine Johnson",
  "Edsger Dijkstra",
  "Barbara Liskov",
  "Donald Knuth",
  "Margaret Hamilton",
  "Ken Thompson",
  "Frances Allen",
];

/** The contact whose first call is busy, and is dialled again (`campaign.redial`). */
export const busyContactIndex = 1;

/**
 * Every contact is called (a mock call lasts 4 s; the second contact's line is busy at the
 * first dial and it is dialled again). Normal operation for three contacts; then ElevenLabs
 * (tts) answers 503 until 65 s into the run. The fourth contact's speech is retried at about 5 s and 10 s, the third failure opens
 * the breaker, the next contacts are skipped at once, and after the recovery timeout the
 * health probe sees ElevenLabs healthy again, a trial call closes the breaker and the skipped
 * contacts complete.
 */
export function seedScenario(startMs: number): Scenario {
  const contacts = names.map((name, index) => ({
    id: `c${String(index + 1).padStart(2, "0")}`,
    name,
    phone: `+1415555${String(100 + index).padStart(4, "0")}`,
  }));
  const busyPhone = contacts[busyContactIndex].phone;
  return {
    contacts,
    mocks: {
      llm: { latencyMs: 800 },
      tts: {
        latencyMs: 1_200,
        faults: [
          { calls: 3 },
          { fail: "unavailable", latencyMs: 300, untilMs: startMs + 65_000 },
        ],
      },
      telephony: {
        latencyMs: 400,
        callMs: 4_000,
        outcomeOf: (to, dial) => (to === busyPhone && dial === 1 ? "busy" : "completed"),
      },
      crm: { latencyMs: 300 },
    },
  };
}

/**
 * The scenario with each service whose `services.<name>.mock` lists faults following that
 * script instead of the seed's (times relative to `startMs`, latency its own): a user replays
 * their own outage with `simulate --config`. Services without faults keep the seed's story.
 */
export function withConfiguredFaults(
  scenario: Scenario,
  config: AgentConfig,
  startMs: number,
): Scenario {
  const mocks = { ...scenario.mocks };
  for (const name of ["llm", "tts", "telephony", "crm"] as const) {
    const mock = config.services[name].mock;
    if (mock.faults.length === 0) continue;
    mocks[name] = {
      ...mocks[name],
      latencyMs: mock.latencyMs,
      faults: mock.faults.map((rule) => ({
        ...rule,
        fromMs: rule.fromMs === undefined ? undefined : startMs + rule.fromMs,
        untilMs: rule.untilMs === undefined ? undefined : startMs + rule.untilMs,
      })),
    };
  }
  return { ...scenario, mocks };
}
