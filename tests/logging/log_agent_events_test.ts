import assert from "node:assert/strict";
import { configure, type LogRecord, reset } from "@logtape/logtape";
import { logAgentEvent } from "../../src/logging/mod.ts";

Deno.test("a deferral is logged as normal operation, a failure as an error", async () => {
  const records: LogRecord[] = [];
  await configure({
    reset: true,
    sinks: { memory: (record) => records.push(record) },
    loggers: [
      { category: "ai-call-agent", sinks: ["memory"], lowestLevel: "debug" },
      { category: ["logtape", "meta"], sinks: [], lowestLevel: "warning" },
    ],
  });
  try {
    logAgentEvent({
      t: 1,
      type: "contact-done",
      contactId: "c1",
      status: "deferred",
      service: "tts",
      reason: "circuit-open",
      errorClass: "CircuitOpenError",
    });
    logAgentEvent({
      t: 2,
      type: "contact-done",
      contactId: "c2",
      status: "failed",
      service: "tts",
      reason: "permanent",
      errorClass: "InvalidRequestError",
    });
  } finally {
    await reset();
  }
  assert.deepEqual(records.map((r) => `${r.properties.contactId}:${r.level}`), [
    "c1:info",
    "c2:error",
  ]);
});
