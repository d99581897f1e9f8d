import assert from "node:assert/strict";
import type { AgentEvent } from "../../src/agent/mod.ts";
import { seededRandom, VirtualClock } from "../../src/clock/mod.ts";
import { parseConfig } from "../../src/config/mod.ts";
import { runSimulation, seedScenario } from "../../src/simulation/mod.ts";

Deno.test("the seed scenario keeps its invariants and completes every contact", async () => {
  const clock = new VirtualClock();
  const events: AgentEvent[] = [];
  const result = await runSimulation(
    parseConfig({ processor: { concurrency: 1 }, logging: { filePath: "" } }),
    seedScenario(clock.now()),
    {
      clock,
      random: seededRandom(1),
      drive: (task) => clock.run(task),
      onEvent: (e) => events.push(e),
    },
  );
  assert.deepEqual(result.violations, []);
  assert.equal(result.summary.completed, 10);
  assert.deepEqual(result.alerts.map((a) => `${a.key}:${a.status}`), [
    "breaker-open:tts:firing",
    "breaker-open:tts:resolved",
  ]);
  assert.ok(
    events.some((e) => e.type === "alert" && e.decision === "suppressed:duplicate"),
  );
});

Deno.test("with a live progress line, the simulation reports progress while it runs", async () => {
  const clock = new VirtualClock();
  const writes: string[] = [];
  await runSimulation(
    parseConfig({ processor: { concurrency: 1 }, logging: { filePath: "" } }),
    seedScenario(clock.now()),
    {
      clock,
      random: seededRandom(1),
      drive: (task) => clock.run(task),
      onEvent: () => {},
      progress: { intervalMs: 10_000, write: (text) => writes.push(text) },
    },
  );
  const lines = writes.filter((w) => w.includes(" done · "));
  assert.ok(lines.length >= 5, String(lines.length));
  assert.ok(
    lines.some((line) => line.includes("tts:OPEN")),
    "the outage shows in the line",
  );
});
