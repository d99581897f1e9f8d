/**
 * A crash loses no line the log has written. `run` is started as a user starts it; while it runs,
 * the test reads its JSON log from outside until completions show up there (no exit, no flush
 * asked for), then kills it with SIGKILL. Every line seen before the kill is still in the file,
 * and every contact the log says completed is completed in the ledger. (How soon a line reaches
 * the file, 100 ms, is the sink's promise, tested on a virtual clock in
 * `tests/logging/log_file_sink_test.ts`.)
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { contactRows, runWorkspace } from "../_support/run_workspace.ts";
import { readStatusUrl } from "../_support/run_status.ts";
import { endChild, spawnMain } from "../_support/spawn_main.ts";

interface LogLine {
  message: string;
  properties: Record<string, unknown>;
}

/** The log's whole lines; a line still being written at the end is left out. */
async function readLog(path: string): Promise<LogLine[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  return text.split("\n").slice(0, -1).filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as LogLine);
}

function completedIn(lines: LogLine[]): Set<string> {
  return new Set(
    lines.filter((line) =>
      line.properties.type === "contact-done" && line.properties.status === "completed"
    ).map((line) => line.properties.contactId as string),
  );
}

/** Runs `contacts` with mock services taking `latencyMs` per call, reads the log from outside
 * until it holds `seenBeforeKill` completions, kills the run with SIGKILL, and reads back the
 * ledger's completions and the log's. */
async function killedRun(contacts: number, latencyMs: number, seenBeforeKill: number) {
  const mock = { latencyMs, faults: [] };
  await using ws = await runWorkspace({
    prefix: "log-crash-",
    rows: contactRows(contacts),
    config: {
      processor: { concurrency: 4 },
      services: { llm: { mock }, tts: { mock }, crm: { mock } },
    },
  });
  const logPath = `${ws.dir}/logs/agent.jsonl`;
  const child = spawnMain(ws.args(), ws.at());
  const stdout = new Response(child.stdout).text();
  let stderr: Promise<string> | undefined;
  let seen = new Set<string>();
  try {
    stderr = (await readStatusUrl(child)).stderr;
    for (let polls = 0; seen.size < seenBeforeKill; polls++) {
      assert.ok(polls < 2_000, `the log showed ${seen.size} completions while the run lived`);
      await new Promise((resolve) => setTimeout(resolve, 25));
      seen = completedIn(await readLog(logPath));
    }
    child.kill("SIGKILL");
    assert.equal((await child.status).code, 137, "killed before the campaign ended");
  } finally {
    await endChild(child, stdout, stderr);
  }
  const db = new DatabaseSync(ws.db);
  const ledger = new Set(
    (db.prepare("SELECT id FROM contacts WHERE state = 'completed'").all() as { id: string }[])
      .map((row) => row.id),
  );
  db.close();
  const lines = await readLog(logPath);
  return { ledger, seen, logged: completedIn(lines), lines };
}

function assertNothingLost(
  { ledger, seen, logged }: { ledger: Set<string>; seen: Set<string>; logged: Set<string> },
) {
  const lost = [...seen].filter((id) => !logged.has(id));
  assert.deepEqual(lost, [], "lines the file held before the kill are still there");
  const invented = [...logged].filter((id) => !ledger.has(id));
  assert.deepEqual(invented, [], "every completion the log holds is completed in the ledger");
}

Deno.test("SIGKILL mid-campaign: lines reach the file while the run lives, and the kill loses none", async () => {
  const run = await killedRun(20_000, 1, 1_500);
  assert.ok(run.ledger.size < 20_000, `the campaign was still running: ${run.ledger.size}`);
  assertNothingLost(run);
});

Deno.test("SIGKILL early in a short run: its first lines are in the file", async () => {
  const run = await killedRun(40, 200, 1);
  assert.ok(
    run.lines.some((line) => line.properties.type === "run-start"),
    "the run's first line",
  );
  assertNothingLost(run);
});
