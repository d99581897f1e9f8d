import assert from "node:assert/strict";
import {
  type CampaignStore,
  InMemoryCampaignStore,
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
    assert.deepEqual(await store.addContacts("x", contacts(3), 0), { added: 3, alreadyLoaded: 0 });
    assert.deepEqual(await store.addContacts("x", contacts(4), 0), { added: 1, alreadyLoaded: 3 });
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
      await store.defer("x", id, "tts", 0);
    }
    await store.claimNext("x", 0);
    await store.defer("x", "c4", "crm", 0);
    assert.deepEqual((await store.deferredServices("x")).sort(), ["crm", "tts"]);
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
