import assert from "node:assert/strict";
import type { AgentEvent } from "../../src/agent/mod.ts";
import { Emitter } from "../../src/events/mod.ts";
import { RecentEvents } from "../../src/server/mod.ts";

function deferred(t: number, contactId: string): AgentEvent {
  return {
    t,
    type: "contact-done",
    contactId,
    status: "deferred",
    service: "tts",
    reason: "circuit-open",
    errorClass: "CircuitOpenError",
    deferrals: 1,
  };
}

function alert(t: number, decision: string): AgentEvent {
  return {
    t,
    type: "alert",
    decision,
    key: "health:tts",
    severity: "warning",
    status: "firing",
    summary: "tts health probe failing",
  };
}

Deno.test("392 contacts deferred on one open breaker are one line with its count, moved to the end", () => {
  const events = new Emitter<AgentEvent>();
  using recent = new RecentEvents(events);
  events.emit(
    {
      t: 0,
      type: "breaker",
      service: "tts",
      from: "CLOSED",
      to: "OPEN",
      reason: "3 failures",
    } as AgentEvent,
  );
  for (let i = 0; i < 392; i++) events.emit(deferred(10 + i, `c${i}`));
  events.emit(
    {
      t: 500,
      type: "breaker",
      service: "tts",
      from: "OPEN",
      to: "HALF_OPEN",
      reason: "probe",
    } as AgentEvent,
  );
  events.emit(deferred(501, "c999"));
  const list = recent.list();
  assert.deepEqual(list.map((e) => [e.type, e.count]), [
    ["breaker", 1],
    ["breaker", 1],
    ["contact-done", 393],
  ]);
  const run = list[2];
  assert.equal(run.firstT, 10);
  assert.equal(run.t, 501, "the latest of the run");
});

Deno.test("an alert suppressed as a duplicate is counted on the alert it repeats, never shown as a new one", () => {
  const events = new Emitter<AgentEvent>();
  using recent = new RecentEvents(events);
  events.emit(alert(1, "queued"));
  for (let t = 2; t < 12; t++) events.emit(alert(t, "suppressed:duplicate"));
  events.emit(deferred(20, "c1"));
  const list = recent.list();
  assert.deepEqual(list.map((e) => [e.type, e.count]), [["alert", 1], ["contact-done", 1]]);
  assert.equal(list[0].duplicates, 10);
  assert.equal(list[0].t, 1, "still the original alert");
});

Deno.test("it keeps the last `size` runs", () => {
  const events = new Emitter<AgentEvent>();
  using recent = new RecentEvents(events, 3);
  for (let i = 0; i < 5; i++) {
    events.emit(
      {
        t: i,
        type: "breaker",
        service: `s${i}`,
        from: "CLOSED",
        to: "OPEN",
        reason: "x",
      } as AgentEvent,
    );
  }
  assert.deepEqual(recent.list().map((e) => e.t), [2, 3, 4]);
});
