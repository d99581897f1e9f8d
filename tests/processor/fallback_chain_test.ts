/**
 * Fallback chains on the virtual clock: which provider a contact gets, when traffic goes back to
 * the primary, and that a contact is deferred only when no link can take it. Counted at the
 * mocks (what reached each provider), not from what the agent says.
 */
import assert from "node:assert/strict";
import type { MockCallEvent } from "../../src/services/mod.ts";
import { contacts, testAgent } from "../_support/agent.ts";

const fast = {
  retry: { maxRetries: 1, initialDelayMs: 100, maxDelayMs: 200, jitterMs: 10 },
  breaker: { failureThreshold: 3, recoveryTimeoutMs: 2_000 },
  health: { intervalMs: 1_000, timeoutMs: 500 },
  processor: { concurrency: 1, recoveryWaitMs: 5_000 },
};

function withVoiceFallback(extra: Record<string, unknown> = {}) {
  return {
    ...fast,
    services: { tts: { fallbacks: [{ name: "backup-voice", kind: "mock" }] } },
    ...extra,
  };
}

/** Every call each mock received, in order. */
function record(...mocks: { onCall(listener: (event: MockCallEvent) => void): Disposable }[]) {
  const calls: MockCallEvent[] = [];
  for (const mock of mocks) mock.onCall((event) => calls.push(event));
  return calls;
}

Deno.test("primary voice down for the middle third: the fallback serves exactly the contacts it could not, and traffic returns within a recovery time and a probe", async () => {
  const outage = { fromMs: 10_000, untilMs: 20_000 };
  const t = testAgent({
    tts: { latencyMs: 100, faults: [{ fail: "unavailable", ...outage }] },
    fallbacks: { tts: { "backup-voice": { latencyMs: 100 } } },
  }, withVoiceFallback());
  await using _ = t.agent;
  const [backup] = t.services.fallbacks.tts;
  const calls = record(t.services.tts, backup);
  const { summary, records } = await t.runCampaign(contacts(300));

  assert.deepEqual(
    [summary.completed, summary.failed, summary.deferred],
    [300, 0, 0],
    "no contact waited or failed",
  );
  const byProvider = (provider: string) =>
    [...records.values()].filter((r) => r.outputs.audio?.provider === provider).length;
  assert.equal(byProvider("tts") + byProvider("backup-voice"), 300);
  assert.ok(byProvider("backup-voice") > 0, "the fallback took contacts during the outage");

  const synth = calls.filter((call) => call.operation === "synthesize");
  const served = (service: string) =>
    synth.filter((call) => call.service === service && call.result === "ok");
  assert.equal(served("tts").length, byProvider("tts"), "each contact's voice paid once");
  assert.equal(served("backup-voice").length, byProvider("backup-voice"));
  // Exactly the contacts the primary could not serve: each went to the fallback only after a
  // fallback event from the primary, and only then.
  const fellBack = new Set(
    t.events.filter((e) => e.type === "fallback" && e.from === "tts").map((e) =>
      e.type === "fallback" ? e.contactId : ""
    ),
  );
  const onBackup = new Set(
    [...records.entries()].filter(([, r]) => r.outputs.audio?.provider === "backup-voice")
      .map(([id]) => id),
  );
  assert.deepEqual([...onBackup].sort(), [...fellBack].sort());
  // Nothing went to the fallback outside the outage, bar the return: the last fallback
  // synthesis is at most a recovery time and a probe interval (plus one contact) past its end.
  const lastOnBackup = Math.max(...served("backup-voice").map((call) => call.at));
  const firstOnBackup = Math.min(...served("backup-voice").map((call) => call.at));
  assert.ok(firstOnBackup >= outage.fromMs, `first fallback at ${firstOnBackup}`);
  assert.ok(
    lastOnBackup <= outage.untilMs + 2_000 + 1_000 + 200,
    `last fallback synthesis at ${lastOnBackup}`,
  );
  assert.ok(
    served("tts").some((call) => call.at > outage.untilMs),
    "the primary serves again after it recovers",
  );
  // Telling people: a warning while on the fallback, resolved once back; the primary's
  // opening is a warning too (the campaign kept calling); nothing critical.
  const alertEvents = t.events.filter((e) => e.type === "alert");
  const raised = (key: string, status: string) =>
    alertEvents.some((e) => e.type === "alert" && e.key === key && e.status === status);
  assert.ok(raised("fallback:tts", "firing") && raised("fallback:tts", "resolved"));
  const fallbackAlert = alertEvents.find((e) => e.type === "alert" && e.key === "fallback:tts");
  assert.match(
    fallbackAlert?.type === "alert" ? fallbackAlert.summary : "",
    /^tts running on fallback backup-voice since 1970-01-01T00:00:1\d/,
  );
  assert.ok(
    alertEvents.every((e) => e.type !== "alert" || e.severity !== "critical"),
    "no critical alert while the chain kept calling",
  );
  assert.deepEqual(t.alerts.sent.map((a) => a.key), [], "critical and error only reach it");
  // The primary's failures before it opened are the only extra requests.
  const primaryFailures = synth.filter((c) => c.service === "tts" && c.result !== "ok");
  assert.ok(primaryFailures.length <= 3 + 2, `${primaryFailures.length} failed on the primary`);
});

Deno.test("a 401 on the primary moves every contact to the fallback, none dropped", async () => {
  const t = testAgent({
    tts: { faults: [{ fail: "auth" }] },
    fallbacks: { tts: { "backup-voice": {} } },
  }, withVoiceFallback());
  await using _ = t.agent;
  const calls = record(t.services.tts, t.services.fallbacks.tts[0]);
  const { summary, records } = await t.runCampaign(contacts(20));
  assert.deepEqual([summary.completed, summary.failed, summary.deferred], [20, 0, 0]);
  assert.ok([...records.values()].every((r) => r.outputs.audio?.provider === "backup-voice"));
  const primary = calls.filter((c) => c.service === "tts" && c.operation === "synthesize");
  assert.equal(primary.length, 1, "the service-wide 401 opened the primary at once");
  assert.equal(t.agent.breakers.get("tts").state, "OPEN");
});

Deno.test("every link down defers the contacts on the primary; none fails", async () => {
  const t = testAgent({
    tts: { faults: [{ fail: "unavailable" }] },
    fallbacks: { tts: { "backup-voice": { faults: [{ fail: "quota" }] } } },
  }, withVoiceFallback());
  await using _ = t.agent;
  const { summary, records } = await t.runCampaign(contacts(6));
  assert.equal(summary.failed, 0);
  assert.equal(summary.deferred, 6);
  assert.ok([...records.values()].every((r) => r.deferredService === "tts"));
  const critical = t.alerts.sent.filter((a) => a.severity === "critical");
  assert.deepEqual(
    critical.map((a) => [a.key, a.summary]),
    [["chain-down:tts", "every tts provider is down: tts, backup-voice"]],
    "one critical alert, for the whole chain",
  );
});

Deno.test("a contact whose input one voice refuses is tried on the next, and fails only when every voice refuses it", async () => {
  const refused = testAgent({
    tts: { faults: [{ fail: "invalid-request" }] },
    fallbacks: { tts: { "backup-voice": {} } },
  }, withVoiceFallback());
  await using _a = refused.agent;
  const one = await refused.runCampaign(contacts(2));
  assert.deepEqual([one.summary.completed, one.summary.failed], [2, 0]);

  const everywhere = testAgent({
    tts: { faults: [{ fail: "invalid-request" }] },
    fallbacks: { tts: { "backup-voice": { faults: [{ fail: "invalid-request" }] } } },
  }, withVoiceFallback());
  await using _b = everywhere.agent;
  const both = await everywhere.runCampaign(contacts(2));
  assert.deepEqual([both.summary.completed, both.summary.failed], [0, 2]);
  assert.ok([...both.records.values()].every((r) => r.reason?.startsWith("permanent at tts")));
});

Deno.test("the script's chain: the fallback writes while the primary is out of quota, and says who wrote it", async () => {
  const t = testAgent({
    llm: { faults: [{ fail: "quota" }] },
    fallbacks: { llm: { "backup-writer": {} } },
  }, {
    ...fast,
    services: { llm: { fallbacks: [{ name: "backup-writer", kind: "mock" }] } },
  });
  await using _ = t.agent;
  const { summary, records } = await t.runCampaign(contacts(5));
  assert.deepEqual([summary.completed, summary.failed, summary.deferred], [5, 0, 0]);
  for (const record of records.values()) {
    assert.equal(record.outputs.scriptBy?.provider, "backup-writer");
  }
  assert.ok(
    t.agent.breakers.all().some((b) => b.service === "backup-writer"),
    "the link is a service of its own, with its own breaker",
  );
});

Deno.test("attempts on every link count toward processor.maxAttemptsPerStep", async () => {
  const t = testAgent(
    {
      tts: { faults: [{ fail: "unavailable" }] },
      fallbacks: { tts: { "backup-voice": { faults: [{ fail: "unavailable" }] } } },
    },
    withVoiceFallback({
      breaker: { failureThreshold: 100, recoveryTimeoutMs: 100 },
      processor: { concurrency: 1, recoveryWaitMs: 60_000, maxAttemptsPerStep: 4 },
    }),
  );
  await using _ = t.agent;
  const calls = record(t.services.tts, t.services.fallbacks.tts[0]);
  const { summary, records } = await t.runCampaign(contacts(1));
  assert.equal(summary.failed, 1);
  assert.match(records.get("c1")!.reason ?? "", /attempts-exhausted/);
  assert.equal(
    calls.filter((c) => c.operation === "synthesize").length,
    4,
    "two attempts on each link, four in all",
  );
});
