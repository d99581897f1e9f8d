/**
 * No voice is paid for a call that cannot play it: the processor's side of `voicePlayback`, on
 * the virtual clock with mock services (the config decides how a call hears a voice).
 */
import assert from "node:assert/strict";
import type { ContactProgress } from "../../src/domain/mod.ts";
import { contacts, testAgent } from "../_support/agent.ts";

/** Twilio without a public URL: no call could play a synthesized voice. */
const noPlayback = {
  services: {
    telephony: {
      kind: "twilio",
      twilio: { accountSid: `AC${"0".repeat(32)}`, from: "+14155550000" },
    },
  },
};

Deno.test("a voice no call can play is never asked for: the call speaks the script, and the voice is not probed", async () => {
  const t = testAgent({}, noPlayback);
  await using _ = t.agent;
  const { summary, records } = await t.runCampaign(contacts(3));
  assert.equal(summary.completed, 3);
  assert.equal(t.services.tts.callCount, 0);
  for (const record of records.values()) {
    assert.equal(record.outputs.audio, undefined);
    assert.equal(record.outputs.call?.voice, "say");
  }
  assert.ok(
    !t.events.some((e) => e.type === "health" && e.service === "tts"),
    "the voice was not probed",
  );
});

Deno.test("a contact first dialled with <Say> and redialled once a voice can be played gets its voice then, once", async () => {
  const [contact] = contacts(1);
  const progress: ContactProgress = { attempts: {} };
  const save = () => Promise.resolve(undefined);
  const before = testAgent({ telephony: { outcomeOf: () => "busy" } }, noPlayback);
  await using _before = before.agent;
  const first = await before.clock.run(() =>
    before.agent.processor.processContact(contact, progress, undefined, save)
  );
  assert.equal(first.status, "deferred");
  assert.equal(before.services.tts.callCount, 0);
  assert.equal(progress.call?.dials, 1);

  // The operator made the voice playable (here: the mock telephony, which plays it as it is).
  const after = testAgent();
  await using _after = after.agent;
  const second = await after.clock.run(() =>
    after.agent.processor.processContact(contact, progress, undefined, save)
  );
  assert.equal(second.status, "completed");
  assert.equal(after.services.tts.callCount, 1, "its voice, once");
  assert.equal(progress.call?.voice, "audio");
  assert.equal(progress.call?.dials, 2);
});
