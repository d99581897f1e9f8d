import assert from "node:assert/strict";
import { contacts, testAgent } from "../_support/agent.ts";
import { type CampaignStore, InMemoryCampaignStore } from "../../src/ledger/mod.ts";

/** A store whose answer to "when is the next deferral due" takes a while, and tells when it is
 * being asked (a shared ledger's round trip). */
class SlowToAnswer extends InMemoryCampaignStore {
  asked?: () => void;
  override async nextDeferredAt(campaign: string, after: number): Promise<number | undefined> {
    const answer = await super.nextDeferredAt(campaign, after);
    await Promise.resolve();
    this.asked?.();
    await Promise.resolve();
    return answer;
  }
}

Deno.test("a breaker that closes while the runner asks the ledger for its next wake-up still wakes it at once", async () => {
  const store = new SlowToAnswer();
  const t = testAgent({}, { processor: { recoveryWaitMs: 3_600_000 } }, store as CampaignStore);
  await using _ = t.agent;
  const tts = t.agent.breakers.get("tts");
  tts.forceOpen("maintenance");
  // The operator lets TTS go exactly while the runner waits for the ledger's answer.
  store.asked = () => {
    store.asked = undefined;
    tts.reset("closed by operator");
  };
  const { summary } = await t.runCampaign(contacts(3), { health: false });
  assert.equal(summary.completed, 3);
  assert.ok(t.clock.now() < 60_000, `the run did not sleep out recoveryWaitMs: ${t.clock.now()}`);
});
