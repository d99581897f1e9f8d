/**
 * Who may be called, through the whole agent on the virtual clock: contacts that share a number
 * are called one after the other (or, `call-once`, only the first), and a number on the
 * do-not-call list is never dialled, also when it is listed mid-run. Counted at the mock
 * telephony (what was dialled, when), not from what the agent says.
 */
import assert from "node:assert/strict";
import { eventsOfType } from "../_support/events_of_type.ts";
import { contacts, testAgent } from "../_support/agent.ts";
import type { Contact } from "../../src/domain/mod.ts";

/** `contacts(n)` where each pair (c1, c2), (c3, c4), ... shares one number. */
function pairs(n: number): Contact[] {
  return contacts(n).map((contact, i) => ({ ...contact, phone: `+1415555${2000 + (i >> 1)}` }));
}

Deno.test("contacts sharing a number are each called, one after the other, each recording its own call", async () => {
  const callMs = 30_000;
  const t = testAgent(
    { telephony: { callMs } },
    { processor: { concurrency: 4 }, campaign: { redial: { maxDials: 1, delayMs: 0 } } },
  );
  await using _ = t.agent;
  const list = pairs(8);
  const { summary, records } = await t.runCampaign(list, { health: false });
  assert.equal(summary.completed, 8);
  const calls = [...t.services.telephony.calls.values()];
  assert.equal(calls.length, 8, "each contact called once");
  for (const phone of new Set(list.map((c) => c.phone))) {
    const toNumber = calls.filter((call) => call.to === phone).map((call) => call.createdAt);
    assert.equal(toNumber.length, 2);
    assert.ok(
      toNumber[1] >= toNumber[0] + callMs,
      `${phone}: the second call starts after the first ended (${toNumber})`,
    );
  }
  const sids = [...records.values()].map((r) => r.outputs.call?.sid);
  assert.equal(new Set(sids).size, 8, "every contact recorded its own call");
  const waited = eventsOfType(t.events, "contact-done").filter((e) => e.reason === "same-phone")
    .map((e) => e.contactId);
  assert.ok(waited.length > 0, "a contact whose number was being called waited for it");
  assert.ok(
    waited.every((id) => ["c2", "c4", "c6", "c8"].includes(id)),
    `only the second of a pair waits: ${waited}`,
  );
});

Deno.test("call-once: a number called for one contact is not called for the next, which ends skipped naming the first, before anything is spent on it", async () => {
  const t = testAgent({}, { processor: { concurrency: 1 }, campaign: { samePhone: "call-once" } });
  await using _ = t.agent;
  const [c1, c2, c3] = pairs(3);
  const { summary, records } = await t.runCampaign([c1, c2, c3], { health: false });
  assert.deepEqual([summary.completed, summary.skipped], [2, 1]);
  assert.deepEqual(Object.fromEntries(t.services.telephony.dialsTo), {
    [c1.phone]: 1,
    [c3.phone]: 1,
  });
  const skipped = records.get(c2.id)!;
  assert.equal(skipped.state, "skipped");
  assert.equal(skipped.reason, "duplicate-phone: its number was called for contact c1");
  assert.equal(t.services.llm.callCount, 2, "no script was written for the skipped contact");
  assert.equal(t.services.crm.writes.get("default:c2"), 1, "the CRM records why it was skipped");
  const done = eventsOfType(t.events, "contact-done").find((e) => e.contactId === c2.id);
  assert.deepEqual([done?.status, done?.reason, done?.firstContactId], [
    "skipped",
    "duplicate-phone",
    "c1",
  ]);
});

Deno.test("call-once with contacts of one number worked at once: one call, the others skipped", async () => {
  const t = testAgent(
    { telephony: { callMs: 10_000 } },
    { processor: { concurrency: 4 }, campaign: { samePhone: "call-once" } },
  );
  await using _ = t.agent;
  const list = contacts(4).map((c) => ({ ...c, phone: "+14155552000" }));
  const { summary } = await t.runCampaign(list, { health: false });
  assert.deepEqual([summary.completed, summary.skipped], [1, 3]);
  assert.equal(t.services.telephony.dialsTo.get("+14155552000"), 1);
});

Deno.test("a number on the do-not-call list is never dialled, nor one listed mid-run; each ends skipped", async () => {
  const listed = new Set<string>();
  const [c1, c2, c3, c4, c5] = contacts(5);
  listed.add(c2.phone);
  const t = testAgent(
    {},
    { processor: { concurrency: 1 } },
    undefined,
    [],
    0,
    { doNotCall: { has: (phone) => Promise.resolve(listed.has(phone)) } },
  );
  await using _ = t.agent;
  // c4's number is listed once c1's call is over, before c4 is dialled.
  t.agent.runner.onEvent((event) => {
    if (event.type === "contact-done" && event.result.contactId === c1.id) listed.add(c4.phone);
  });
  const { summary, records } = await t.runCampaign([c1, c2, c3, c4, c5], { health: false });
  assert.deepEqual([summary.completed, summary.skipped, summary.failed], [3, 2, 0]);
  assert.equal(t.services.telephony.dialsTo.get(c2.phone), undefined);
  assert.equal(t.services.telephony.dialsTo.get(c4.phone), undefined);
  assert.deepEqual(
    [records.get(c2.id)!.reason, records.get(c4.id)!.reason],
    ["do-not-call", "do-not-call"],
  );
  assert.equal(t.services.crm.writes.get("default:c4"), 1);
});
