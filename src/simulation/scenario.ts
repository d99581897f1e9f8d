import type { Contact, MockServicesOptions } from "../services/mod.ts";

/** The seed scenario: ten contacts and the fault scripts that tell the product's story. */
export interface Scenario {
  contacts: Contact[];
  /** Mock scripts; fault times are relative to the run's start. */
  mocks: MockServicesOptions;
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

/**
 * Normal operation for three contacts; then ElevenLabs (tts) answers 503 until 65 s into the
 * run. The fourth contact's speech is retried at about 5 s and 10 s, the third failure opens
 * the breaker, the next contacts are skipped at once, and after the recovery timeout the
 * health probe sees ElevenLabs healthy again, a trial call closes the breaker and the skipped
 * contacts complete.
 */
export function seedScenario(startMs: number): Scenario {
  return {
    contacts: names.map((name, index) => ({
      id: `c${String(index + 1).padStart(2, "0")}`,
      name,
      phone: `+1415555${String(100 + index).padStart(4, "0")}`,
    })),
    mocks: {
      llm: { latencyMs: 800 },
      tts: {
        latencyMs: 1_200,
        faults: [
          { calls: 3 },
          { fail: "unavailable", latencyMs: 300, untilMs: startMs + 65_000 },
        ],
      },
      crm: { latencyMs: 300 },
    },
  };
}
