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

/** A store where another agent takes the contacts deferred on a service back to pending just
 * as this runner asks which services deferred contacts wait on (after its pass ran dry). */
class ReleasedByAnotherAgent extends InMemoryCampaignStore {
  released?: () => void;
  override async deferredServices(campaign: string): Promise<string[]> {
    if (this.released && (await super.deferredServices(campaign)).length > 0) {
      this.released();
      this.released = undefined;
      await this.releaseDeferred(campaign, "tts", Number.MAX_SAFE_INTEGER);
    }
    return super.deferredServices(campaign);
  }
}

Deno.test("contacts another agent put back to pending after this runner's pass ran dry are still worked: finished means nothing left", async () => {
  const store = new ReleasedByAnotherAgent();
  const t = testAgent({}, { processor: { recoveryWaitMs: 3_600_000 } }, store as CampaignStore);
  await using _ = t.agent;
  const tts = t.agent.breakers.get("tts");
  tts.forceOpen("maintenance");
  // The other agent's operator lets TTS go and that agent releases the deferred contacts.
  store.released = () => tts.reset("closed by operator");
  const { summary } = await t.runCampaign(contacts(3), { health: false });
  assert.deepEqual([summary.ended, summary.completed, summary.pending], ["finished", 3, 0]);
});

/** A store where another agent holds one more contact until `doneAt` (its lease far later). */
class HeldElsewhere extends InMemoryCampaignStore {
  clock?: { now(): number };
  constructor(readonly doneAt: number) {
    super();
  }
  #held(): boolean {
    return (this.clock?.now() ?? 0) < this.doneAt;
  }
  override async nextLeaseExpiry(campaign: string): Promise<number | undefined> {
    return this.#held() ? this.doneAt + 30_000 : await super.nextLeaseExpiry(campaign);
  }
  override async counts(campaign: string) {
    const counts = await super.counts(campaign);
    if (this.#held()) counts.in_progress++;
    return counts;
  }
}

Deno.test("a runner with nothing left to take sees the campaign done within a tenth of a second of the other agents' last contact", async () => {
  const doneAt = 2_550;
  const store = new HeldElsewhere(doneAt);
  const t = testAgent({}, {}, store as CampaignStore);
  await using _ = t.agent;
  store.clock = t.clock;
  const { summary } = await t.runCampaign(contacts(3), { health: false });
  assert.equal(summary.completed, 3);
  assert.ok(t.clock.now() >= doneAt, `it waited for the other agent: ${t.clock.now()}`);
  assert.ok(
    t.clock.now() - doneAt <= 100,
    `seen done at ${t.clock.now()}, ${doneAt} + 100 at most`,
  );
});

/** A store that notes each claim and each contact write in `log`. */
class NotingWrites extends InMemoryCampaignStore {
  readonly log: string[] = [];
  override claim(campaign: string, now: number, limit: number) {
    this.log.push("claim");
    return super.claim(campaign, now, limit);
  }
  override saveStep(...args: Parameters<InMemoryCampaignStore["saveStep"]>) {
    this.log.push(`save ${args[2]}`);
    return super.saveStep(...args);
  }
}

Deno.test("a worker asks for the network's turn before each contact, before each write and after it, and before each request", async () => {
  const store = new NotingWrites();
  const turns = Object.assign(() => (store.log.push("turn"), Promise.resolve()), {
    crowded: () => {},
  });
  const t = testAgent(
    {},
    { processor: { concurrency: 1 } },
    store as CampaignStore,
    [],
    0,
    { networkTurns: turns },
  );
  await using _ = t.agent;
  const { summary } = await t.runCampaign(contacts(2), { health: false });
  assert.equal(summary.completed, 2);
  const { log } = store;
  const saves = log.flatMap((entry, i) => entry.startsWith("save") ? [i] : []);
  assert.ok(saves.length >= 4, log.join(", "));
  for (const i of saves) {
    assert.equal(log[i - 1], "turn", `before ${log[i]}: ${log.join(", ")}`);
    assert.equal(log[i + 1], "turn", `after ${log[i]}: ${log.join(", ")}`);
  }
  // Each request asks too (llm, tts, telephony, crm per contact): more turns than the saves
  // and the contacts account for.
  const taken = log.filter((entry) => entry === "turn").length;
  assert.ok(taken >= 2 * saves.length + 2 + 2 * 4, `${taken} turns: ${log.join(", ")}`);
});
