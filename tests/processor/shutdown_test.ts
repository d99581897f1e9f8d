import assert from "node:assert/strict";
import { contacts, testAgent } from "../_support/agent.ts";

Deno.test("a shutdown that cuts calls off puts their contacts back to pending, their finished steps kept", async () => {
  // The TTS hangs: every contact in flight has its script and waits for its speech.
  const t = testAgent({ tts: { faults: [{ hang: true }] } }, { processor: { concurrency: 2 } });
  await using _ = t.agent;
  const campaign = t.agent.config.campaign.name;
  await t.store.ensureCampaign(campaign, 0);
  await t.store.addContacts(campaign, contacts(4), 0);
  const stop = new AbortController();
  const summary = await t.clock.run(async () => {
    const running = t.agent.runner.run({ drain: stop.signal, abort: stop.signal });
    await t.clock.sleep(1_000);
    stop.abort(new DOMException("SIGTERM", "AbortError"));
    return await running;
  });
  assert.equal(summary.ended, "shutdown");
  assert.deepEqual([summary.pending, summary.in_progress], [4, 0]);
  for (const id of ["c1", "c2"]) {
    const record = (await t.store.get(campaign, id))!;
    assert.equal(record.state, "pending");
    assert.equal(record.lease, undefined, "no lease left for another agent to wait out");
    assert.match(record.outputs.script ?? "", /^Hello Contact/, "the script is kept");
  }
});
