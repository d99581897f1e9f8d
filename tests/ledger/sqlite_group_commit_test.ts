import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { LeaseLostError, SqliteCampaignStore } from "../../src/ledger/mod.ts";
import { contacts } from "../_support/agent.ts";

/** A ledger file with `n` contacts claimed by "a", opened shared so a test can look inside. */
async function ledgerWithClaims(n: number) {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/l.db`;
  const store = new SqliteCampaignStore(path, { owner: "a", ms: 60_000 }, { access: "shared" });
  await store.ensureCampaign("x", 0);
  await store.addContacts("x", contacts(n), 0);
  await store.claim("x", 1, n);
  const reader = new DatabaseSync(path);
  return {
    path,
    store,
    /** Runs SQL on the file beside the store, as another program would. */
    exec: (sql: string) => reader.exec(sql),
    script: (id: string) =>
      (reader.prepare("SELECT script FROM contacts WHERE id = ?").get(id) as { script: string })
        .script,
    walBytes: () => Deno.statSync(`${path}-wal`).size,
    async [Symbol.asyncDispose]() {
      reader.close();
      await store.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

Deno.test("a contact write settles only once it is committed: another connection sees it by then, not before", async () => {
  await using ledger = await ledgerWithClaims(1);
  const saved = ledger.store.saveStep("x", "c1", "llm", { script: "Hello" }, 2);
  assert.equal(ledger.script("c1"), null, "queued, not yet committed");
  await saved;
  assert.equal(ledger.script("c1"), "Hello");
});

Deno.test("writes asked for in the same turn are one commit: the WAL grows by the pages they share, not a page per write", async () => {
  await using ledger = await ledgerWithClaims(8);
  const frame = 4096 + 24;
  const before = ledger.walBytes();
  await Promise.all(
    Array.from(
      { length: 8 },
      (_, i) => ledger.store.saveStep("x", `c${i + 1}`, "llm", { script: `Hi ${i}` }, 2),
    ),
  );
  const grouped = ledger.walBytes() - before;
  assert.ok(grouped <= 3 * frame, `8 writes appended ${grouped / frame} frames`);
  const apart = ledger.walBytes();
  for (let i = 0; i < 8; i++) {
    await ledger.store.saveStep("x", `c${i + 1}`, "tts", { script: `Again ${i}` }, 3);
  }
  assert.ok(ledger.walBytes() - apart >= 8 * frame, "one after another: a commit each");
});

Deno.test("in a group, a write refused alone fails alone: the others are committed", async () => {
  await using ledger = await ledgerWithClaims(2);
  await ledger.store.addContacts("x", [{ id: "free", name: "F", phone: "+14155550999" }], 3);
  const [held, notHeld, other] = await Promise.allSettled([
    ledger.store.saveStep("x", "c1", "llm", { script: "One" }, 4),
    ledger.store.saveStep("x", "free", "llm", { script: "Never" }, 4),
    ledger.store.complete("x", "c2", "crm-2", 4),
  ]);
  assert.equal(held.status, "fulfilled");
  assert.equal(other.status, "fulfilled");
  assert.equal(notHeld.status, "rejected");
  assert.ok(notHeld.reason instanceof LeaseLostError);
  assert.equal(ledger.script("c1"), "One");
  assert.equal(ledger.script("free"), null);
  assert.equal((await ledger.store.get("x", "c2"))?.state, "completed");
});

Deno.test("in a group, a statement that fails alone fails alone; one that ends the transaction fails them all, none written", async () => {
  await using ledger = await ledgerWithClaims(3);
  // A statement-level error (ABORT undoes that statement), then one that ends the transaction.
  ledger.exec(
    `CREATE TRIGGER refuse BEFORE UPDATE ON contacts WHEN NEW.script = 'refused'
     BEGIN SELECT RAISE(ABORT, 'refused by a trigger'); END;
     CREATE TRIGGER end_all BEFORE UPDATE ON contacts WHEN NEW.script = 'fatal'
     BEGIN SELECT RAISE(ROLLBACK, 'the disk is full'); END;`,
  );
  const alone = await Promise.allSettled([
    ledger.store.saveStep("x", "c1", "llm", { script: "First" }, 2),
    ledger.store.saveStep("x", "c2", "llm", { script: "refused" }, 2),
    ledger.store.saveStep("x", "c3", "llm", { script: "Third" }, 2),
  ]);
  assert.deepEqual(alone.map((outcome) => outcome.status), ["fulfilled", "rejected", "fulfilled"]);
  assert.deepEqual(["c1", "c2", "c3"].map(ledger.script), ["First", null, "Third"]);

  const all = await Promise.allSettled([
    ledger.store.saveStep("x", "c1", "tts", { script: "Second" }, 3),
    ledger.store.saveStep("x", "c2", "tts", { script: "fatal" }, 3),
    ledger.store.saveStep("x", "c3", "tts", { script: "Never" }, 3),
  ]);
  for (const outcome of all) {
    assert.equal(outcome.status, "rejected");
    assert.match(String((outcome as PromiseRejectedResult).reason), /the disk is full/);
  }
  assert.deepEqual(["c1", "c2", "c3"].map(ledger.script), ["First", null, "Third"]);
  // The store goes on: the next group commits.
  await ledger.store.saveStep("x", "c3", "tts", { script: "After" }, 4);
  assert.equal(ledger.script("c3"), "After");
});

Deno.test("closing the store commits the writes already asked for; a write after it is refused", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/l.db`;
    const store = new SqliteCampaignStore(path, { owner: "a", ms: 60_000 });
    await store.ensureCampaign("x", 0);
    await store.addContacts("x", contacts(1), 0);
    await store.claim("x", 1, 1);
    const saved = store.saveStep("x", "c1", "llm", { script: "Kept" }, 2);
    await store.close();
    await saved;
    await assert.rejects(
      store.complete("x", "c1", "crm-1", 3),
      /the ledger is closed: completing c1 was not written/,
    );
    await using reopened = new SqliteCampaignStore(path);
    assert.equal((await reopened.get("x", "c1"))?.outputs.script, "Kept");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Network turns that record what the ledger asked of them. */
function recordingTurns() {
  const calls: ("turn" | "crowded")[] = [];
  const turns = Object.assign(() => (calls.push("turn"), Promise.resolve()), {
    crowded: () => void calls.push("crowded"),
  });
  return { turns, calls, taken: () => calls.filter((call) => call === "turn").length };
}

Deno.test("a commit takes at most 50 writes: 120 asked at once go in three, each after the network's turn, the loop told it is crowded", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const recorded = recordingTurns();
    await using store = new SqliteCampaignStore(`${dir}/l.db`, { owner: "a", ms: 60_000 }, {
      networkTurns: recorded.turns,
    });
    await store.ensureCampaign("x", 0);
    await store.addContacts("x", contacts(120), 0);
    await store.claim("x", 1, 120);
    const turnsSeen: number[] = [];
    await Promise.all(
      Array.from(
        { length: 120 },
        (_, i) =>
          store.saveStep("x", `c${i + 1}`, "llm", { script: `Hi ${i}` }, 2)
            .then(() => turnsSeen.push(recorded.taken())),
      ),
    );
    const byCommit = Object.groupBy(turnsSeen, (turns) => String(turns));
    assert.deepEqual(
      Object.entries(byCommit).map(([turns, writes]) => [Number(turns), writes!.length]),
      [[1, 50], [2, 50], [3, 20]],
    );
    assert.deepEqual(recorded.calls, ["turn", "crowded", "turn", "crowded", "turn"]);
    for (let i = 1; i <= 120; i++) {
      assert.equal((await store.get("x", `c${i}`))?.outputs.script, `Hi ${i - 1}`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("closing the store commits every write asked for, past one commit's 50", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/l.db`;
    const store = new SqliteCampaignStore(path, { owner: "a", ms: 60_000 });
    await store.ensureCampaign("x", 0);
    await store.addContacts("x", contacts(120), 0);
    await store.claim("x", 1, 120);
    const saved = Array.from(
      { length: 120 },
      (_, i) => store.saveStep("x", `c${i + 1}`, "llm", { script: "Kept" }, 2),
    );
    await store.close();
    await Promise.all(saved);
    await using reopened = new SqliteCampaignStore(path);
    assert.equal((await reopened.counts("x")).in_progress, 120);
    for (let i = 1; i <= 120; i++) {
      assert.equal((await reopened.get("x", `c${i}`))?.outputs.script, "Kept", `c${i}`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
