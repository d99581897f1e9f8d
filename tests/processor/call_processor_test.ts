import assert from "node:assert/strict";
import type { ContactResult } from "../../src/processor/mod.ts";
import { contacts, testAgent } from "../_support/agent.ts";

Deno.test("every contact goes through LLM, TTS and CRM and completes", async () => {
  const { clock, agent, services } = testAgent();
  await using _ = agent;
  const { summary } = await clock.run(() => agent.processor.run(contacts(5)));
  assert.deepEqual([summary.completed, summary.failed, summary.skipped], [5, 0, 0]);
  assert.deepEqual([services.llm.callCount, services.tts.callCount, services.crm.callCount], [
    5,
    5,
    5,
  ]);
  assert.deepEqual([...services.crm.records.keys()].slice(0, 2), ["default:c1", "default:c2"]);
});

Deno.test("a permanent error fails that contact only and processing moves on", async () => {
  const { clock, agent, alerts } = testAgent({
    tts: { faults: [{ fail: "invalid-request", calls: 1 }] },
  });
  await using _ = agent;
  const { summary, results } = await clock.run(() => agent.processor.run(contacts(3)));
  assert.deepEqual([summary.completed, summary.failed], [2, 1]);
  const failed = results.get("c1") as Extract<ContactResult, { status: "failed" }>;
  assert.equal(failed.reason, "permanent");
  assert.equal(failed.errorClass, "InvalidRequestError");
  assert.equal(agent.breakers.get("tts").state, "CLOSED");
  await agent.alerts.flush();
  assert.deepEqual(alerts.sent.map((a) => `${a.severity}:${a.key}`), ["error:contact-failed:c1"]);
});

Deno.test("a contact whose retries run out fails with retries-exhausted", async () => {
  const { clock, agent } = testAgent(
    { llm: { faults: [{ fail: "rate-limit", calls: 4 }] } },
    { breaker: { failureThreshold: 10 } },
  );
  await using _ = agent;
  const { results } = await clock.run(() => agent.processor.run(contacts(2)));
  const failed = results.get("c1") as Extract<ContactResult, { status: "failed" }>;
  assert.equal(failed.reason, "retries-exhausted");
  assert.equal(results.get("c2")?.status, "completed");
});

Deno.test("contacts skipped by an open breaker complete in a later pass without paying twice", async () => {
  const { clock, agent, services } = testAgent({
    tts: { faults: [{ calls: 1 }, { fail: "unavailable", untilMs: 60_000 }] },
  });
  await using _ = agent;
  const { summary, results } = await clock.run(async () => {
    agent.health.start();
    try {
      return await agent.processor.run(contacts(4));
    } finally {
      await agent.health.stop();
    }
  });
  assert.deepEqual([summary.completed, summary.failed, summary.skipped], [4, 0, 0]);
  assert.equal(summary.passes, 2);
  assert.ok([...results.values()].every((r) => r.status === "completed"));
  assert.equal(services.llm.callCount, 4, "one script per contact: c2's is reused in pass 2");
  assert.equal(services.tts.callCount, 1 + 3 + 3, "c3 and c4 were skipped before any call");
  assert.equal(services.crm.records.size, 4);
});

Deno.test("skipped contacts stay skipped when the service never recovers within the wait", async () => {
  const { clock, agent } = testAgent(
    { tts: { faults: [{ fail: "unavailable" }] } },
    { processor: { recoveryWaitMs: 120_000 } },
  );
  await using _ = agent;
  const { summary } = await clock.run(async () => {
    agent.health.start();
    try {
      return await agent.processor.run(contacts(3));
    } finally {
      await agent.health.stop();
    }
  });
  assert.deepEqual([summary.completed, summary.skipped], [0, 3]);
});

Deno.test("a bug-level exception in one contact is recorded and the run continues", async () => {
  const { clock, agent, services } = testAgent();
  await using _ = agent;
  const original = services.llm.writeScript.bind(services.llm);
  services.llm.writeScript = (contact, campaign, options) =>
    contact.id === "c1"
      ? Promise.reject(new TypeError("cannot read x of undefined"))
      : original(contact, campaign, options);
  const { results, summary } = await clock.run(() => agent.processor.run(contacts(2)));
  const failed = results.get("c1") as Extract<ContactResult, { status: "failed" }>;
  assert.equal(failed.reason, "internal-error");
  assert.equal(failed.errorClass, "TypeError");
  assert.equal(summary.completed, 1);
  assert.equal(
    agent.breakers.get("llm").snapshot().consecutiveFailures,
    0,
    "a bug is not the service's failure",
  );
});

Deno.test("an internal error outside any service call is caught and recorded", async () => {
  const { clock, agent } = testAgent();
  await using _ = agent;
  const weird = {
    id: "c1",
    name: "x",
    phone: "+14155550100",
    get purpose(): string {
      throw new RangeError("broken contact getter");
    },
  };
  const { results } = await clock.run(() => agent.processor.run([weird, ...contacts(2).slice(1)]));
  const failed = results.get("c1") as Extract<ContactResult, { status: "failed" }>;
  assert.equal(failed.reason, "internal-error");
  assert.equal(failed.errorClass, "RangeError");
  assert.equal(results.get("c2")?.status, "completed");
});

Deno.test("a service-wide error opens the breaker at once and the rest are skipped", async () => {
  const { clock, agent, services } = testAgent({ llm: { faults: [{ fail: "auth" }] } });
  await using _ = agent;
  const { summary } = await clock.run(() => agent.processor.run(contacts(5)));
  assert.equal(services.llm.callCount, 1);
  assert.deepEqual([summary.failed, summary.skipped], [1, 4]);
});
