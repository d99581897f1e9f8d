/**
 * The call step through the real Twilio client against the fake Twilio over sockets: what
 * reached Twilio is counted (calls created per number, requests per route), never what the
 * agent says it did.
 */
import assert from "node:assert/strict";
import { eventsOfType } from "../_support/events_of_type.ts";
import { twilioAccount } from "../_support/fake_services_config.ts";
import { httpAgent } from "../_support/http_agent.ts";
import type { FakeTwilioServer } from "../../src/fake_providers/mod.ts";

const callsPath = `/2010-04-01/Accounts/${twilioAccount.accountSid}/Calls.json`;
const oneAtATime = {
  processor: { concurrency: 1 },
  services: { telephony: { timeoutMs: 500 } },
};

/** Every contact's number was dialled exactly once. */
function assertOneCallEach(twilio: FakeTwilioServer, phones: string[]): void {
  for (const phone of phones) {
    assert.equal(twilio.callsTo(phone).length, 1, `calls created to ${phone}`);
  }
  assert.equal(twilio.calls.length, phones.length);
}

Deno.test("a call is placed with Twilio's form (To, From, <Say> TwiML, ring timeout) and its end reaches the CRM", async () => {
  await using t = httpAgent({ telephony: [] }, oneAtATime);
  const { summary, records } = await t.runCampaign(2);
  assert.equal(summary.completed, 2);
  const twilio = t.fakes.telephony!;
  assertOneCallEach(twilio, records.map((r) => r.contact.phone));
  const [first] = twilio.calls;
  assert.equal(first.from, twilioAccount.from);
  assert.match(first.twiml ?? "", /^<Response><Say>Hello Contact 1, .*<\/Say><\/Response>$/);
  const outcome = t.fakes.crm.outcomes.get("default:c1") as Record<string, unknown>;
  assert.equal(outcome.status, "completed");
  assert.equal(outcome.callSid, first.sid);
  assert.equal(outcome.voice, "say");
  assert.equal(outcome.dials, 1);
  assert.equal(records[0].outputs.call?.final?.status, "completed");
});

for (
  const [fault, what] of [
    [{ dropAfter: true }, "the connection drops after Twilio created the call"],
    [{ failAfter: true, fail: "unavailable" }, "Twilio answers 503 after creating the call"],
    [{ hangAfter: true }, "Twilio never answers after creating the call (our deadline passes)"],
  ] as const
) {
  Deno.test(`when ${what}, the call is found in Twilio's list and adopted: one call per contact`, async () => {
    await using t = httpAgent({ telephony: [{ ...fault, calls: 1 }] }, oneAtATime);
    const { summary, records } = await t.runCampaign(3);
    assert.equal(summary.completed, 3);
    const twilio = t.fakes.telephony!;
    assertOneCallEach(twilio, records.map((r) => r.contact.phone));
    assert.equal(twilio.count(callsPath, "POST"), 3, "one create per contact reached Twilio");
    const adopted = eventsOfType(t.events, "call-adopted");
    assert.deepEqual(adopted.map((e) => [e.contactId, e.sid]), [["c1", twilio.calls[0].sid]]);
    assert.equal(twilio.count(callsPath, "GET"), 1, "one list read found it");
    const outcome = t.fakes.crm.outcomes.get("default:c1") as Record<string, unknown>;
    assert.equal(outcome.callSid, twilio.calls[0].sid, "the CRM records the adopted call");
  });
}

Deno.test("a dial dropped before Twilio created anything is looked for over the settle time, not found, and dialled once more", async () => {
  await using t = httpAgent({ telephony: [{ fail: "connection", calls: 1 }] }, oneAtATime);
  const { summary, records } = await t.runCampaign(2);
  assert.equal(summary.completed, 2);
  const twilio = t.fakes.telephony!;
  assertOneCallEach(twilio, records.map((r) => r.contact.phone));
  assert.equal(twilio.count(callsPath, "POST"), 3, "the lost create, then the real one");
  const c1 = twilio.requests.filter((r) => r.path === callsPath).map((r) => r.method);
  assert.deepEqual(
    c1.slice(0, 7),
    ["POST", "GET", "GET", "GET", "GET", "GET", "POST"],
    "the list was read at once and 4 more times over the settle time before dialling again",
  );
  assert.equal(eventsOfType(t.events, "call-adopted").length, 0);
});

Deno.test("a 429 is a refusal, not an ambiguity: dialled again after the wait, with no list read", async () => {
  await using t = httpAgent(
    { telephony: [{ fail: "rate-limit", calls: 1, retryAfterMs: 100 }] },
    oneAtATime,
  );
  const { summary, records } = await t.runCampaign(2);
  assert.equal(summary.completed, 2);
  const twilio = t.fakes.telephony!;
  assertOneCallEach(twilio, records.map((r) => r.contact.phone));
  assert.equal(twilio.count(callsPath, "POST"), 3);
  assert.equal(twilio.count(callsPath, "GET"), 0);
  assert.equal(records[0].attempts.call, 2);
});

Deno.test("an invalid number fails only its contact; the others are called", async () => {
  await using t = httpAgent({}, oneAtATime, {
    outcomeOf: (to) => (to === "+14155551001" ? "invalid" : "completed"),
  });
  const { summary, records } = await t.runCampaign(3);
  assert.deepEqual([summary.completed, summary.failed], [2, 1]);
  assert.match(records[1].reason ?? "", /^permanent at call: InvalidRequestError/);
  assert.equal(t.fakes.telephony!.calls.length, 2);
  assert.equal(t.agent.breakers.get("telephony").state, "CLOSED");
});

Deno.test("a caller number that is not the account's stops every call at once (service-wide), and the auth token appears nowhere", async () => {
  await using t = httpAgent(
    {},
    { ...oneAtATime, processor: { concurrency: 1, recoveryWaitMs: 0 } },
    { from: "+14155559999" },
  );
  const { summary } = await t.runCampaign(3);
  assert.equal(summary.deferred, 3);
  assert.equal(t.fakes.telephony!.count(callsPath, "POST"), 1, "one refusal, then fail-fast");
  assert.equal(t.agent.breakers.get("telephony").state, "OPEN");
  const opened = eventsOfType(t.events, "breaker").find((e) => e.service === "telephony");
  assert.equal(opened?.reason, "service-wide InvalidRequestError");
  const seen = JSON.stringify([t.events, t.alerts.sent]);
  assert.ok(!seen.includes(twilioAccount.authToken), "the auth token never reaches an event");
});

Deno.test("busy and no-answer are dialled again per campaign.redial; the last dial's end is recorded", async () => {
  const dials = new Map<string, number>();
  await using t = httpAgent(
    {},
    { ...oneAtATime, campaign: { redial: { maxDials: 3, delayMs: 300 } } },
    {
      outcomeOf: (to, dial) => {
        dials.set(to, dial);
        if (to === "+14155551000") {
          return dial === 1 ? "busy" : dial === 2 ? "no-answer" : "completed";
        }
        return "busy"; // the second contact never picks up
      },
    },
  );
  const { summary, records } = await t.runCampaign(2);
  assert.equal(summary.completed, 2);
  const twilio = t.fakes.telephony!;
  assert.equal(twilio.callsTo("+14155551000").length, 3);
  assert.equal(twilio.callsTo("+14155551001").length, 3, "maxDials is the limit");
  const [a, b, c] = twilio.callsTo("+14155551000");
  assert.ok(b.createdAt - a.createdAt >= 300 && c.createdAt - b.createdAt >= 300, "delayMs apart");
  const first = t.fakes.crm.outcomes.get("default:c1") as Record<string, unknown>;
  assert.deepEqual([first.status, first.dials, first.callSid], ["completed", 3, c.sid]);
  const second = t.fakes.crm.outcomes.get("default:c2") as Record<string, unknown>;
  assert.deepEqual([second.status, second.dials], ["busy", 3]);
  assert.deepEqual(records[0].outputs.call?.previousSids, [a.sid, b.sid]);
  assert.equal(t.agent.breakers.get("telephony").state, "CLOSED", "busy is not a failure");
});
