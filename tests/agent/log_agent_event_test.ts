import assert from "node:assert/strict";
import { logDeps } from "../_support/log_deps.ts";
import { configure, type LogRecord, reset } from "@logtape/logtape";
import { logAgentEvent } from "../../src/agent/mod.ts";

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
      deferrals: 1,
    });
    logAgentEvent({
      t: 2,
      type: "contact-done",
      contactId: "c2",
      status: "failed",
      service: "tts",
      reason: "permanent",
      errorClass: "InvalidRequestError",
      deferrals: 0,
    });
  } finally {
    await reset();
  }
  assert.deepEqual(records.map((r) => `${r.properties.contactId}:${r.level}`), [
    "c1:info",
    "c2:error",
  ]);
});

Deno.test("the JSON log's message is the readable line as plain text, braces and all", async () => {
  const dir = await Deno.makeTempDir();
  const { buildLogConfig } = await import("../../src/logging/mod.ts");
  await configure(
    buildLogConfig({
      filePath: `${dir}/a.jsonl`,
      level: "debug",
      console: false,
    }, logDeps),
  );
  try {
    logAgentEvent({
      t: 0,
      type: "health",
      service: "tts",
      status: "unhealthy",
      from: "healthy",
      changed: true,
    });
    logAgentEvent({
      t: 0,
      type: "invariant-violated",
      reason: 'a {"json": "body"} in a reason',
    });
  } finally {
    await reset();
  }
  const records = (await Deno.readTextFile(`${dir}/a.jsonl`)).trim().split("\n")
    .map((l) => JSON.parse(l));
  await Deno.remove(dir, { recursive: true });
  assert.equal(records[0].message, "  ♥ ElevenLabs health probe: unhealthy");
  assert.equal(
    records[1].message,
    '‼ invariant broken: a {"json": "body"} in a reason',
  );
});
