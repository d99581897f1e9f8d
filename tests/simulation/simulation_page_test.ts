import assert from "node:assert/strict";
import type { AgentEvent } from "../../src/agent/mod.ts";
import { simulationPage } from "../../src/simulation/mod.ts";

const events = [
  { t: 0, type: "contact-start", contactId: "c1", deferrals: 0 },
  {
    t: 800,
    type: "attempt",
    service: "llm",
    contactId: "c1",
    attempt: 1,
    durationMs: 800,
    outcome: "success",
  },
  {
    t: 2_000,
    type: "attempt",
    service: "tts",
    contactId: "c1",
    attempt: 1,
    durationMs: 1_200,
    outcome: "ServiceUnavailableError",
  },
  {
    t: 2_000,
    type: "retry",
    service: "tts",
    contactId: "c1",
    attempt: 1,
    delayMs: 5_000,
    errorClass: "ServiceUnavailableError",
    error: "down",
  },
  {
    t: 8_000,
    type: "attempt",
    service: "tts",
    contactId: "c1",
    attempt: 2,
    durationMs: 1_000,
    outcome: "ServiceUnavailableError",
  },
  { t: 8_000, type: "breaker", service: "tts", from: "CLOSED", to: "OPEN", reason: "2 failures" },
  {
    t: 8_000,
    type: "contact-done",
    contactId: "c1",
    status: "deferred",
    service: "tts",
    reason: "circuit-open",
    error: "tts <b>down</b>",
    deferrals: 1,
  },
  {
    t: 8_100,
    type: "alert",
    decision: "delivered",
    channel: "tg",
    notificationId: "n1",
    key: "breaker:tts",
    severity: "critical",
    status: "firing",
    summary: "tts open",
  },
  {
    t: 8_100,
    type: "alert",
    decision: "delivered",
    channel: "mail",
    notificationId: "n1",
    key: "breaker:tts",
    severity: "critical",
    status: "firing",
    summary: "tts open",
  },
  { t: 18_000, type: "breaker", service: "tts", from: "OPEN", to: "HALF_OPEN", reason: "probe" },
  { t: 19_000, type: "breaker", service: "tts", from: "HALF_OPEN", to: "CLOSED", reason: "trial" },
  {
    t: 19_000,
    type: "attempt",
    service: "tts",
    contactId: "c1",
    attempt: 1,
    durationMs: 1_000,
    outcome: "success",
  },
  { t: 20_000, type: "contact-done", contactId: "c1", status: "completed", deferrals: 1 },
  {
    t: 20_000,
    type: "contact-done",
    contactId: "c2",
    status: "failed",
    service: "llm",
    reason: "permanent",
    deferrals: 0,
  },
] as unknown as AgentEvent[];

const count = (page: string, pattern: RegExp) => page.match(new RegExp(pattern, "g"))?.length ?? 0;

Deno.test("the page has a breaker band per state each service was in, in the pipeline's order", () => {
  const page = simulationPage(events, { scenario: "seed", summary: "1 completed" });
  const tts = page.slice(
    page.indexOf('data-service="tts"'),
    page.indexOf("</g>", page.indexOf('data-service="tts"')),
  );
  assert.deepEqual([...tts.matchAll(/class="seg" data-state="(\w+)"/g)].map((m) => m[1]), [
    "CLOSED",
    "OPEN",
    "HALF_OPEN",
    "CLOSED",
  ]);
  assert.ok(
    page.indexOf('g class="service" data-service="llm"') <
      page.indexOf('g class="service" data-service="tts"'),
  );
  // The OPEN band starts at 8 s of 20 s: 40% along the 960-pixel plot that starts at 120.
  assert.match(tts, /data-state="OPEN" x="504"/);
});

Deno.test("each contact is a lane with its attempts, retries, deferrals and end; an alert is one mark however many channels sent it", () => {
  const page = simulationPage(events, { scenario: "seed", summary: "1 completed" });
  assert.equal(count(page, /<g class="contact"/), 2);
  assert.equal(count(page, /class="attempt"/), 4);
  assert.equal(count(page, /class="attempt"[^>]*data-outcome="ServiceUnavailableError"/), 2);
  assert.equal(count(page, /class="retry"/), 1);
  assert.equal(count(page, /class="done" data-status="deferred"/), 1);
  assert.equal(count(page, /class="done" data-status="completed"/), 1);
  assert.equal(count(page, /class="done" data-status="failed"/), 1);
  assert.equal(count(page, /class="alert"/), 1);
  assert.ok(!page.includes("<b>down</b>"), "what a service said is escaped");
  assert.ok(page.includes("tts &lt;b&gt;down&lt;/b&gt;"));
});

Deno.test("the page is self-contained: no script, no external file", () => {
  const page = simulationPage(events, { scenario: "seed", summary: "" });
  assert.doesNotMatch(page, /<script|src=|href=|@import|url\(/);
});
