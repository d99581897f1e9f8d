/**
 * The call step on the virtual clock with the mock telephony: calling hours in each contact's
 * time zone, the `<Say>` fallback, polling with backoff, and a resumed dial that is looked for
 * before anyone is dialled again.
 */
import assert from "node:assert/strict";
import { eventsOfType } from "../_support/events_of_type.ts";
import { contacts, testAgent } from "../_support/agent.ts";
import type { MockCallEvent } from "../../src/services/mod.ts";

Deno.test("outside its calling hours a contact waits for them in its own time zone, and the run sleeps until they open", async () => {
  const start = Date.parse("2026-11-30T13:30:00Z"); // 08:30 in New York, 22:30 in Tokyo
  const t = testAgent(
    {},
    { campaign: { callWindow: { start: "09:00", end: "20:00", timezone: "Europe/London" } } },
    undefined,
    [],
    start,
  );
  await using _ = t.agent;
  const [ny, london, tokyo] = contacts(3);
  ny.timezone = "America/New_York";
  tokyo.timezone = "Asia/Tokyo";
  const { summary } = await t.runCampaign([ny, london, tokyo]);
  assert.equal(summary.completed, 3, "nobody failed for the hour");
  assert.equal(summary.ended, "finished", "recoveryWaitMs does not bound a wait for calling hours");
  const dialled = [...t.services.telephony.calls.values()].map((call) => [
    call.to,
    new Date(call.createdAt).toISOString(),
  ]);
  assert.deepEqual(dialled, [
    [london.phone, "2026-11-30T13:30:00.000Z"],
    [ny.phone, "2026-11-30T14:00:00.000Z"],
    [tokyo.phone, "2026-12-01T00:00:00.000Z"],
  ]);
  const waits = eventsOfType(t.events, "contact-done").filter((e) => e.status === "deferred");
  assert.deepEqual(
    waits.map((e) => [e.contactId, e.service, e.reason]),
    [
      [ny.id, "calling-hours", "outside-calling-hours"],
      [tokyo.id, "calling-hours", "outside-calling-hours"],
    ],
  );
  assert.equal(t.services.llm.callCount, 3, "scripts were written ahead of the window");
});

Deno.test("with fallbackToSay, an open TTS breaker does not hold calls up: they speak the script", async () => {
  const t = testAgent({}, { services: { telephony: { fallbackToSay: true } } });
  await using _ = t.agent;
  t.agent.breakers.get("tts").forceOpen("ElevenLabs down (test)");
  const { summary, records } = await t.runCampaign(contacts(3), { health: false });
  assert.equal(summary.completed, 3);
  assert.equal(t.services.tts.callCount, 0, "ElevenLabs was not called");
  assert.equal(t.services.telephony.calls.size, 3);
  for (const record of records.values()) {
    assert.equal(record.outputs.call?.voice, "say");
    assert.equal(record.outputs.audio, undefined);
  }
});

Deno.test("with fallbackToSay, a TTS that fails until its breaker opens still lets the contact be called", async () => {
  const t = testAgent(
    { tts: { faults: [{ fail: "unavailable" }] } },
    {
      services: { telephony: { fallbackToSay: true } },
      retry: { maxRetries: 0 },
      breaker: { failureThreshold: 1 },
      processor: { concurrency: 1 },
    },
  );
  await using _ = t.agent;
  const { summary } = await t.runCampaign(contacts(3), { health: false });
  assert.equal(summary.completed, 3);
  assert.equal(t.services.tts.callCount, 1, "one failure opened it; the rest skip ElevenLabs");
  assert.equal(t.services.telephony.calls.size, 3);
});

Deno.test("without fallbackToSay (the default), an open TTS breaker defers contacts and no one is called", async () => {
  const t = testAgent({}, { processor: { recoveryWaitMs: 0 } });
  await using _ = t.agent;
  t.agent.breakers.get("tts").forceOpen("ElevenLabs down (test)");
  const { summary } = await t.runCampaign(contacts(3), { health: false });
  assert.equal(summary.deferred, 3);
  assert.equal(t.services.telephony.calls.size, 0);
});

Deno.test("a call is polled with backoff until it ends, and polls do not count as attempts", async () => {
  const t = testAgent(
    { telephony: { callMs: 20_000 } },
    { services: { telephony: { poll: { initialMs: 2_000, maxMs: 8_000 } } } },
  );
  await using _ = t.agent;
  const operations: MockCallEvent[] = [];
  t.services.telephony.onCall((event) => operations.push(event));
  const { records } = await t.runCampaign(contacts(1), { health: false });
  const polls = operations.filter((e) => e.operation === "getCall").map((e) => e.at);
  // 2 s, then 4 s, then 8 s (the cap), 8 s: the call ended at 20 s.
  assert.deepEqual(polls, [2_000, 6_000, 14_000, 22_000]);
  const record = records.get("c1")!;
  assert.equal(record.attempts.call, 1);
  assert.equal(record.outputs.call?.final?.durationS, 20);
});

Deno.test("a contact resumed in `dialing` is looked for first: an existing call is adopted, a missing one dialled once", async () => {
  const t = testAgent();
  await using _ = t.agent;
  const [placed, lost] = contacts(2);
  const campaign = t.agent.config.campaign.name;
  await t.store.ensureCampaign(campaign, 0);
  await t.store.addContacts(campaign, [placed, lost], 0);
  // A crash after the dial was recorded: for one contact Twilio had created the call.
  await t.store.claim(campaign, 0, 2);
  for (const contact of [placed, lost]) {
    await t.store.saveStep(
      campaign,
      contact.id,
      "call",
      {
        script: "Hello",
        call: { dials: 1, previousSids: [], dialing: { at: 0, marker: `m-${contact.id}` } },
      },
      0,
      { llm: 1, call: 1 },
    );
  }
  const existing = await t.services.telephony.dial({ to: placed.phone, say: "Hello" });
  const { summary, records } = await t.runCampaign([placed, lost], { health: false });
  assert.equal(summary.completed, 2);
  assert.deepEqual(Object.fromEntries(t.services.telephony.dialsTo), {
    [placed.phone]: 1,
    [lost.phone]: 1,
  });
  assert.equal(records.get(placed.id)!.outputs.call?.final?.status, "completed");
  assert.deepEqual(
    eventsOfType(t.events, "call-adopted").map((e) => [e.contactId, e.sid]),
    [[placed.id, existing.sid]],
  );
  assert.equal(t.services.tts.callCount, 0, "no speech is made for a call already under way");
});

Deno.test("a CRM that keeps failing after the call ended never makes the call step look for the call again", async () => {
  const t = testAgent(
    { crm: { faults: [{ fail: "unavailable", untilMs: 120_000 }] } },
    { processor: { concurrency: 1 }, retry: { maxRetries: 1 } },
  );
  await using _ = t.agent;
  const operations: string[] = [];
  using _calls = t.services.telephony.onCall((call) => operations.push(call.operation));
  const { summary, records } = await t.runCampaign(contacts(1));
  assert.equal(summary.completed, 1);
  assert.deepEqual(
    operations.filter((operation) => operation !== "probe"),
    ["dial"],
    "dialled once; never looked up, read or dialled again",
  );
  assert.equal(records.get("c1")!.attempts.call, 1);
  assert.equal(eventsOfType(t.events, "call-adopted").length, 0);
  assert.ok(t.services.crm.callCount > 2, "the CRM was tried until it recovered");
});
