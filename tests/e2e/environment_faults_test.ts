/**
 * What the environment can refuse, met as a user meets it (`deno task start run ...`, with the
 * task's own permissions): each is exit 2 with one sentence naming the path, port or flag and
 * the fix, found before a ledger or campaign row is made where it can be.
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { runMain, tempConfig } from "../_support/run_main.ts";

const csv = "id,name,phone\nc1,Ada,+14155550100\nc2,Grace,+14155550101\n";

async function workspace(config: Record<string, unknown> = {}) {
  const ws = await tempConfig({ server: { port: 0 }, ...config });
  await Deno.writeTextFile(`${ws.dir}/contacts.csv`, csv);
  const run = (...args: string[]) =>
    runMain([
      "run",
      "--contacts",
      "contacts.csv",
      "--config",
      "config.json",
      ...args,
    ], {
      cwd: ws.dir,
    });
  const exists = (path: string) => Deno.stat(`${ws.dir}/${path}`).then(() => true, () => false);
  return Object.assign(ws, { run, exists });
}

Deno.test("a contacts path that is a folder, or an empty CSV: exit 2, and no ledger is made", async () => {
  await using ws = await workspace();
  await Deno.mkdir(`${ws.dir}/folder.csv`);
  await Deno.writeTextFile(`${ws.dir}/empty.csv`, "");
  const folder = await runMain(
    ["run", "--contacts", "folder.csv", "--config", "config.json"],
    { cwd: ws.dir },
  );
  assert.equal(folder.code, 2, folder.stderr);
  assert.match(
    folder.stderr,
    /--contacts folder\.csv: is a folder, not a file/,
  );
  const empty = await runMain(
    ["run", "--contacts", "empty.csv", "--config", "config.json"],
    { cwd: ws.dir },
  );
  assert.equal(empty.code, 2, empty.stderr);
  assert.match(
    empty.stderr,
    /--contacts empty\.csv: the file is empty: a CSV file starts with a header row/,
  );
  assert.equal(
    await ws.exists("data/ledger.db"),
    false,
    "no ledger for a rejected file",
  );
  for (const result of [folder, empty]) {
    assert.doesNotMatch(result.stderr, /\n\s+at |unexpected error/);
  }
});

Deno.test("a ledger or log file where the task may not write: exit 2, saying where it may", async () => {
  await using ws = await workspace();
  const outside = await Deno.makeTempDir({ prefix: "not-writable-" });
  try {
    const db = await ws.run("--db", `${outside}/ledger.db`);
    assert.equal(db.code, 2, db.stderr);
    assert.match(
      db.stderr,
      /--db .*ledger\.db: this task may not write there; `deno task start` may write only under \.\/data, \.\/logs and \.\/audio/,
    );
    await Deno.writeTextFile(
      ws.path,
      JSON.stringify({
        logging: { filePath: `${outside}/agent.jsonl` },
        server: { port: 0 },
      }),
    );
    const log = await ws.run();
    assert.equal(log.code, 2, log.stderr);
    assert.match(
      log.stderr,
      /logging\.filePath .*agent\.jsonl: this task may not write there/,
    );
    for (const result of [db, log]) {
      assert.doesNotMatch(result.stderr, /NotCapable|\n\s+at /);
    }
  } finally {
    await Deno.remove(outside, { recursive: true });
  }
});

Deno.test("a damaged ledger, or another program's database: exit 2, and the database is left alone", async () => {
  await using ws = await workspace();
  await Deno.mkdir(`${ws.dir}/data`);
  await Deno.writeTextFile(
    `${ws.dir}/data/broken.db`,
    "this is not a database at all, just text",
  );
  const broken = await ws.run("--db", "data/broken.db");
  assert.equal(broken.code, 2, broken.stderr);
  assert.match(
    broken.stderr,
    /--db data\/broken\.db: is not a SQLite database/,
  );
  const other = new DatabaseSync(`${ws.dir}/data/other.db`);
  other.exec("CREATE TABLE invoices (id INTEGER PRIMARY KEY)");
  other.close();
  const foreign = await ws.run("--db", "data/other.db");
  assert.equal(foreign.code, 2, foreign.stderr);
  assert.match(
    foreign.stderr,
    /is not an ai-call-agent ledger \(it holds invoices\)/,
  );
});

Deno.test("a port in use, or a host that is not this machine's: exit 2 before any contact is loaded", async () => {
  await using ws = await workspace();
  using busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = String((busy.addr as Deno.NetAddr).port);
  const inUse = await ws.run("--port", port);
  assert.equal(inUse.code, 2, inUse.stderr);
  assert.match(
    inUse.stderr,
    new RegExp(`server 127\\.0\\.0\\.1:${port} .*the port is in use`),
  );
  assert.doesNotMatch(
    inUse.stderr,
    /loaded contacts\.csv/,
    "found before loading the contacts",
  );
  const db = new DatabaseSync(`${ws.dir}/data/ledger.db`);
  const rows = db.prepare("SELECT COUNT(*) AS n FROM contacts").get() as {
    n: number;
  };
  db.close();
  assert.equal(rows.n, 0);
  await Deno.writeTextFile(
    ws.path,
    JSON.stringify({
      logging: { filePath: "logs/agent.jsonl" },
      server: { port: 0, host: "192.0.2.1" },
    }),
  );
  const host = await ws.run();
  assert.equal(host.code, 2, host.stderr);
  assert.match(
    host.stderr,
    /server 192\.0\.2\.1:0 .*(no interface of this machine has that address|cannot listen there)/,
  );
});

Deno.test("exit codes describe this run: a finished campaign run again exits 0, whatever an earlier file held", async () => {
  await using ws = await workspace();
  await Deno.writeTextFile(`${ws.dir}/bad.csv`, csv + "c3,No Phone,\n");
  const first = await runMain(
    ["run", "--contacts", "bad.csv", "--config", "config.json"],
    { cwd: ws.dir },
  );
  assert.equal(first.code, 1, "this run's file had an invalid row");
  const again = await ws.run();
  assert.equal(again.code, 0, again.stderr);
});

Deno.test("a ledger in a folder nobody may write: exit 2 naming --db, before any contact is loaded", async () => {
  await using ws = await workspace();
  const first = await ws.run();
  assert.equal(first.code, 0, first.stderr);
  // Root ignores file modes; an immutable folder is refused even to root (ext4's chattr).
  const lock = await new Deno.Command("chattr", { args: ["+i", `${ws.dir}/data`], stderr: "null" })
    .output().catch(() => ({ success: false }));
  if (!lock.success) {
    // deno-lint-ignore no-console -- the reason must reach the test output
    console.log("SKIPPED: chattr could not make the ledger's folder read-only here");
    return;
  }
  try {
    const locked = await ws.run();
    assert.equal(locked.code, 2, locked.stderr);
    assert.match(
      locked.stderr,
      /--db data\/ledger\.db: cannot be opened \(its folder is missing or not writable\)/,
    );
    assert.doesNotMatch(locked.stderr, /loaded contacts\.csv|\n\s+at /);
  } finally {
    await new Deno.Command("chattr", { args: ["-i", `${ws.dir}/data`] }).output();
  }
});

Deno.test("a PostgreSQL ledger without its URL, or one that cannot be reached: exit 2 naming the variable, the password never printed", async () => {
  await using ws = await workspace({ ledger: { kind: "postgres" } });
  const unset = await ws.run();
  assert.equal(unset.code, 2, unset.stderr);
  assert.match(
    unset.stderr,
    /ledger\.urlEnv: environment variable AGENT_DATABASE_URL is not set; export it with the PostgreSQL URL/,
  );
  const withDb = await ws.run("--db", "data/x.db");
  assert.equal(withDb.code, 2);
  assert.match(withDb.stderr, /--db names a SQLite ledger file, but ledger\.kind is postgres/);
  // Nothing listens on port 1: refused at once.
  const refused = await runMain(
    ["run", "--contacts", "contacts.csv", "--config", "config.json"],
    { cwd: ws.dir, env: { AGENT_DATABASE_URL: "postgres://agent:s3cr3t-pw@127.0.0.1:1/agent" } },
  );
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(refused.stderr, /ledger \(postgres, from AGENT_DATABASE_URL\): .*check the URL/);
  assert.doesNotMatch(refused.stderr, /s3cr3t-pw/);
  assert.doesNotMatch(refused.stderr, /\n\s+at |unexpected error/);
});
