import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { type FakeSheetsServer, startFakeSheets } from "../../src/fake_providers/mod.ts";
import { SqliteCampaignStore, type StateCounts } from "../../src/ledger/mod.ts";
import { runMain } from "../_support/run_main.ts";
import { runWorkspace } from "../_support/run_workspace.ts";
import { readStatusUrl, waitForCounts } from "../_support/run_status.ts";
import { endChild, spawnMain } from "../_support/spawn_main.ts";

function workspace(config: Record<string, unknown> = {}, rows = 5) {
  return runWorkspace({
    prefix: "run-test-",
    header: "id,name,phone,notes",
    rows: Array.from(
      { length: rows },
      (_, i) => `c${i + 1},Person ${i + 1},+1415555${1000 + i},note ${i}`,
    ),
    config,
  });
}

Deno.test("run with no config works out of the box: every service a healthy mock, exit 0", async () => {
  await using ws = await workspace();
  const { code, stdout, stderr } = await runMain(ws.args(), ws.at());
  assert.equal(code, 0, stderr);
  assert.match(
    stdout,
    /campaign default: 5 completed, 0 failed, 0 deferred of 5/,
  );
  assert.match(stderr, /5 new, 0 already in the ledger, 0 invalid/);
  const again = await runMain(ws.args(), ws.at());
  assert.equal(again.code, 0);
  assert.match(again.stderr, /0 new, 5 already in the ledger/);
});

Deno.test("--db :memory: runs a campaign with a ledger that lives only as long as the run (the benchmark's baseline)", async () => {
  await using ws = await workspace();
  const args = ws.args().map((arg) => arg === "data/ledger.db" ? ":memory:" : arg);
  const { code, stdout, stderr } = await runMain(args, ws.at());
  assert.equal(code, 0, stderr);
  assert.match(stdout, /campaign default: 5 completed, 0 failed/);
  const again = await runMain(args, ws.at());
  assert.match(again.stderr, /5 new, 0 already in the ledger/, "nothing was kept");
  assert.deepEqual(
    [...Deno.readDirSync(ws.dir)].map((entry) => entry.name).filter((name) => name !== "logs")
      .sort(),
    ["config.json", "contacts.csv"],
    "no ledger or lock file was written",
  );
});

Deno.test("run exits 1 when some contacts failed, and reports invalid rows by line", async () => {
  await using ws = await workspace({
    services: {
      tts: {
        mock: { latencyMs: 0, faults: [{ fail: "invalid-request", calls: 1 }] },
      },
    },
  });
  await Deno.writeTextFile(`${ws.dir}/contacts.csv`, "c9,No Phone,,x\n", {
    append: true,
  });
  const { code, stdout, stderr } = await runMain(
    ws.args("--campaign", "spring"),
    ws.at(),
  );
  assert.equal(code, 1);
  assert.match(
    stdout,
    /campaign spring: 4 completed, 1 failed, 0 deferred, 1 invalid of 6/,
  );
  assert.match(stderr, /contacts\.csv:7: missing phone/);
});

Deno.test("run's usage, config and file errors exit 2 with a message naming the problem", async () => {
  await using ws = await workspace();
  const missingFlag = await runMain(["run"], ws.at());
  assert.equal(missingFlag.code, 2);
  assert.match(missingFlag.stderr, /run needs --contacts FILE/);
  const missingFile = await runMain(
    ["run", "--contacts", `${ws.dir}/nope.csv`, "--db", "data/l.db"],
    ws.at(),
  );
  assert.equal(missingFile.code, 2);
  assert.match(missingFile.stderr, /--contacts .*nope\.csv: file not found/);
  const badConcurrency = await runMain(ws.args("--concurrency", "0"), ws.at());
  assert.equal(badConcurrency.code, 2);
  assert.match(
    badConcurrency.stderr,
    /--concurrency must be an integer >= 1: got "0"/,
  );
  await Deno.writeTextFile(
    `${ws.dir}/config.json`,
    JSON.stringify({ services: { llm: { kind: "openai" } } }),
  );
  const missingKey = await runMain(
    ws.args(),
    ws.at({ env: { OPENAI_API_KEY: "" } }),
  );
  assert.equal(missingKey.code, 2);
  assert.match(
    missingKey.stderr,
    /environment variable OPENAI_API_KEY is not set/,
  );
  await Deno.writeFile(
    `${ws.dir}/utf16.csv`,
    new Uint8Array([0xff, 0xfe, 0x69, 0x00]),
  );
  const utf16 = await runMain(
    ["run", "--contacts", `${ws.dir}/utf16.csv`, "--db", "data/l.db"],
    ws.at(),
  );
  assert.equal(utf16.code, 2);
  assert.match(utf16.stderr, /UTF-16; save it as UTF-8/);
  // A do-not-call list that cannot be read stops the start: no one is called unscreened.
  await Deno.writeTextFile(
    `${ws.dir}/config.json`,
    JSON.stringify({ campaign: { doNotCall: "dnc.txt" } }),
  );
  const missingList = await runMain(ws.args(), ws.at());
  assert.equal(missingList.code, 2);
  assert.match(missingList.stderr, /campaign\.doNotCall dnc\.txt: file not found/);
  assert.doesNotMatch(missingList.stdout, /completed/);
});

/**
 * Waits until the running child's counts (its /status) satisfy `ready`, then sends it
 * `signals` 300 ms apart; its exit code and output.
 */
async function interrupted(
  child: Deno.ChildProcess,
  ready: (counts: StateCounts) => boolean,
  signals: Deno.Signal[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new Response(child.stdout).text();
  let stderr: Promise<string> | undefined;
  try {
    const status = await readStatusUrl(child);
    stderr = status.stderr;
    await waitForCounts(status.url, ready);
    for (const [index, signal] of signals.entries()) {
      if (index > 0) await new Promise((resolve) => setTimeout(resolve, 300));
      child.kill(signal);
    }
    const { code } = await child.status;
    return { code, stdout: await stdout, stderr: await stderr };
  } finally {
    await endChild(child, stdout, stderr);
  }
}

Deno.test("SIGINT stops taking contacts, lets calls in flight finish, exits 130; a rerun finishes the rest", async () => {
  await using ws = await workspace({
    processor: { concurrency: 2, shutdownGraceMs: 5_000 },
    services: { llm: { mock: { latencyMs: 150, faults: [] } } },
  }, 40);
  const db = ws.db;
  const stopped = await interrupted(
    spawnMain(ws.args(), ws.at()),
    (counts) => counts.completed >= 2, // some contacts done
    ["SIGINT"],
  );
  assert.equal(stopped.code, 130, stopped.stderr);
  assert.match(stopped.stderr, /SIGINT: finishing calls in flight/);
  {
    await using store = new SqliteCampaignStore(db);
    const counts = await store.counts("default");
    assert.equal(
      counts.in_progress,
      0,
      "calls in flight finished within the grace period",
    );
    assert.ok(
      counts.completed >= 2 && counts.completed < 40,
      `completed ${counts.completed}`,
    );
  }
  const rerun = await runMain(ws.args(), ws.at());
  assert.equal(rerun.code, 0, rerun.stderr);
  assert.match(rerun.stdout, /40 completed/);
});

Deno.test("SIGTERM exits 143; a second signal exits at once, leaves the ledger readable and the log flushed", async () => {
  await using ws = await workspace({
    processor: { concurrency: 2, shutdownGraceMs: 60_000 },
    services: { llm: { mock: { latencyMs: 30_000, faults: [] } } },
  }, 10);
  const stopped = await interrupted(
    spawnMain(ws.args(), ws.at()),
    (counts) => counts.in_progress >= 2,
    ["SIGTERM", "SIGTERM"],
  );
  assert.equal(stopped.code, 143, stopped.stderr);
  assert.doesNotMatch(stopped.stdout, /completed/, "no summary: it exited at once");
  // Written within the last second, so still in the file sink's buffer when the signal came.
  const log = await Deno.readTextFile(`${ws.dir}/logs/agent.jsonl`);
  assert.match(log, /"type":"run-start"/);
  await using store = new SqliteCampaignStore(ws.db);
  const counts = await store.counts("default");
  assert.equal(
    counts.pending + counts.in_progress + counts.completed,
    10,
    JSON.stringify(counts),
  );
});

Deno.test("rows the Sheets log could not deliver are counted in the summary, exit 3, and go out on the next run", async () => {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  const env = {
    GOOGLE_SERVICE_ACCOUNT_JSON: JSON.stringify({
      client_email: "agent@p.iam.gserviceaccount.com",
      private_key: privateKey,
    }),
  };
  const sheetsAt = (fake: FakeSheetsServer) => ({
    sheets: {
      enabled: true,
      spreadsheetId: "sheet-1",
      baseUrl: fake.url,
      tokenUrl: fake.tokenUrl,
      flushIntervalMs: 60_000,
      retry: { maxRetries: 0 },
    },
  });
  {
    await using down = startFakeSheets({
      publicKey,
      faults: [{ fail: "unavailable" }],
    });
    await using ws = await workspace(sheetsAt(down), 3);
    const first = await runMain(ws.args(), ws.at({ env }));
    assert.equal(first.code, 3, first.stderr);
    assert.match(first.stdout, /3 completed, .*3 Sheets row\(s\) waiting/);
    assert.match(
      first.stderr,
      /3 Sheets row\(s\) .* wait in the ledger and the next run sends them/,
    );
    assert.equal(down.rows.length, 0);
    await using up = startFakeSheets({ publicKey });
    await Deno.writeTextFile(
      `${ws.dir}/config.json`,
      JSON.stringify({
        logging: { filePath: "logs/agent.jsonl" },
        server: { port: 0 },
        ...sheetsAt(up),
      }),
    );
    const second = await runMain(ws.args(), ws.at({ env }));
    assert.equal(second.code, 0, second.stderr);
    assert.equal(up.rows.length, 3, "the waiting rows went out, once each");
  }
});
