import assert from "node:assert/strict";
import {
  applicationId,
  type CampaignStore,
  InMemoryCampaignStore,
  LedgerError,
  SqliteCampaignStore,
} from "../../src/ledger/mod.ts";
import { contacts } from "../_support/agent.ts";

const stores: [string, () => CampaignStore][] = [
  ["sqlite", () => new SqliteCampaignStore(":memory:")],
  ["memory", () => new InMemoryCampaignStore()],
];

for (const [kind, make] of stores) {
  Deno.test(`${kind} store: loading the same contacts twice adds nothing twice`, async () => {
    await using store = make();
    await store.ensureCampaign("x", 0);
    assert.deepEqual(await store.addContacts("x", contacts(3), 0), {
      added: 3,
      alreadyLoaded: 0,
      duplicates: [],
    });
    assert.deepEqual(await store.addContacts("x", contacts(4), 0), {
      added: 1,
      alreadyLoaded: 3,
      duplicates: [],
    });
    await store.addInvalid("x", [{ source: "f.csv", line: 7, reason: "bad" }]);
    await store.addInvalid("x", [{ source: "f.csv", line: 7, reason: "bad" }]);
    const counts = await store.counts("x");
    assert.deepEqual([counts.pending, counts.invalid], [4, 1]);
    assert.deepEqual(await store.invalidRows("x"), [{
      source: "f.csv",
      line: 7,
      id: undefined,
      reason: "bad",
    }]);
  });

  Deno.test(`${kind} store: contacts are claimed in load order and move through their states`, async () => {
    await using store = make();
    await store.ensureCampaign("x", 0);
    await store.addContacts("x", contacts(3), 0);
    const first = await store.claimNext("x", 1);
    assert.equal(first?.contact.id, "c1");
    assert.equal(first?.state, "in_progress");
    await store.saveStep("x", "c1", "llm", { script: "Hello" }, 2);
    await store.saveStep("x", "c1", "tts", {
      audio: { format: "mp3", byteLength: 3, sha256: "ab" },
    }, 3);
    await store.complete("x", "c1", "rec-1", 4);
    const done = await store.get("x", "c1");
    assert.deepEqual(done?.outputs, {
      script: "Hello",
      audio: { format: "mp3", byteLength: 3, sha256: "ab" },
      crmRecordId: "rec-1",
    });
    assert.equal(done?.state, "completed");
    assert.equal((await store.claimNext("x", 5))?.contact.id, "c2");
    await store.fail("x", "c2", "permanent at llm", 6);
    assert.equal((await store.get("x", "c2"))?.reason, "permanent at llm");
  });

  Deno.test(`${kind} store: in-progress contacts resume with their saved steps`, async () => {
    await using store = make();
    await store.ensureCampaign("x", 0);
    await store.addContacts("x", contacts(2), 0);
    await store.claimNext("x", 1);
    await store.saveStep("x", "c1", "llm", { script: "Hi" }, 2);
    assert.equal(await store.resumeInterrupted("x", 3), 1);
    const again = await store.claimNext("x", 4);
    assert.equal(again?.contact.id, "c1");
    assert.equal(again?.outputs.script, "Hi");
    assert.equal(again?.step, "llm");
  });

  Deno.test(`${kind} store: deferred contacts are released by service, up to a limit`, async () => {
    await using store = make();
    await store.ensureCampaign("x", 0);
    await store.addContacts("x", contacts(4), 0);
    for (const id of ["c1", "c2", "c3"]) {
      await store.claimNext("x", 0);
      await store.defer("x", id, {
        service: "tts",
        until: 0,
        reason: "circuit-open",
      }, 0);
    }
    await store.claimNext("x", 0);
    await store.defer("x", "c4", {
      service: "crm",
      until: 0,
      reason: "circuit-open",
    }, 0);
    assert.deepEqual((await store.deferredServices("x")).sort(), [
      "crm",
      "tts",
    ]);
    assert.equal(await store.releaseDeferred("x", "tts", 1, 1), 1);
    assert.equal((await store.claimNext("x", 2))?.contact.id, "c1");
    assert.equal(await store.releaseDeferred("x", "tts", 3), 2);
    assert.deepEqual([
      (await store.claimNext("x", 4))?.contact.id,
      (await store.claimNext("x", 4))?.contact.id,
    ], [
      "c2",
      "c3",
    ]);
    assert.equal((await store.get("x", "c1"))?.deferrals, 1);
    assert.equal((await store.counts("x")).deferred, 1);
  });

  Deno.test(`${kind} store: a deferral's time holds the contact back until it comes`, async () => {
    await using store = make();
    await store.ensureCampaign("x", 0);
    await store.addContacts("x", contacts(2), 0);
    await store.claimNext("x", 0);
    await store.defer(
      "x",
      "c1",
      { service: "llm", until: 5_000, reason: "retries" },
      0,
      {
        llm: 4,
      },
    );
    await store.claimNext("x", 0);
    await store.defer("x", "c2", {
      service: "llm",
      until: 9_000,
      reason: "retries",
    }, 0);
    assert.equal(await store.nextDeferredAt("x", 0), 5_000);
    assert.equal(
      await store.releaseDeferred("x", "llm", 4_999),
      0,
      "not before its time",
    );
    assert.equal(await store.releaseDeferred("x", "llm", 5_000), 1);
    const record = await store.claimNext("x", 5_000);
    assert.equal(record?.contact.id, "c1");
    assert.deepEqual(
      record?.attempts,
      { llm: 4 },
      "the attempts it cost are kept",
    );
    assert.equal(await store.nextDeferredAt("x", 5_000), 9_000);
  });

  Deno.test(`${kind} store: contacts are claimed a few at a time, in order, and unclaimed if never started`, async () => {
    await using store = make();
    await store.ensureCampaign("x", 0);
    await store.addContacts("x", contacts(5), 0);
    const first = await store.claim("x", 1, 3);
    assert.deepEqual(first.map((r) => r.contact.id), ["c1", "c2", "c3"]);
    assert.equal((await store.counts("x")).in_progress, 3);
    await store.unclaim("x", ["c2", "c3"], 2);
    assert.deepEqual([(await store.counts("x")).in_progress, (await store.counts("x")).pending], [
      1,
      4,
    ]);
    const next = await store.claim("x", 3, 10);
    assert.deepEqual(next.map((r) => r.contact.id), ["c2", "c3", "c4", "c5"]);
    assert.deepEqual(await store.claim("x", 4, 10), []);
  });

  Deno.test(`${kind} store: CRM keys are unambiguous and fixed when the contact is added`, async () => {
    await using store = make();
    for (
      const [campaign, id] of [["a:b", "c"], ["a", "b:c"], ["spring", "c1"]]
    ) {
      await store.ensureCampaign(campaign, 0);
      await store.addContacts(campaign, [{
        id,
        name: "N",
        phone: "+14155550100",
      }], 0);
    }
    const keys = [
      (await store.get("a:b", "c"))?.crmKey,
      (await store.get("a", "b:c"))?.crmKey,
      (await store.get("spring", "c1"))?.crmKey,
    ];
    assert.deepEqual(keys, ["a%3Ab:c", "a:b%3Ac", "spring:c1"]);
  });

  Deno.test(`${kind} store: the deadline fails every contact not yet finished`, async () => {
    await using store = make();
    await store.ensureCampaign("x", 0);
    await store.addContacts("x", contacts(3), 0);
    await store.claimNext("x", 0);
    await store.complete("x", "c1", "r1", 1);
    await store.claimNext("x", 1);
    await store.defer("x", "c2", {
      service: "tts",
      until: 0,
      reason: "circuit-open",
    }, 1);
    assert.equal(await store.failRemaining("x", "deadline-passed", 2), 2);
    const counts = await store.counts("x");
    assert.deepEqual([
      counts.completed,
      counts.failed,
      counts.pending,
      counts.deferred,
    ], [
      1,
      2,
      0,
      0,
    ]);
    assert.equal((await store.get("x", "c3"))?.reason, "deadline-passed");
  });
}

Deno.test("the SQLite ledger survives reopening the file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    {
      await using store = new SqliteCampaignStore(`${dir}/l.db`);
      await store.ensureCampaign("x", 0);
      await store.addContacts("x", contacts(2), 0);
      await store.claimNext("x", 1);
      await store.saveStep("x", "c1", "llm", { script: "Saved" }, 2);
    }
    await using reopened = new SqliteCampaignStore(`${dir}/l.db`);
    assert.equal(await reopened.resumeInterrupted("x", 3), 1);
    assert.equal((await reopened.claimNext("x", 4))?.outputs.script, "Saved");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a first-release ledger is brought forward and keeps its contacts", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/old.db`;
    const { DatabaseSync } = await import("node:sqlite");
    const db = new DatabaseSync(path);
    db.exec(
      `CREATE TABLE campaigns (name TEXT PRIMARY KEY, created_at INTEGER NOT NULL);
      CREATE TABLE contacts (campaign TEXT NOT NULL, id TEXT NOT NULL, seq INTEGER NOT NULL,
        contact TEXT NOT NULL, state TEXT NOT NULL, step TEXT, reason TEXT,
        deferrals INTEGER NOT NULL DEFAULT 0, deferred_service TEXT, script TEXT, audio TEXT,
        crm_record_id TEXT, updated_at INTEGER NOT NULL, PRIMARY KEY (campaign, id));
      CREATE TABLE outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, queue TEXT NOT NULL,
        payload TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL);
      CREATE TABLE invalid_rows (campaign TEXT NOT NULL, source TEXT NOT NULL,
        line INTEGER NOT NULL, contact_id TEXT, reason TEXT NOT NULL,
        PRIMARY KEY (campaign, source, line));
      INSERT INTO campaigns VALUES ('x', 0);
      INSERT INTO contacts (campaign, id, seq, contact, state, script, updated_at)
        VALUES ('x', 'c1', 1, '{"id":"c1","name":"A","phone":"+14155550100"}', 'in_progress', 'Hi', 0);`,
    );
    db.close();
    await using store = new SqliteCampaignStore(path);
    assert.equal(await store.resumeInterrupted("x", 1), 1);
    const record = await store.claimNext("x", 2);
    assert.equal(record?.outputs.script, "Hi");
    assert.deepEqual(record?.attempts, {});
    const check = new DatabaseSync(path);
    const stamp = check.prepare("PRAGMA application_id").get() as {
      application_id: number;
    };
    const version = check.prepare("PRAGMA user_version").get() as {
      user_version: number;
    };
    check.close();
    assert.equal(stamp.application_id, applicationId);
    assert.equal(version.user_version, 5);
    assert.equal(
      record?.crmKey,
      "x:c1",
      "the key an earlier release sent stays the same",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a database that is not a ledger is refused and left untouched", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/other.db`;
    const { DatabaseSync } = await import("node:sqlite");
    const db = new DatabaseSync(path);
    db.exec("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)");
    db.close();
    assert.throws(
      () => new SqliteCampaignStore(path),
      (error) =>
        error instanceof LedgerError &&
        /is not an ai-call-agent ledger \(it holds invoices\)/
          .test(error.message),
    );
    const check = new DatabaseSync(path);
    const tables = check.prepare(
      "SELECT name FROM sqlite_master WHERE type = 'table'",
    ).all();
    const mode = check.prepare("PRAGMA journal_mode").get() as {
      journal_mode: string;
    };
    check.close();
    assert.deepEqual(tables.map((t) => (t as { name: string }).name), [
      "invoices",
    ]);
    assert.notEqual(mode.journal_mode, "wal");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
