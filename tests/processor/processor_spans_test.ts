/**
 * The processor's spans on the virtual clock, through a Tracing that records them: which span
 * is whose child, and which events land where, for a fallback and a deferral (mocks cost nothing,
 * so a budget stop is checked on the contact's span alone, in contact_spans_test.ts).
 */
import assert from "node:assert/strict";
import { contacts, testAgent } from "../_support/agent.ts";
import { recordingTracing } from "../_support/recording_tracing.ts";

const fast = {
  retry: { maxRetries: 1, initialDelayMs: 100, maxDelayMs: 200, jitterMs: 10 },
  breaker: { failureThreshold: 2, recoveryTimeoutMs: 2_000 },
  health: { intervalMs: 1_000, timeoutMs: 500 },
  processor: { concurrency: 1, recoveryWaitMs: 1_000 },
};

Deno.test("a contact is a span; its steps are children; each attempt a client span under its step", async () => {
  const tracing = recordingTracing();
  const t = testAgent({}, fast, undefined, undefined, 0, { tracing });
  await using _ = t.agent;
  await t.runCampaign(contacts(1));
  const [contact] = tracing.spans.filter((s) => s.name === "contact");
  assert.equal(contact.attributes["ai_call_agent.contact.id"], "c1");
  assert.equal(contact.attributes["ai_call_agent.contact.status"], "completed");
  const steps = tracing.spans.filter((s) => s.parent === contact.id);
  assert.deepEqual(steps.map((s) => s.name), ["step llm", "step tts", "step call", "step crm"]);
  for (const step of steps) {
    const attempts = tracing.spans.filter((s) => s.parent === step.id);
    assert.ok(attempts.length >= 1, `${step.name} has its attempts`);
    assert.ok(
      attempts.every((a) => a.kind === "client" && a.attributes["ai_call_agent.attempt"] === 1),
    );
  }
  assert.ok(tracing.spans.every((s) => s.ended), "every span ended");
});

Deno.test("a fallback is an event of its step; the step says which link served it", async () => {
  const tracing = recordingTracing();
  const t = testAgent(
    {
      tts: { faults: [{ fail: "unavailable" }] },
      fallbacks: { tts: { "backup-voice": {} } },
    },
    {
      ...fast,
      services: { tts: { fallbacks: [{ name: "backup-voice", kind: "mock" }] } },
    },
    undefined,
    undefined,
    0,
    { tracing },
  );
  await using _ = t.agent;
  await t.runCampaign(contacts(1));
  const step = tracing.spans.find((s) => s.name === "step tts")!;
  const fallback = step.events.find((e) => e.name === "fallback");
  assert.deepEqual(
    [
      fallback?.attributes["ai_call_agent.fallback.from"],
      fallback?.attributes["ai_call_agent.fallback.to"],
    ],
    ["tts", "backup-voice"],
  );
  assert.equal(step.attributes["ai_call_agent.provider"], "backup-voice");
  const attempts = tracing.spans.filter((s) => s.parent === step.id);
  assert.deepEqual(
    attempts.map((a) => [a.attributes["ai_call_agent.service"], a.failed ?? "ok"]),
    [["tts", "ServiceUnavailableError"], ["tts", "ServiceUnavailableError"], [
      "backup-voice",
      "ok",
    ]],
  );
  const contact = tracing.spans.find((s) => s.id === step.parent)!;
  assert.equal(contact.attributes["ai_call_agent.fallback.voice"], "backup-voice");
});

Deno.test("a breaker's refusal is an event of the step; the deferral an event of the contact", async () => {
  const tracing = recordingTracing();
  const t = testAgent(
    { tts: { faults: [{ fail: "unavailable" }] } },
    fast,
    undefined,
    undefined,
    0,
    {
      tracing,
    },
  );
  await using _ = t.agent;
  await t.runCampaign(contacts(1));
  const [first] = tracing.spans.filter((s) => s.name === "contact");
  assert.equal(first.attributes["ai_call_agent.contact.status"], "deferred");
  const deferral = first.events.find((e) => e.name === "deferred");
  assert.equal(deferral?.attributes["ai_call_agent.contact.reason"], "circuit-open");
  const step = tracing.spans.find((s) => s.parent === first.id && s.name === "step tts")!;
  assert.ok(step.events.some((e) => e.name === "breaker refused"));
});
