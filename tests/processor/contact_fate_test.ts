/** What becomes of a contact under faults, on the virtual clock. */
import assert from "node:assert/strict";
import { eventsOfType } from "../_support/events_of_type.ts";
import { InMemoryCampaignStore } from "../../src/ledger/mod.ts";
import { contacts, testAgent } from "../_support/agent.ts";

for (const requiresProbe of [true, false]) {
  for (const health of [true, false]) {
    Deno.test(`halfOpenRequiresHealthyProbe ${requiresProbe}, health checker ${health ? "on" : "off"}: the breaker recovers as the rule says`, async () => {
      const t = testAgent(
        {
          tts: {
            faults: [{ calls: 1 }, { fail: "unavailable", untilMs: 40_000 }],
          },
        },
        {
          processor: { concurrency: 1, recoveryWaitMs: 120_000 },
          retry: { maxRetries: 0 },
          breaker: {
            failureThreshold: 1,
            recoveryTimeoutMs: 30_000,
            halfOpenRequiresHealthyProbe: requiresProbe,
          },
          health: { intervalMs: 7_000 },
        },
      );
      await using _ = t.agent;
      const { summary } = await t.runCampaign(contacts(3), { health });
      const halfOpen = eventsOfType(t.events, "breaker").filter((e) => e.to === "HALF_OPEN");
      if (requiresProbe && !health) {
        // Nothing can say the service is back: the contacts wait, and stay deferred.
        assert.equal(halfOpen.length, 0);
        assert.equal(summary.ended, "waiting-for-recovery");
        assert.equal(summary.deferred, 2);
        return;
      }
      assert.deepEqual([summary.completed, summary.failed, summary.deferred], [
        3,
        0,
        0,
      ]);
      const openedAt = t.events.find((e) => e.type === "breaker" && e.to === "OPEN")!.t;
      if (requiresProbe) {
        // The first healthy probe after the outage (40 s) and the recovery timeout.
        assert.ok(halfOpen[0].t >= 40_000, `HALF_OPEN at ${halfOpen[0].t}`);
      } else {
        // Exactly at the recovery timeout, announced, without waiting for any probe.
        assert.equal(halfOpen[0].t, openedAt + 30_000);
        assert.match(String(halfOpen[0].reason), /recovery timeout passed$/);
      }
    });
  }
}

Deno.test("a Retry-After longer than anyone should wait pauses the service and defers, not fails", async () => {
  const t = testAgent(
    {
      llm: {
        faults: [{ fail: "rate-limit", retryAfterMs: 120_000, calls: 1 }],
      },
    },
    { processor: { concurrency: 1 } },
  );
  await using _ = t.agent;
  const calledAt: number[] = [];
  t.services.llm.onCall((call) => calledAt.push(call.at));
  const { summary, records } = await t.runCampaign(contacts(2));
  assert.deepEqual([summary.completed, summary.failed], [2, 0]);
  assert.equal(records.get("c1")!.deferrals, 1);
  const deferred = eventsOfType(t.events, "contact-done").find((e) => e.status === "deferred");
  assert.equal(deferred?.reason, "paused");
  assert.deepEqual(
    calledAt.filter((at) => at > 0 && at < 120_000),
    [],
    "nobody called before 120 s",
  );
  const opened = eventsOfType(t.events, "breaker").find((e) => e.to === "OPEN");
  assert.match(String(opened?.reason), /asked to wait 120 s \(Retry-After\)/);
});

Deno.test("a ledger that refuses a write stops every worker before the run rejects", async () => {
  const store = new InMemoryCampaignStore();
  const t = testAgent({ crm: { latencyMs: 100 } }, {
    processor: { concurrency: 4 },
  }, store);
  await using _ = t.agent;
  let completions = 0;
  const complete = store.complete.bind(store);
  store.complete = (...args) => {
    if (++completions === 3) return Promise.reject(new Error("disk I/O error"));
    return complete(...args);
  };
  const crmCalls: number[] = [];
  t.services.crm.onCall((call) => crmCalls.push(call.at));
  await assert.rejects(t.runCampaign(contacts(40)), /disk I\/O error/);
  const failedAt = 100; // the third completion: the first round of four, at 100 ms
  const after = crmCalls.filter((at) => at > failedAt);
  assert.deepEqual(after, [], "no CRM call after the ledger failed");
  const counts = await store.counts("default");
  assert.ok(counts.pending >= 30, "the workers stopped taking contacts");
});

Deno.test("a deadline fails what is not finished and starts nothing after it", async () => {
  const deadline = new Date(10_000).toISOString();
  const t = testAgent({ llm: { latencyMs: 1_000 } }, {
    processor: { concurrency: 1 },
    campaign: { deadline },
  });
  await using _ = t.agent;
  const { summary, records } = await t.runCampaign(contacts(20));
  assert.ok(
    summary.completed >= 9 && summary.completed <= 10,
    `${summary.completed} completed`,
  );
  assert.equal(summary.completed + summary.failed, 20);
  const late = [...records.values()].filter((r) => r.state === "failed");
  assert.ok(late.every((r) => /deadline-passed/.test(r.reason!)));
  assert.ok(
    late.every((r) => Object.keys(r.attempts).length === 0),
    "nothing spent on them",
  );
});
