import assert from "node:assert/strict";
import { VirtualClock } from "../../src/clock/mod.ts";
import { AuthenticationError, RateLimitError, ServiceUnavailableError } from "../../src/errors.ts";
import { FaultSchedule, MockCrm, MockTts } from "../../src/services/mod.ts";

Deno.test("a rule with calls covers that many calls, then the next rule applies", () => {
  const clock = new VirtualClock();
  const schedule = new FaultSchedule("tts", [{ calls: 2 }, {
    fail: "unavailable",
  }], { clock });
  assert.equal(schedule.nextCall().error, undefined);
  assert.equal(schedule.nextCall().error, undefined);
  assert.ok(schedule.nextCall().error instanceof ServiceUnavailableError);
});

Deno.test("a time-span rule applies only inside its span", async () => {
  const clock = new VirtualClock();
  const schedule = new FaultSchedule("tts", [{
    fail: "auth",
    fromMs: 1_000,
    untilMs: 2_000,
  }], {
    clock,
  });
  assert.equal(schedule.nextCall().error, undefined);
  await clock.advance(1_000);
  assert.ok(schedule.nextCall().error instanceof AuthenticationError);
  await clock.advance(1_000);
  assert.equal(schedule.nextCall().error, undefined);
});

Deno.test("probes follow the script without using up its calls", () => {
  const clock = new VirtualClock();
  const schedule = new FaultSchedule(
    "tts",
    [{ fail: "unavailable", calls: 1 }],
    { clock },
  );
  assert.ok(schedule.probe().error);
  assert.ok(schedule.probe().error);
  assert.ok(schedule.nextCall().error);
  assert.equal(schedule.probe().error, undefined);
});

Deno.test("a rate-limit fault carries its Retry-After", () => {
  const clock = new VirtualClock();
  const schedule = new FaultSchedule("llm", [{
    fail: "rate-limit",
    retryAfterMs: 7_000,
  }], {
    clock,
  });
  const error = schedule.nextCall().error;
  assert.ok(error instanceof RateLimitError);
  assert.equal(error.retryAfterMs, 7_000);
});

Deno.test("a mock adds its latency and a hanging mock answers only its signal", async () => {
  const clock = new VirtualClock();
  const tts = new MockTts({
    faults: [{ latencyMs: 1_500, calls: 1 }, { hang: true }],
  }, { clock });
  const audio = await clock.run(() => tts.synthesize({ text: "hi" }));
  assert.equal(clock.now(), 1_500);
  assert.equal(new TextDecoder().decode(audio.bytes), "hi");
  const controller = new AbortController();
  const hanging = tts.synthesize({ text: "hi" }, { signal: controller.signal });
  controller.abort(new Error("gave up"));
  await assert.rejects(hanging, /gave up/);
  assert.equal(tts.callCount, 2);
});

Deno.test("the mock CRM keeps one record per idempotency key", async () => {
  const clock = new VirtualClock();
  const crm = new MockCrm({}, { clock });
  const outcome = {
    campaign: "x",
    contactId: "c1",
    contactName: "A",
    phone: "+14155550100",
    status: "completed" as const,
    script: "s",
    audioFormat: "f",
    audioBytes: 1,
    voice: "audio" as const,
    callSid: "CA00000000000000000000000000000001",
    dials: 1,
    at: 0,
  };
  await crm.recordOutcome(outcome, { idempotencyKey: "x:c1" });
  await crm.recordOutcome(outcome, { idempotencyKey: "x:c1" });
  assert.equal(crm.records.size, 1);
  assert.equal(crm.callCount, 2);
});

Deno.test("the mock CRM's memory stays flat over a long campaign: it keeps the recent keys, and still counts a repeat", async () => {
  const crm = new MockCrm({}, { clock: new VirtualClock() });
  for (let i = 0; i < 50_000; i++) {
    await crm.recordOutcome({} as never, { idempotencyKey: `spring:c${i}` });
  }
  assert.ok(crm.writes.size <= 20_000, `${crm.writes.size} keys kept`);
  await crm.recordOutcome({} as never, { idempotencyKey: "spring:c49999" });
  assert.equal(crm.writes.get("spring:c49999"), 2, "a repeat of a recent outcome is counted");
});
