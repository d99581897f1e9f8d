import assert from "node:assert/strict";
import {
  applicationId,
  type CampaignStore,
  InMemoryCampaignStore,
  LeaseLostError,
  LedgerError,
  PostgresCampaignStore,
  SqliteCampaignStore,
} from "../../src/ledger/mod.ts";
import { contacts } from "../_support/agent.ts";
import postgres from "postgres";
import { migrations as postgresMigrations } from "../../src/ledger/postgres/migrations.ts";
import { postgresUnavailable, startPostgres } from "../_support/postgres.ts";
import { nameUnless } from "../_support/skip.ts";

type Test = (name: string, fn: () => Promise<void>) => void;
type Make = () => CampaignStore | Promise<CampaignStore>;
/** Two stores on one ledger, with different lease owners and 1 s leases. */
type MakePair = () => Promise<[CampaignStore, CampaignStore] & AsyncDisposable>;

/** The contract every store keeps: the same tests against memory, SQLite and PostgreSQL. */
function contract(kind: string, make: Make, test: Test, makePair?: MakePair): void {
  test(`${kind} store: loading the same contacts twice adds nothing twice`, async () => {
    await using store = await make();
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

  test(`${kind} store: contacts are claimed in load order and move through their states`, async () => {
    await using store = await make();
    await store.ensureCampaign("x", 0);
    await store.addContacts("x", contacts(3), 0);
    const first = await store.claimNext("x", 1);
    assert.equal(first?.contact.id, "c1");
    assert.equal(first?.state, "in_progress");
    await store.saveStep("x", "c1", "llm", { script: "Hello" }, 2);
    await store.saveStep("x", "c1", "tts", {
      audio: { format: "mp3", byteLength: 3, sha256: "ab" },
    }, 3);
    const call = {
      dials: 1,
      previousSids: [],
      dialing: { at: 3, marker: "m1" },
      sid: "CA1",
      final: { status: "completed" as const, durationS: 12 },
    };
    await store.complete("x", "c1", "rec-1", 4, { llm: 1 }, call);
    const done = await store.get("x", "c1");
    assert.deepEqual(done?.outputs, {
      script: "Hello",
      audio: { format: "mp3", byteLength: 3, sha256: "ab" },
      call,
      crmRecordId: "rec-1",
    });
    assert.equal(done?.state, "completed");
    assert.equal((await store.claimNext("x", 5))?.contact.id, "c2");
    await store.fail("x", "c2", "permanent at llm", 6);
    assert.equal((await store.get("x", "c2"))?.reason, "permanent at llm");
  });

  test(`${kind} store: in-progress contacts resume with their saved steps`, async () => {
    await using store = await make();
    await store.ensureCampaign("x", 0);
    await store.addContacts("x", contacts(2), 0);
    await store.claimNext("x", 1);
    await store.saveStep("x", "c1", "llm", {
      script: "Hi",
      scriptBy: { provider: "claude", model: "claude-haiku-4-5" },
    }, 2);
    await store.saveStep("x", "c1", "tts", { audio: { format: "mp3", byteLength: 3 } }, 3);
    // Past its lease (where processes share the ledger, only an expired one is taken back).
    assert.equal(await store.resumeInterrupted("x", 100_000), 1);
    const again = await store.claimNext("x", 100_001);
    assert.equal(again?.contact.id, "c1");
    assert.equal(again?.outputs.script, "Hi");
    assert.deepEqual(
      again?.outputs.scriptBy,
      { provider: "claude", model: "claude-haiku-4-5" },
      "which provider wrote the script stays with it, whatever is saved after",
    );
    assert.equal(again?.step, "tts");
  });

  test(`${kind} store: what each contact's steps cost is kept with it and summed per campaign`, async () => {
    await using store = await make();
    await store.ensureCampaign("x", 0);
    await store.ensureCampaign("y", 0);
    await store.addContacts("x", contacts(2), 0);
    await store.addContacts("y", contacts(1), 0);
    assert.deepEqual(await store.spendOf("x"), {});
    await store.claimNext("x", 1);
    await store.claimNext("x", 1);
    await store.claimNext("y", 1);
    await store.saveStep("x", "c1", "llm", { script: "a", spend: { llm: 0.25 } }, 2);
    await store.saveStep("x", "c1", "tts", {
      audio: { format: "mp3", byteLength: 1 },
      spend: { llm: 0.25, tts: 0.5 },
    }, 3);
    await store.saveStep("x", "c2", "llm", { script: "b", spend: { llm: 0.125 } }, 2);
    await store.saveStep("y", "c1", "llm", { script: "c", spend: { llm: 8 } }, 2);
    assert.deepEqual(await store.spendOf("x"), { llm: 0.375, tts: 0.5 });
    assert.deepEqual((await store.get("x", "c1"))?.outputs.spend, { llm: 0.25, tts: 0.5 });
  });

  test(`${kind} store: a call counted at an estimate is settled at its price once, on the estimate's day`, async () => {
    await using store = await make();
    await store.ensureCampaign("x", 0);
    await store.addContacts("x", contacts(1), 0);
    await store.claimNext("x", 1);
    const call = {
      dials: 1,
      previousSids: [],
      sid: "CA1",
      final: {
        status: "completed" as const,
        durationS: 65,
        estimate: { amount: 0.028, day: "2026-12-04" },
      },
    };
    await store.saveStep("x", "c1", "call", {
      call,
      spend: { llm: 0.5, call: 0.028 },
      cost: { amount: 0.028, day: "2026-12-04" },
    }, 2);
    await store.complete("x", "c1", "r1", 3);
    assert.deepEqual(await store.estimatedCallPrices("x"), [
      { contactId: "c1", sid: "CA1", estimate: 0.028 },
    ]);
    assert.equal(await store.settleCallPrice("x", "c1", 0.04), true);
    assert.equal(await store.settleCallPrice("x", "c1", 0.04), false, "once");
    assert.deepEqual(await store.estimatedCallPrices("x"), []);
    const record = await store.get("x", "c1");
    assert.equal(record?.outputs.call?.final?.price, 0.04);
    assert.equal(record?.outputs.call?.final?.estimate, undefined);
    assert.ok(Math.abs((record?.outputs.spend?.call ?? 0) - 0.04) < 1e-12);
    const totals = await store.spendTotals("x", "2026-12-04");
    assert.ok(Math.abs(totals.onDay - 0.04) < 1e-12 && Math.abs(totals.total - 0.04) < 1e-12);
  });

  test(`${kind} store: deferred contacts are released by service, up to a limit`, async () => {
    await using store = await make();
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

  test(`${kind} store: a deferral's time holds the contact back until it comes`, async () => {
    await using store = await make();
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

  test(`${kind} store: contacts are claimed a few at a time, in order, and unclaimed if never started`, async () => {
    await using store = await make();
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

  test(`${kind} store: CRM keys are unambiguous and fixed when the contact is added`, async () => {
    await using store = await make();
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

  test(`${kind} store: the deadline fails every contact not yet finished`, async () => {
    await using store = await make();
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

  test(`${kind} store: a write on a contact this store does not hold is refused and changes nothing`, async () => {
    await using store = await make();
    await store.ensureCampaign("x", 0);
    await store.addContacts("x", contacts(2), 0);
    await store.claimNext("x", 0);
    await assert.rejects(store.saveStep("x", "c2", "llm", { script: "no" }, 1), LeaseLostError);
    await assert.rejects(store.complete("x", "c2", "r", 1), LeaseLostError);
    await store.complete("x", "c1", "r1", 1);
    await assert.rejects(store.fail("x", "c1", "late", 2), LeaseLostError, "done is done");
    assert.equal((await store.get("x", "c1"))?.state, "completed");
    assert.equal((await store.get("x", "c2"))?.state, "pending");
  });

  if (!makePair) return;

  test(`${kind} store: a live lease is not taken; an expired one is, and its old holder's writes are refused`, async () => {
    await using pair = await makePair();
    const [a, b] = pair;
    await a.ensureCampaign("x", 0);
    await a.addContacts("x", contacts(3), 0);
    assert.deepEqual((await a.claim("x", 0, 1)).map((r) => r.contact.id), ["c1"]);
    assert.equal((await a.get("x", "c1"))?.lease?.owner, a.lease.owner);
    assert.deepEqual((await b.claim("x", 500, 1)).map((r) => r.contact.id), ["c2"]);
    assert.equal(await a.nextLeaseExpiry("x"), 1_000);
    // A renews c1 at 800: held until 1,800, so B's claim at 1,500 does not take it.
    assert.deepEqual(await a.renewLeases("x", ["c1"], 800), []);
    assert.deepEqual((await b.claim("x", 1_500, 1)).map((r) => r.contact.id), ["c3"]);
    // A stalls past 1,800: B takes c1 over (expired leases come first), with its outputs.
    await a.saveStep("x", "c1", "llm", { script: "A's script" }, 900);
    const [taken] = await b.claim("x", 1_900, 5);
    assert.equal(taken.contact.id, "c1");
    assert.equal(taken.outputs.script, "A's script", "the steps saved stay with the contact");
    assert.deepEqual(await a.renewLeases("x", ["c1"], 1_950), ["c1"], "A learns it lost c1");
    await assert.rejects(a.saveStep("x", "c1", "tts", {}, 1_950), LeaseLostError);
    await assert.rejects(a.complete("x", "c1", "from A", 1_950), LeaseLostError);
    await a.unclaim("x", ["c1"], 1_950); // not A's to give back: nothing happens
    await b.complete("x", "c1", "from B", 2_000);
    const record = await b.get("x", "c1");
    assert.deepEqual([record?.state, record?.outputs.crmRecordId], ["completed", "from B"]);
  });

  /** A dial recorded now, not ended. */
  const dialing = (at: number) => ({ dials: 1, previousSids: [], dialing: { at, marker: "m" } });
  /** Contacts `ids` of `campaign`, all on one number, claimed. */
  const onOneNumber = async (store: CampaignStore, campaign: string, ids: string[]) => {
    await store.ensureCampaign(campaign, 0);
    await store.addContacts(
      campaign,
      ids.map((id) => ({ id, name: id, phone: "+14155550199" })),
      0,
    );
    return await store.claim(campaign, 1, ids.length);
  };

  test(`${kind} store: two contacts never dial one number at once, across campaigns; the number is free once the call ends`, async () => {
    await using store = await make();
    await onOneNumber(store, "x", ["a", "b"]);
    await onOneNumber(store, "y", ["c"]);
    assert.equal(
      await store.saveStep("x", "a", "call", { call: dialing(2) }, 2, {}, "call-each"),
      undefined,
    );
    const audio = { format: "mp3", byteLength: 3 };
    assert.deepEqual(
      await store.saveStep("x", "b", "tts", { audio, call: dialing(3) }, 3, {}, "call-each"),
      { reason: "phone-busy", holder: { campaign: "x", contactId: "a" } },
    );
    const b = await store.get("x", "b");
    assert.deepEqual(b?.outputs, { audio }, "the speech is saved, the refused dial is not");
    assert.deepEqual(
      await store.saveStep("y", "c", "call", { call: dialing(3) }, 3, {}, "call-each"),
      { reason: "phone-busy", holder: { campaign: "x", contactId: "a" } },
      "another campaign's contact is refused too",
    );
    assert.equal(
      await store.saveStep("x", "a", "call", { call: dialing(2) }, 4, {}, "call-each"),
      undefined,
      "the holder records its own dial again",
    );
    // A call with its sid is still under way: the number stays held.
    await store.saveStep("x", "a", "call", { call: { ...dialing(2), sid: "CA1" } }, 5);
    assert.equal(
      (await store.saveStep("y", "c", "call", { call: dialing(6) }, 6, {}, "call-each"))?.reason,
      "phone-busy",
    );
    // Its end lets the number go.
    const ended = { ...dialing(2), sid: "CA1", final: { status: "busy" as const } };
    await store.saveStep("x", "a", "call", { call: ended }, 7);
    assert.equal(
      await store.saveStep("y", "c", "call", { call: dialing(8) }, 8, {}, "call-each"),
      undefined,
    );
    assert.deepEqual(
      await store.saveStep("x", "b", "call", { call: dialing(9) }, 9, {}, "call-each"),
      { reason: "phone-busy", holder: { campaign: "y", contactId: "c" } },
    );
    // Failing, completing or skipping the holder lets it go; deferring does not (a lost dial
    // is still looked for when the contact comes back).
    await store.defer("y", "c", { service: "telephony", until: 0, reason: "r" }, 10);
    assert.equal(
      (await store.saveStep("x", "b", "call", { call: dialing(11) }, 11, {}, "call-each"))?.reason,
      "phone-busy",
    );
    await store.releaseDeferred("y", "telephony", 12);
    await store.claim("y", 13, 1);
    await store.fail("y", "c", "permanent", 14);
    assert.equal(
      await store.saveStep("x", "b", "call", { call: dialing(15) }, 15, {}, "call-each"),
      undefined,
    );
    await store.skip("x", "b", "do-not-call", 16, {}, "rec-b");
    assert.equal(
      await store.saveStep(
        "x",
        "a",
        "call",
        { call: { ...dialing(17), dials: 2, previousSids: ["CA1"] } },
        17,
        {},
        "call-each",
      ),
      undefined,
    );
    await store.complete("x", "a", "rec-a", 18);
    const counts = await store.counts("x");
    assert.deepEqual([counts.completed, counts.skipped], [1, 1]);
    const skipped = await store.get("x", "b");
    assert.deepEqual([skipped?.state, skipped?.reason, skipped?.outputs.crmRecordId], [
      "skipped",
      "do-not-call",
      "rec-b",
    ]);
  });

  test(`${kind} store: two processes dialling the same numbers at once: each number goes to one of them`, async () => {
    if (!makePair) return;
    await using pair = await makePair();
    const [a, b] = pair;
    const numbers = Array.from({ length: 10 }, (_, i) => `+1415555${3000 + i}`);
    await a.ensureCampaign("x", 0);
    await a.addContacts(
      "x",
      numbers.flatMap((phone, i) => [
        { id: `a${i}`, name: "A", phone },
        { id: `b${i}`, name: "B", phone },
      ]),
      0,
    );
    // Each process claims its own contacts of every pair (a's the `a` ones, b's the `b` ones).
    const claimed = [...await a.claim("x", 1, 20), ...await b.claim("x", 1, 20)];
    const holder = new Map(claimed.map((r) => [r.contact.id, r.lease!.owner === "a" ? a : b]));
    const outcomes = await Promise.all(
      numbers.flatMap((_, i) =>
        [`a${i}`, `b${i}`].map((id) =>
          holder.get(id)!.saveStep("x", id, "call", { call: dialing(2) }, 2, {}, "call-each")
        )
      ),
    );
    for (const [i] of numbers.entries()) {
      const pairOutcomes = outcomes.slice(2 * i, 2 * i + 2);
      assert.equal(
        pairOutcomes.filter((refusal) => refusal === undefined).length,
        1,
        `number ${i}: one dial recorded, one refused (${JSON.stringify(pairOutcomes)})`,
      );
    }
  });

  test(`${kind} store: call-once refuses a number another contact of the campaign dialled, naming it`, async () => {
    await using store = await make();
    await onOneNumber(store, "x", ["a", "b", "c"]);
    await onOneNumber(store, "y", ["d"]);
    assert.equal(await store.calledBefore("x", "+14155550199", "b"), undefined);
    assert.equal(
      await store.saveStep("x", "a", "call", { call: dialing(2) }, 2, {}, "call-once"),
      undefined,
    );
    await store.saveStep("x", "a", "call", {
      call: { ...dialing(2), sid: "CA1", final: { status: "completed" as const } },
    }, 3);
    assert.equal(await store.calledBefore("x", "+14155550199", "b"), "a");
    assert.equal(await store.calledBefore("x", "+14155550199", "a"), undefined, "not itself");
    assert.deepEqual(
      await store.saveStep("x", "c", "call", { call: dialing(4) }, 4, {}, "call-once"),
      { reason: "called-before", firstContactId: "a" },
    );
    assert.equal(
      await store.saveStep("y", "d", "call", { call: dialing(5) }, 5, {}, "call-once"),
      undefined,
      "another campaign's contact is its own campaign's first",
    );
    assert.deepEqual(
      await store.saveStep("x", "c", "call", { call: dialing(6) }, 6, {}, "call-each"),
      { reason: "phone-busy", holder: { campaign: "y", contactId: "d" } },
      "call-each: the number is busy with another campaign's call",
    );
    assert.deepEqual(
      await store.saveStep("x", "c", "call", { call: dialing(6) }, 6, {}, "call-once"),
      { reason: "called-before", firstContactId: "a" },
      "call-once: skipped for good comes before waiting for the number",
    );
  });

  test(`${kind} store: the calls recorded to a number are every contact's, of every campaign`, async () => {
    await using store = await make();
    await onOneNumber(store, "x", ["a", "b"]);
    await onOneNumber(store, "y", ["c"]);
    assert.deepEqual(await store.recordedCalls("+14155550199"), []);
    await store.saveStep("x", "a", "call", {
      call: { dials: 2, previousSids: ["CA1"], sid: "CA2" },
    }, 2);
    await store.complete("y", "c", "rec", 3, {}, { dials: 1, previousSids: [], sid: "CA3" });
    assert.deepEqual((await store.recordedCalls("+14155550199")).sort(), ["CA1", "CA2", "CA3"]);
    assert.deepEqual(await store.recordedCalls("+14155550100"), []);
  });

  test(`${kind} store: a do-not-call list is replaced version by version, per campaign`, async () => {
    await using store = await make();
    await store.ensureCampaign("x", 0);
    const list = store.doNotCall;
    await list.add("x", ["+14155550100", "+14155550101"], "v1");
    await list.add("y", ["+14155550102"], "w1");
    assert.equal(await list.has("x", "+14155550100"), true);
    assert.equal(await list.has("x", "+14155550102"), false, "another campaign's list");
    await list.add("x", ["+14155550101", "+14155550103"], "v2");
    assert.equal(await list.count("x"), 3, "both versions apply while the new one loads");
    assert.equal(await list.prune("x", "v2"), 1);
    assert.deepEqual(
      await Promise.all(
        ["+14155550100", "+14155550101", "+14155550103"].map((p) => list.has("x", p)),
      ),
      [false, true, true],
    );
    assert.equal(await list.count("y"), 1);
  });

  test(`${kind} store: firing alerts are kept one row each: raised, replaced, resolved`, async () => {
    await using store = await make();
    const alerts = store.firingAlerts;
    await alerts.fire("breaker-open:tts", '{"v":1}');
    await alerts.fire("breaker-open:crm", '{"v":2}');
    await alerts.fire("breaker-open:tts", '{"v":3}');
    assert.deepEqual(await alerts.list(), ['{"v":2}', '{"v":3}'], "by key, the latest of each");
    await alerts.resolve("breaker-open:crm");
    await alerts.resolve("never-raised");
    assert.deepEqual(await alerts.list(), ['{"v":3}']);
    if (!makePair) return;
    await using pair = await makePair();
    const [a, b] = pair;
    await a.firingAlerts.fire("sheets-unavailable", '{"by":"a"}');
    assert.deepEqual(await b.firingAlerts.list(), ['{"by":"a"}'], "processes share them");
  });

  test(`${kind} store: where processes share it, one sends each queue at a time, each alert once, and all see each service's state`, async () => {
    await using pair = await makePair();
    const [a, b] = pair;
    if (!a.shared || !b.shared || !a.outbox.hold || !b.outbox.hold) {
      assert.equal(a.shared, undefined, "a store without a shared state is a one-process store");
      return;
    }
    // Outbox queues: held by one process until it releases (or its hold expires).
    assert.equal(await a.outbox.hold("alerts:ops", 0, 1_000), true);
    assert.equal(await b.outbox.hold("alerts:ops", 10, 1_000), false);
    assert.equal(await b.outbox.hold("alerts:other", 10, 1_000), true, "per queue");
    await a.outbox.release!("alerts:ops");
    assert.equal(await b.outbox.hold("alerts:ops", 20, 1_000), true);
    assert.equal(await a.outbox.hold("alerts:ops", 500, 1_000), false);
    assert.equal(await a.outbox.hold("alerts:ops", 1_100, 1_000), true, "an expired hold");
    // Alerts: one process sends a firing alert per repeat interval, and its resolve once.
    const firing = { key: "breaker-open:tts", status: "firing" as const };
    const resolved = { key: "breaker-open:tts", status: "resolved" as const };
    assert.deepEqual(await a.shared.claimAlerts([firing], 0, 10_000), [firing]);
    assert.deepEqual(await b.shared.claimAlerts([firing], 5, 10_000), []);
    assert.deepEqual(await b.shared.claimAlerts([firing], 10_000, 10_000), [firing], "repeat");
    assert.deepEqual(await a.shared.claimAlerts([resolved], 10_001, 10_000), [resolved]);
    assert.deepEqual(await b.shared.claimAlerts([resolved], 10_002, 10_000), []);
    assert.deepEqual(await b.shared.claimAlerts([firing], 10_003, 10_000), [firing], "again");
    // Service states: a hold one process learned is what everyone reads.
    const hold = (by: string, at: number, openUntil: number, reason = "down") => ({
      service: "tts",
      openUntil,
      forced: false,
      reason,
      by,
      at,
    });
    const read = async () =>
      (await b.shared!.serviceStates()).map((s) => [s.openUntil, s.forced, s.by, s.at]);
    await a.shared.publishServiceState(hold("a", 1, 30_000, "3 consecutive failures"));
    assert.deepEqual(await b.shared.serviceStates(), [
      hold("a", 1, 30_000, "3 consecutive failures"),
    ]);
    // A shorter hold does not cut it back; a longer one (a probe still failing) extends it.
    await b.shared.publishServiceState(hold("b", 2, 20_000));
    assert.deepEqual(await read(), [[30_000, false, "b", 2]]);
    await b.shared.publishServiceState(hold("b", 3, 40_000));
    assert.deepEqual(await read(), [[40_000, false, "b", 3]]);
    // An operator's forced opening: nothing a process learns ends it, only an operator's release.
    await a.shared.publishServiceState({ ...hold("a", 4, 0, "maintenance"), forced: true }, {
      operator: true,
    });
    await b.shared.publishServiceState(hold("b", 5, 0, "trial succeeded"));
    await b.shared.publishServiceState(hold("b", 6, 90_000));
    assert.deepEqual(await read(), [[0, true, "a", 4]], "still forced, by a");
    await b.shared.publishServiceState(hold("b", 7, 0, "reset by operator"), { operator: true });
    assert.deepEqual(await read(), [[0, false, "b", 7]]);
    // A trial that succeeded anywhere ends a hold for all.
    await a.shared.publishServiceState(hold("a", 8, 60_000));
    await b.shared.publishServiceState(hold("b", 9, 0, "trial succeeded"));
    assert.deepEqual(await read(), [[0, false, "b", 9]]);
  });
}

for (
  const [kind, make, makePair] of [
    ["memory", () => new InMemoryCampaignStore(), undefined],
    ["sqlite", () => new SqliteCampaignStore(":memory:"), async () => {
      const dir = await Deno.makeTempDir();
      const shared = { access: "shared" } as const;
      const a = new SqliteCampaignStore(`${dir}/l.db`, { owner: "a", ms: 1_000 }, shared);
      const b = new SqliteCampaignStore(`${dir}/l.db`, { owner: "b", ms: 1_000 }, shared);
      return Object.assign([a, b] as [CampaignStore, CampaignStore], {
        async [Symbol.asyncDispose]() {
          await a.close();
          await b.close();
          await Deno.remove(dir, { recursive: true });
        },
      });
    }],
  ] as [string, Make, MakePair | undefined][]
) {
  contract(kind, make, (name, fn) => Deno.test(name, fn), makePair);
}

const postgresMissing = await postgresUnavailable();
Deno.test({
  name: nameUnless(
    "postgres store: the same contract, against a real PostgreSQL 15",
    postgresMissing,
  ),
  ignore: postgresMissing !== undefined,
  async fn(t) {
    const pg = await startPostgres();
    if (typeof pg === "string") throw new Error(pg);
    await using _cluster = pg;
    const lease = { owner: "test", ms: 30_000 };
    const steps: [string, () => Promise<void>][] = [];
    contract(
      "postgres",
      async () => PostgresCampaignStore.open(await pg.newDatabase(), lease),
      (name, fn) => steps.push([name, fn]),
      async () => {
        const url = await pg.newDatabase();
        const a = await PostgresCampaignStore.open(url, { owner: "a", ms: 1_000 });
        const b = await PostgresCampaignStore.open(url, { owner: "b", ms: 1_000 });
        return Object.assign([a, b] as [CampaignStore, CampaignStore], {
          async [Symbol.asyncDispose]() {
            await a.close();
            await b.close();
          },
        });
      },
    );
    for (const [name, fn] of steps) await t.step(name, fn);
    await t.step("writes asked for as the store closes are committed, not dropped", async () => {
      const url = await pg.newDatabase();
      const store = await PostgresCampaignStore.open(url, lease);
      await store.ensureCampaign("x", 0);
      await store.addContacts("x", contacts(2), 0);
      await store.claim("x", 1, 2);
      const saved = store.saveStep("x", "c1", "llm", { script: "Saved" }, 2);
      const completed = store.complete("x", "c2", "crm-2", 2);
      await store.close();
      await Promise.all([saved, completed]);
      const reopened = await PostgresCampaignStore.open(url, lease);
      try {
        assert.equal((await reopened.get("x", "c1"))?.outputs.script, "Saved");
        assert.equal((await reopened.get("x", "c2"))?.state, "completed");
      } finally {
        await reopened.close();
      }
    });
    await t.step(
      "a batch of writes finds its contacts by their keys, never through the campaign's by-state index",
      async () => {
        const url = await pg.newDatabase();
        const rounds = 20;
        {
          await using store = await PostgresCampaignStore.open(url, lease);
          await store.ensureCampaign("x", 0);
          await store.addContacts("x", contacts(500), 0);
          const claimed = await store.claim("x", 1, 8);
          for (let round = 0; round < rounds; round++) {
            await Promise.all(
              claimed.map((c) =>
                store.saveStep("x", c.contact.id, "llm", { script: `r${round}` }, 2)
              ),
            );
          }
        }
        // The closed store's connections hand their index statistics in as they end.
        const sql = postgres(url, { max: 1, onnotice: () => {} });
        try {
          let scans: Record<string, number> = {};
          let updates = 0;
          for (let tries = 0; tries < 200 && updates < (rounds + 1) * 8; tries++) {
            await sql`SELECT pg_stat_clear_snapshot()`;
            const rows = await sql<{ name: string; n: string; updates: string }[]>`
              SELECT i.indexrelname AS name, i.idx_scan AS n, t.n_tup_upd AS updates
              FROM pg_stat_user_indexes i JOIN pg_stat_user_tables t USING (relid)
              WHERE i.relname = 'contacts'`;
            scans = Object.fromEntries(rows.map((row) => [row.name, Number(row.n)]));
            updates = Number(rows[0].updates);
            if (updates < (rounds + 1) * 8) await new Promise((done) => setTimeout(done, 25));
          }
          assert.equal(updates, (rounds + 1) * 8, "the claim and every write are counted");
          // The claim reads it (expired leases, then waiting contacts); the writes do not.
          assert.ok(scans.contacts_by_state < rounds, JSON.stringify(scans));
        } finally {
          await sql.end();
        }
      },
    );
    await t.step(
      "a schema-4 ledger with an alert firing is brought forward, the alert kept",
      async () => {
        const url = await pg.newDatabase();
        const firing = '{"key":"breaker-open:tts","summary":"tts circuit breaker opened"}';
        const sql = postgres(url, { onnotice: () => {} });
        try {
          for (const migration of postgresMigrations.slice(0, 4)) await sql.unsafe(migration);
          await sql`CREATE TABLE agent_schema (version INTEGER NOT NULL)`;
          await sql`INSERT INTO agent_schema (version) VALUES (4)`;
          await sql`INSERT INTO alert_states (key, status, sent_at, by, alert) VALUES
          ('breaker-open:tts', 'firing', 1, 'a', ${firing}),
          ('breaker-open:llm', 'resolved', 2, 'a', '{"key":"breaker-open:llm"}')`;
        } finally {
          await sql.end();
        }
        const store = await PostgresCampaignStore.open(url, lease);
        try {
          assert.deepEqual(await store.firingAlerts.list(), [firing]);
          await store.firingAlerts.resolve("breaker-open:tts");
          assert.deepEqual(await store.firingAlerts.list(), []);
        } finally {
          await store.close();
        }
      },
    );
  },
});

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

Deno.test("a ledger file is held by its store alone until closed; shared access lets two use it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/l.db`;
    const { DatabaseSync } = await import("node:sqlite");
    const holder = new SqliteCampaignStore(path);
    await holder.ensureCampaign("x", 0);
    await holder.addContacts("x", contacts(1), 0);
    assert.throws(
      () => new SqliteCampaignStore(path),
      (error) =>
        error instanceof LedgerError &&
        error.message ===
          `${path} is held by another program (a run holds its ledger alone until it ends); wait for it to end, or point --db at another file`,
    );
    const reader = new DatabaseSync(path);
    assert.throws(() => reader.prepare("SELECT COUNT(*) FROM contacts").get(), /locked/);
    reader.close();
    await holder.close();
    const shared = { access: "shared" } as const;
    const a = new SqliteCampaignStore(path, undefined, shared);
    const b = new SqliteCampaignStore(path, undefined, shared);
    assert.equal((await b.counts("x")).pending, 1);
    await a.close();
    await b.close();
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
        VALUES ('x', 'c1', 1, '{"id":"c1","name":"A","phone":"+14155550100"}', 'in_progress', 'Hi', 0);
      INSERT INTO outbox (queue, payload, created_at) VALUES
        ('alerts:firing', '{"key":"breaker-open:tts","summary":"old"}', 0),
        ('alerts:firing', '{"key":"breaker-open:tts","summary":"newer"}', 1),
        ('alerts:ops', '{"id":"ntf_1"}', 1);`,
    );
    db.close();
    const store = new SqliteCampaignStore(path);
    assert.deepEqual(
      await store.firingAlerts.list(),
      ['{"key":"breaker-open:tts","summary":"newer"}'],
      "the firing snapshot an earlier release kept in the outbox moved to its table",
    );
    assert.equal(await store.outbox.size("alerts:firing"), 0);
    assert.equal(await store.outbox.size("alerts:ops"), 1, "other queues are untouched");
    assert.equal(await store.resumeInterrupted("x", 1), 1);
    const record = await store.claimNext("x", 2);
    const counts = await store.counts("x");
    assert.equal(counts.in_progress, 1, "a contact an earlier release kept is counted, moved");
    assert.equal(counts.pending, 0);
    await store.close();
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
    assert.equal(version.user_version, 13);
    assert.equal(
      record?.crmKey,
      "x:c1",
      "the key an earlier release sent stays the same",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a ledger from before counts were kept counts its contacts and spend when brought forward", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/l.db`;
    const before = new SqliteCampaignStore(path);
    await before.ensureCampaign("x", 0);
    await before.addContacts("x", contacts(3), 0);
    await before.claim("x", 1, 2);
    await before.saveStep("x", "c1", "llm", { script: "a", spend: { llm: 0.25 } }, 2);
    await before.saveStep("x", "c2", "tts", { spend: { llm: 0.5, tts: 1 } }, 2);
    await before.complete("x", "c1", "crm-1", 3);
    await before.close();
    // As schema 12 left it: no kept counts.
    const { DatabaseSync } = await import("node:sqlite");
    const db = new DatabaseSync(path);
    db.exec(`DROP TRIGGER contacts_counted; DROP TRIGGER contacts_recounted;
      DROP TRIGGER contacts_uncounted; DROP TRIGGER contacts_spend_added;
      DROP TABLE state_counts; DROP TABLE spend_by_step; PRAGMA user_version = 12;`);
    db.close();
    await using store = new SqliteCampaignStore(path);
    const counts = await store.counts("x");
    assert.deepEqual(
      [counts.pending, counts.in_progress, counts.completed],
      [1, 1, 1],
    );
    assert.deepEqual(await store.spendOf("x"), { llm: 0.75, tts: 1 });
    await store.saveStep("x", "c2", "call", { spend: { llm: 0.5, tts: 1, call: 2 } }, 4);
    assert.deepEqual(await store.spendOf("x"), { call: 2, llm: 0.75, tts: 1 });
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
