/**
 * A crash loses at most the last 200 ms of the JSON log. `run` is started as a user starts it,
 * killed with SIGKILL mid-campaign, and the contacts its log says completed are compared with
 * the ledger's: any the log misses completed (by the ledger's own clock) within 200 ms of the
 * last commit, whatever the run's length, and a short run keeps what it wrote.
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { contactRows, runWorkspace } from "../_support/run_workspace.ts";
import { readStatusUrl, waitForCounts } from "../_support/run_status.ts";
import { endChild, spawnMain } from "../_support/spawn_main.ts";
import type { StateCounts } from "../../src/ledger/mod.ts";

/** Runs `contacts` with mock services taking `latencyMs` per call, kills the run with SIGKILL
 * once `ready`, and reads back the ledger's completions and the log's. */
async function killedRun(
  contacts: number,
  latencyMs: number,
  ready: (counts: StateCounts) => boolean,
) {
  const mock = { latencyMs, faults: [] };
  await using ws = await runWorkspace({
    prefix: "log-crash-",
    rows: contactRows(contacts),
    config: {
      processor: { concurrency: 4 },
      services: { llm: { mock }, tts: { mock }, crm: { mock } },
    },
  });
  const child = spawnMain(ws.args(), ws.at());
  const stdout = new Response(child.stdout).text();
  let stderr: Promise<string> | undefined;
  try {
    const status = await readStatusUrl(child);
    stderr = status.stderr;
    await waitForCounts(status.url, ready);
    child.kill("SIGKILL");
    assert.equal((await child.status).code, 137);
  } finally {
    await endChild(child, stdout, stderr);
  }
  const db = new DatabaseSync(ws.db);
  const ledger = new Map(
    (db.prepare("SELECT id, updated_at FROM contacts WHERE state = 'completed'").all() as {
      id: string;
      updated_at: number;
    }[]).map((row) => [row.id, Number(row.updated_at)]),
  );
  db.close();
  const lines = (await Deno.readTextFile(`${ws.dir}/logs/agent.jsonl`)).split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as { message: string; properties: Record<string, unknown> });
  const logged = new Set(
    lines.filter((line) =>
      line.properties.type === "contact-done" && line.properties.status === "completed"
    ).map((line) => line.properties.contactId as string),
  );
  return { ledger, logged, lines };
}

/** The completions the log misses, and how long before the last commit each one was. */
function missing(ledger: Map<string, number>, logged: Set<string>) {
  const last = Math.max(...ledger.values());
  return [...ledger].filter(([id]) => !logged.has(id)).map(([id, at]) => ({
    id,
    msBeforeEnd: last - at,
  }));
}

Deno.test("SIGKILL mid-campaign: the log misses only completions of the last 200 ms before the kill", async () => {
  const { ledger, logged } = await killedRun(20_000, 1, (counts) => counts.completed >= 1_500);
  assert.ok(ledger.size >= 1_500, `completed before the kill: ${ledger.size}`);
  const lost = missing(ledger, logged);
  const late = lost.filter((contact) => contact.msBeforeEnd > 200);
  assert.deepEqual(
    late,
    [],
    `${lost.length} of ${ledger.size} completions missing from the log; older than 200 ms: ${
      JSON.stringify(late.slice(0, 5))
    }`,
  );
  for (const id of logged) assert.ok(ledger.has(id), `${id} logged completed is completed`);
});

Deno.test("SIGKILL early in a short run: what the log wrote more than 200 ms before is there", async () => {
  const { ledger, logged, lines } = await killedRun(40, 200, (counts) => counts.completed >= 4);
  assert.ok(lines.some((line) => line.properties.type === "run-start"), "the run's first line");
  const late = missing(ledger, logged).filter((contact) => contact.msBeforeEnd > 200);
  assert.deepEqual(late, [], `completions older than 200 ms missing from the log`);
  assert.ok(logged.size >= 1, "completions were logged");
});
