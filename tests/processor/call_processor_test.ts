import assert from "node:assert/strict";
import { eventsOfType } from "../_support/events_of_type.ts";
import { contacts, testAgent } from "../_support/agent.ts";

Deno.test("every contact goes through LLM, TTS and CRM and completes", async () => {
  const t = testAgent();
  await using _ = t.agent;
  const { summary, records } = await t.runCampaign(contacts(5));
  assert.deepEqual([summary.completed, summary.failed, summary.deferred], [
    5,
    0,
    0,
  ]);
  assert.deepEqual([
    t.services.llm.callCount,
    t.services.tts.callCount,
    t.services.crm.callCount,
  ], [
    5,
    5,
    5,
  ]);
  assert.deepEqual([...t.services.crm.records.keys()].slice(0, 2), [
    "default:c1",
    "default:c2",
  ]);
  const record = records.get("c1")!;
  assert.equal(record.state, "completed");
  assert.match(record.outputs.script!, /Hello Contact 1/);
  assert.equal(record.outputs.audio?.sha256?.length, 64);
  assert.equal(record.outputs.crmRecordId, "mock-default:c1");
});

Deno.test("a permanent error fails that contact only and processing moves on", async () => {
  const t = testAgent({
    tts: { faults: [{ fail: "invalid-request", calls: 1 }] },
  });
  await using _ = t.agent;
  const { summary, records } = await t.runCampaign(contacts(3));
  assert.deepEqual([summary.completed, summary.failed], [2, 1]);
  assert.equal(records.get("c1")?.state, "failed");
  assert.match(
    records.get("c1")!.reason!,
    /permanent at tts: InvalidRequestError/,
  );
  assert.equal(t.agent.breakers.get("tts").state, "CLOSED");
  await t.agent.alerts.flush();
  assert.deepEqual(t.alerts.sent.map((a) => `${a.severity}:${a.key}`), [
    "error:contact-failed:c1",
  ]);
});

Deno.test("a contact whose retries run out on a flaky service is deferred, then completes", async () => {
  const t = testAgent(
    { llm: { faults: [{ fail: "rate-limit", calls: 4 }] } },
    { breaker: { failureThreshold: 10 }, processor: { concurrency: 1 } },
  );
  await using _ = t.agent;
  const { records, summary } = await t.runCampaign(contacts(2));
  assert.deepEqual([summary.completed, summary.failed], [2, 0]);
  const c1 = records.get("c1")!;
  assert.deepEqual(
    c1.attempts,
    { llm: 5, tts: 1, call: 1, crm: 1 },
    "4 refused, then 1 that worked",
  );
  assert.equal(c1.deferrals, 1);
  const deferred = eventsOfType(t.events, "contact-done").find((e) => e.status === "deferred");
  assert.equal(deferred?.reason, "retries-exhausted");
  assert.equal(deferred?.errorClass, "RateLimitError");
});

Deno.test("contacts deferred by an open breaker complete once it closes, without paying twice", async () => {
  const t = testAgent(
    {
      tts: { faults: [{ calls: 1 }, { fail: "unavailable", untilMs: 60_000 }] },
    },
    {
      processor: { concurrency: 1 },
    },
  );
  await using _ = t.agent;
  const { summary, records } = await t.runCampaign(contacts(4));
  assert.deepEqual([summary.completed, summary.failed, summary.deferred], [
    4,
    0,
    0,
  ]);
  assert.ok([...records.values()].every((r) => r.state === "completed"));
  assert.equal(
    t.services.llm.callCount,
    4,
    "one script per contact: c2's is reused",
  );
  assert.equal(
    t.services.tts.callCount,
    1 + 3 + 3,
    "c3 and c4 were deferred before any call",
  );
  assert.equal(t.services.crm.records.size, 4);
  const released = t.events.filter((e) => e.type === "released");
  assert.deepEqual(released.map((e) => `${e.breakerState}:${e.contacts}`), [
    "HALF_OPEN:1",
    "CLOSED:2",
  ]);
});

Deno.test("deferred contacts stay deferred when the service never recovers within the wait", async () => {
  const t = testAgent({ tts: { faults: [{ fail: "unavailable" }] } }, {
    processor: { recoveryWaitMs: 120_000 },
  });
  await using _ = t.agent;
  const { summary } = await t.runCampaign(contacts(3));
  assert.deepEqual([summary.completed, summary.deferred], [0, 3]);
  assert.equal(summary.ended, "waiting-for-recovery");
});

Deno.test("a contact's life is bounded by the attempts that reached the provider", async () => {
  // The probe says healthy, so the breaker goes HALF_OPEN, but every trial fails and reopens
  // it: each trial costs the contact one attempt.
  const t = testAgent(
    { tts: { faults: [{ fail: "unavailable", untilMs: 400_000 }] } },
    {
      processor: { concurrency: 1, maxAttemptsPerStep: 3 },
      retry: { maxRetries: 0 },
      breaker: { failureThreshold: 1, recoveryTimeoutMs: 10_000 },
    },
  );
  await using _ = t.agent;
  t.services.tts.probe = () => Promise.resolve(); // the probe says healthy; calls still fail
  const { records } = await t.runCampaign(contacts(1));
  const record = records.get("c1")!;
  assert.equal(record.state, "failed");
  assert.match(
    record.reason!,
    /attempts-exhausted at tts: ServiceUnavailableError/,
  );
  assert.equal(t.services.tts.callCount, 3);
  assert.deepEqual(record.attempts, { llm: 1, tts: 3 });
});

Deno.test("deferrals that called nothing cost nothing: contacts outlast many outages", async () => {
  // Six short TTS outages, a few seconds apart: contacts are deferred again and again while
  // the breaker flickers, but only attempts that reached ElevenLabs count.
  const faults = Array.from({ length: 6 }, (_, i) => ({
    fail: "unavailable" as const,
    fromMs: 1_000 + i * 3_000,
    untilMs: 1_400 + i * 3_000,
  }));
  const t = testAgent({ tts: { latencyMs: 200, faults } }, {
    processor: { concurrency: 8, maxAttemptsPerStep: 2 },
    retry: { maxRetries: 0 },
    breaker: { recoveryTimeoutMs: 500, halfOpenRequiresHealthyProbe: false },
  });
  await using _ = t.agent;
  const { summary, records } = await t.runCampaign(contacts(600), {
    health: false,
  });
  assert.deepEqual([summary.completed, summary.failed, summary.deferred], [
    600,
    0,
    0,
  ]);
  const deferred = [...records.values()].filter((r) => r.deferrals > 0);
  assert.ok(
    deferred.length > 100,
    `only ${deferred.length} deferred: the outages missed`,
  );
  const neverSent = deferred.filter((r) => r.attempts.tts === 1);
  assert.ok(
    neverSent.length > 0.8 * deferred.length,
    "most were deferred before any call",
  );
  for (const record of records.values()) {
    assert.ok(
      (record.attempts.tts ?? 0) <= 2,
      `${record.contact.id}: ${record.attempts.tts}`,
    );
  }
});

Deno.test("a bug-level exception in one contact is recorded and the run continues", async () => {
  const t = testAgent();
  await using _ = t.agent;
  const original = t.services.llm.writeScript.bind(t.services.llm);
  t.services.llm.writeScript = (contact, campaign, options) =>
    contact.id === "c1"
      ? Promise.reject(new TypeError("cannot read x of undefined"))
      : original(contact, campaign, options);
  const { records, summary } = await t.runCampaign(contacts(2));
  assert.match(records.get("c1")!.reason!, /internal-error at llm: TypeError/);
  assert.equal(summary.completed, 1);
  assert.equal(
    t.agent.breakers.get("llm").snapshot().consecutiveFailures,
    0,
    "a bug is not the service's failure",
  );
});

Deno.test("a service-wide error opens the breaker at once and the rest are deferred", async () => {
  const t = testAgent({ llm: { faults: [{ fail: "auth" }] } }, {
    processor: { concurrency: 1, recoveryWaitMs: 1_000 },
  });
  await using _ = t.agent;
  const { summary, records } = await t.runCampaign(contacts(5), {
    health: false,
  });
  assert.equal(t.services.llm.callCount, 1);
  assert.deepEqual(
    [summary.failed, summary.deferred],
    [0, 5],
    "the service is broken, not c1",
  );
  assert.match(
    records.get("c1")!.reason!,
    /service-wide at llm: AuthenticationError/,
  );
});

Deno.test("workers share the breakers: once it opens, no worker calls the down service", async () => {
  const t = testAgent(
    { tts: { faults: [{ fail: "unavailable", latencyMs: 100 }] } },
    {
      processor: { concurrency: 4, recoveryWaitMs: 1_000 },
      retry: { maxRetries: 0 },
    },
  );
  await using _ = t.agent;
  const { summary } = await t.runCampaign(contacts(20), { health: false });
  const opened = t.events.find((e) => e.type === "breaker" && e.to === "OPEN");
  assert.ok(opened);
  const sentAfter = t.events.filter((e) =>
    e.type === "attempt" && e.service === "tts" && e.t - e.durationMs > opened.t
  );
  assert.deepEqual(sentAfter, []);
  // Calls admitted while CLOSED: at most the threshold plus the other workers' calls in flight.
  assert.ok(
    t.services.tts.callCount <= 3 + 4 - 1,
    `tts called ${t.services.tts.callCount} times`,
  );
  assert.equal(summary.completed + summary.failed + summary.deferred, 20);
});

Deno.test("the per-service bulkhead caps calls in flight across workers", async () => {
  const t = testAgent({ llm: { latencyMs: 1_000 } }, {
    processor: { concurrency: 8 },
    services: { llm: { maxInFlight: 2 } },
  });
  await using _ = t.agent;
  let inFlight = 0;
  let peak = 0;
  const original = t.services.llm.writeScript.bind(t.services.llm);
  t.services.llm.writeScript = async (contact, campaign, options) => {
    peak = Math.max(peak, ++inFlight);
    try {
      return await original(contact, campaign, options);
    } finally {
      inFlight--;
    }
  };
  const { summary } = await t.runCampaign(contacts(8), { health: false });
  assert.equal(summary.completed, 8);
  assert.equal(peak, 2);
});
