import assert from "node:assert/strict";
import { progressLine, reportProgress } from "../../src/agent/mod.ts";
import { contacts, testAgent } from "../_support/agent.ts";

Deno.test("the progress line shows done, failures, deferrals, rate, ETA and breaker states", async () => {
  const t = testAgent({ llm: { latencyMs: 1_000 } }, {
    processor: { concurrency: 1 },
  });
  await using _ = t.agent;
  await t.runCampaign(contacts(4), { health: false });
  t.agent.breakers.get("tts").forceOpen();
  const line = await progressLine(t.agent, 4_000, 0);
  assert.equal(
    line,
    "4/4 done · 4 completed · 0 failed · 0 deferred · 1.0/s · ETA 0s · llm:CLOSED tts:OPEN telephony:CLOSED crm:CLOSED",
  );
});

Deno.test("on a terminal the progress line is rewritten in place, and cleared at the end", async () => {
  const t = testAgent({ llm: { latencyMs: 1_000 } }, {
    processor: { concurrency: 1 },
  });
  await using _ = t.agent;
  const writes: string[] = [];
  const progress = reportProgress(t.agent, {
    intervalMs: 2_000,
    terminal: true,
    write: (s) => writes.push(s),
  }, t.clock);
  await t.runCampaign(contacts(5), { health: false });
  await progress.stop();
  assert.ok(writes.length >= 2, String(writes.length));
  assert.ok(
    writes.slice(0, -1).every((w) => w.startsWith("\r\x1b[2K") && / done · /.test(w)),
  );
  assert.equal(writes.at(-1), "\r\x1b[2K");
});
