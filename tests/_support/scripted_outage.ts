import type { FaultRule } from "../../src/services/mod.ts";
import { createStatusApp, type StatusApp } from "../../src/server/mod.ts";
import { contacts, type TestAgent, testAgent } from "./agent.ts";

/** The outage the dashboard's checks are made from: 150 contacts, each call taking 400 ms,
 * the voice down from 30 s to 75 s of a virtual clock. */
export const outage = { contacts: 150, fromMs: 30_000, untilMs: 75_000 };

/**
 * Runs an outage of the voice to the run's end on a virtual clock (starting at `startMs`), with
 * a status app watching from the start (so its history holds the whole run), and returns both:
 * serve `app.fetch` to look at it. By default {@link outage}; `voiceFaults` scripts another.
 */
export async function runScriptedOutage(options: {
  contacts?: number;
  voiceFaults?: FaultRule[];
  startMs?: number;
  config?: Record<string, unknown>;
} = {}): Promise<{ t: TestAgent; app: StatusApp }> {
  const calls = { latencyMs: 400 };
  const startMs = options.startMs ?? 0;
  const t = testAgent(
    {
      llm: calls,
      tts: {
        ...calls,
        faults: options.voiceFaults ??
          [{ fail: "unavailable", fromMs: outage.fromMs, untilMs: outage.untilMs }],
      },
      crm: calls,
      telephony: { latencyMs: 400 },
    },
    {
      processor: { concurrency: 4 },
      breaker: { failureThreshold: 3, recoveryTimeoutMs: 10_000 },
      health: { intervalMs: 5_000 },
      ...options.config,
    },
    undefined,
    undefined,
    startMs,
  );
  const app = createStatusApp({ agent: t.agent, clock: t.clock, version: "outage" });
  await t.runCampaign(contacts(options.contacts ?? outage.contacts));
  return { t, app };
}
