import assert from "node:assert/strict";
import type { AgentEvent } from "../../src/agent/mod.ts";
import { Emitter } from "../../src/events/mod.ts";
import { StatusHistory } from "../../src/server/status_history.ts";

/** A history over an emitter, with a clock a test moves; events are stamped with the time. */
function history(options: { windowMs?: number; bucketMs?: number } = {}) {
  const events = new Emitter<AgentEvent>();
  let now = 1_000_000;
  const startedAt = now;
  const series = new StatusHistory(events, {
    now: () => now,
    startedAt,
    initial: { llm: "CLOSED", tts: "CLOSED" },
  }, options);
  return {
    series,
    at(ms: number) {
      now = startedAt + ms;
    },
    emit(event: Record<string, unknown>) {
      events.emit({ t: now - startedAt, ...event } as AgentEvent);
    },
    startedAt,
  };
}

Deno.test("a scripted outage gives the breaker's bands: closed, open, half-open, closed", () => {
  const h = history();
  h.at(5_000);
  h.emit({ type: "breaker", service: "tts", from: "CLOSED", to: "OPEN", reason: "failures" });
  h.at(15_000);
  h.emit({ type: "breaker", service: "tts", from: "OPEN", to: "HALF_OPEN", reason: "probe" });
  h.at(16_000);
  h.emit({ type: "breaker", service: "tts", from: "HALF_OPEN", to: "CLOSED", reason: "trial" });
  h.at(20_000);
  const { from, to, services } = h.series.series();
  assert.equal(from, h.startedAt, "a run shorter than the window is drawn whole");
  assert.equal(to, h.startedAt + 20_000);
  const tts = services.find((s) => s.service === "tts")!;
  assert.deepEqual(
    tts.bands.map((b) => [b.state, b.from - h.startedAt, b.to - h.startedAt]),
    [
      ["CLOSED", 0, 5_000],
      ["OPEN", 5_000, 15_000],
      ["HALF_OPEN", 15_000, 16_000],
      ["CLOSED", 16_000, 20_000],
    ],
  );
  const llm = services.find((s) => s.service === "llm")!;
  assert.deepEqual(llm.bands.map((b) => b.state), ["CLOSED"], "a quiet breaker: one band");
});

Deno.test("past the window, the oldest changes and buckets are dropped; the state then is kept", () => {
  const h = history({ windowMs: 60_000, bucketMs: 10_000 });
  h.at(1_000);
  h.emit({ type: "attempt", service: "llm", attempt: 1, durationMs: 100, outcome: "success" });
  h.emit({ type: "breaker", service: "tts", from: "CLOSED", to: "OPEN", reason: "failures" });
  h.at(200_000);
  h.emit({ type: "attempt", service: "llm", attempt: 1, durationMs: 100, outcome: "success" });
  const { from, services } = h.series.series();
  assert.equal(from, h.startedAt + 140_000, "the window is the last minute");
  const tts = services.find((s) => s.service === "tts")!;
  assert.deepEqual(tts.bands.map((b) => [b.state, b.from]), [["OPEN", from]]);
  const llm = services.find((s) => s.service === "llm")!;
  assert.equal(llm.buckets.length, 1, "the first bucket is gone");
});

Deno.test("each bucket's p50 and p95 come within the histogram's step of the true values", () => {
  const h = history({ bucketMs: 10_000 });
  h.at(2_000);
  // 100 attempts: 1..100 ms, five of them failed.
  for (let ms = 1; ms <= 100; ms++) {
    h.emit({
      type: "attempt",
      service: "llm",
      attempt: 1,
      durationMs: ms,
      outcome: ms % 20 === 0 ? "ServiceUnavailableError" : "success",
    });
  }
  h.at(12_000);
  h.emit({ type: "attempt", service: "llm", attempt: 2, durationMs: 2_500, outcome: "success" });
  const [first, second] = h.series.series().services.find((s) => s.service === "llm")!.buckets;
  assert.equal(first.success, 95);
  assert.equal(first.failure, 5);
  assert.ok(first.p50 >= 50 && first.p50 <= 50 * 1.12 + 1, `p50 ${first.p50}`);
  assert.ok(first.p95 >= 95 && first.p95 <= 95 * 1.12 + 1, `p95 ${first.p95}`);
  assert.equal(second.t - first.t, 10_000, "the next bucket");
  assert.ok(second.p50 >= 2_500 && second.p50 <= 2_800, `p50 ${second.p50}`);
});

Deno.test("the campaign's completions, deferrals, failures and skips are counted per bucket", () => {
  const h = history({ bucketMs: 10_000 });
  const done = (status: string) =>
    h.emit({ type: "contact-done", contactId: "c", status, deferrals: 0 });
  h.at(1_000);
  done("completed");
  done("completed");
  done("deferred");
  h.at(11_000);
  done("failed");
  done("skipped");
  done("deferred");
  const buckets = h.series.series().campaign.map(({ t: _, ...counts }) => counts);
  assert.deepEqual(buckets, [
    { completed: 2, deferred: 1, failed: 0, skipped: 0 },
    { completed: 0, deferred: 1, failed: 1, skipped: 1 },
  ]);
});

Deno.test("a service first seen in an event gets its own bands from then", () => {
  const h = history();
  h.at(3_000);
  h.emit({ type: "breaker", service: "alerts:tg", from: "CLOSED", to: "OPEN", reason: "x" });
  h.at(4_000);
  const tg = h.series.series().services.find((s) => s.service === "alerts:tg")!;
  assert.deepEqual(tg.bands.map((b) => [b.state, b.from - h.startedAt, b.to - h.startedAt]), [
    ["OPEN", 3_000, 4_000],
  ]);
});
