/**
 * A contact's fate under the faults that matter most, through the real OpenAI, ElevenLabs and
 * webhook clients against fake providers over real sockets, counted at the fakes.
 */
import assert from "node:assert/strict";
import { eventsOfType } from "../_support/events_of_type.ts";
import type { RecordedRequest } from "../../src/fake_providers/mod.ts";
import { httpAgent } from "../_support/http_agent.ts";

/** Contact number `n` of a request's body (`Contact 7` in a prompt or a script). */
function contactOf(request: RecordedRequest): string | undefined {
  return /Contact (\d+)\b/.exec(JSON.stringify(request.body ?? ""))?.[1];
}

function okPerContact(
  requests: RecordedRequest[],
  path: string,
): Map<string, number> {
  const counts = new Map<string, number>();
  for (const request of requests) {
    if (!request.path.startsWith(path) || request.result !== "ok") continue;
    const id = contactOf(request) ?? "?";
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

Deno.test("a quota outage with a healthy probe fails no contact and pays once per contact", async () => {
  // Chat completions answer 429 insufficient_quota for a while; GET /models stays 200, as at
  // OpenAI. Each half-open trial fails with the service-wide error and defers its contact.
  const started = Date.now();
  await using t = httpAgent({
    llm: [{
      fail: "quota",
      probeHealthy: true,
      fromMs: started + 150,
      untilMs: started + 1_200,
    }],
    tts: [{ latencyMs: 40 }],
  }, {
    processor: { concurrency: 4 },
    breaker: { recoveryTimeoutMs: 150 },
  });
  const { summary, records } = await t.runCampaign(20);
  assert.deepEqual([summary.completed, summary.failed, summary.deferred], [
    20,
    0,
    0,
  ]);
  assert.ok(
    t.events.some((e) => e.type === "breaker" && e.from === "HALF_OPEN" && e.to === "OPEN"),
    "a half-open trial failed during the outage",
  );
  assert.ok(
    t.fakes.llm.requests.some((r) => r.result === "quota"),
    "the outage was hit",
  );
  const paid = okPerContact(t.fakes.llm.requests, "/v1/chat/completions");
  assert.equal(paid.size, 20);
  for (const [contact, n] of paid) {
    assert.equal(n, 1, `Contact ${contact} paid ${n} scripts`);
  }
  assert.ok(records.every((r) => r.state === "completed"));
});

Deno.test("no request reaches a service while its breaker is OPEN, not even one queued for a slot", async () => {
  // Six workers, two slots, ElevenLabs answering 503 after 150 ms: the breaker opens while
  // requests wait for a slot; they must be refused when their turn comes, not sent.
  await using t = httpAgent({
    tts: [{ fail: "unavailable", latencyMs: 150, untilMs: Date.now() + 500 }],
  }, {
    processor: { concurrency: 6, recoveryWaitMs: 10_000 },
    retry: { maxRetries: 0 },
    breaker: { failureThreshold: 2, recoveryTimeoutMs: 300 },
    services: { tts: { elevenlabs: { maxConcurrency: 2 } } },
  });
  const openedAt: number[] = [];
  t.agent.breakers.get("tts").onStateChange((change) => {
    if (change.to === "OPEN") openedAt.push(change.at);
  });
  const { summary } = await t.runCampaign(12);
  assert.deepEqual([summary.completed, summary.failed], [12, 0]);
  assert.ok(openedAt.length >= 1, "the breaker opened");
  const posts = t.fakes.tts.requests.filter((r) => r.method === "POST");
  const whileOpen = posts.filter((r) =>
    openedAt.some((at) => r.at >= at && r.at < at + 300 && r.result !== "ok")
  );
  assert.deepEqual(
    whileOpen.map((r) => `${r.at - openedAt[0]}ms ${r.result}`),
    [],
  );
  const sent = posts.filter((r) => r.result === "unavailable").length;
  assert.ok(
    sent <= 3,
    `${sent} failing requests were sent: the threshold is 2`,
  );
  assert.ok(
    t.fakes.tts.peakInFlight() <= 2 + 1,
    "never more than the plan's slots (plus a probe)",
  );
});

Deno.test("a slow but healthy provider with more workers than slots: no timeout, no opening, no wasted synthesis", async () => {
  // Every synthesis takes 300 ms of a 500 ms deadline; four workers share two slots, so half
  // of them wait a whole call for a slot. That wait is not part of any deadline.
  await using t = httpAgent({ tts: [{ latencyMs: 300 }] }, {
    processor: { concurrency: 4 },
    services: { tts: { timeoutMs: 500, elevenlabs: { maxConcurrency: 2 } } },
  });
  const calls: string[] = [];
  t.agent.caller.onAttemptEnd((a) => calls.push(`${a.service}:${a.outcome}`));
  const { summary } = await t.runCampaign(8, { health: false });
  assert.deepEqual([summary.completed, summary.failed, summary.deferred], [
    8,
    0,
    0,
  ]);
  assert.equal(calls.filter((c) => c.endsWith("TimeoutError")).length, 0);
  assert.equal(
    t.events.filter((e) => e.type === "breaker").length,
    0,
    "no false opening",
  );
  assert.equal(t.alerts.sent.length, 0, "no false alert");
  assert.equal(
    t.fakes.tts.count("/v1/text-to-speech", "POST"),
    8,
    "one paid synthesis each",
  );
  assert.equal(t.fakes.tts.peakInFlight(), 2);
});

Deno.test("a 200 that is not audio is never saved as audio nor reported to the CRM", async () => {
  await using t = httpAgent({ tts: [{ malformed: true, calls: 1 }] }, {
    processor: { concurrency: 1 },
  });
  const { summary, records } = await t.runCampaign(2, { health: false });
  assert.deepEqual([summary.completed, summary.failed], [2, 0]);
  for (const bytes of t.written.values()) {
    assert.doesNotMatch(new TextDecoder().decode(bytes), /not json/);
  }
  const first = records[0];
  assert.equal(first.attempts.tts, 2, "the malformed answer was retried");
  assert.ok(
    first.outputs.audio!.byteLength > 20,
    "the saved audio is the real answer's",
  );
  const malformed = eventsOfType(t.events, "retry").find((e) => e.service === "tts");
  assert.equal(malformed?.errorClass, "ServiceUnavailableError");
});
