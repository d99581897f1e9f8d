/**
 * `processor.maxAttemptsPerStep` is a cap, retries included: a step's retries stop when its
 * attempts run out, and the count that reaches the provider is the count the reason gives.
 * Counted at the mock, per contact, on the virtual clock.
 */
import assert from "node:assert/strict";
import type { ContactProgress, Step } from "../../src/domain/mod.ts";
import { contacts, testAgent } from "../_support/agent.ts";

/** A breaker that never opens, many retries, and a provider that fails every request. */
const neverOpens = (maxAttemptsPerStep: number, concurrency = 1) => ({
  processor: { concurrency, maxAttemptsPerStep, recoveryWaitMs: 3_600_000 },
  retry: { maxRetries: 5, initialDelayMs: 100, maxDelayMs: 400, jitterMs: 50 },
  retryBudget: { ratio: 10, minPerSecond: 1_000 },
  breaker: { failureThreshold: 1_000_000, recoveryTimeoutMs: 1_000 },
});

/** Requests that reached the mock LLM, per contact. */
function countPerContact(llm: { writeScript: (...args: never[]) => Promise<unknown> }) {
  const counts = new Map<string, number>();
  const original = llm.writeScript.bind(llm) as (...args: unknown[]) => Promise<unknown>;
  (llm as { writeScript: unknown }).writeScript = (...args: unknown[]) => {
    const id = (args[0] as { id: string }).id;
    counts.set(id, (counts.get(id) ?? 0) + 1);
    return original(...args);
  };
  return counts;
}

Deno.test("a step whose retries would pass the cap stops at the cap, and the reason gives the true count", async () => {
  // Six attempts per call (maxRetries 5), a cap of 4: the first call stops at the fourth.
  const t = testAgent({ llm: { faults: [{ fail: "unavailable" }] } }, neverOpens(4));
  await using _ = t.agent;
  const sent = countPerContact(t.services.llm);
  const { records } = await t.runCampaign(contacts(3));
  for (const [id, record] of records) {
    assert.equal(sent.get(id), 4, `${id}: requests that reached the LLM`);
    assert.equal(record.attempts.llm, 4);
    assert.equal(record.state, "failed");
    assert.match(
      record.reason!,
      /^attempts-exhausted at llm: .*: llm: 4 attempts reached the provider/,
    );
  }
});

Deno.test("a cap that falls in a later call is kept too: 4 attempts a call, a cap of 6, 6 in all", async () => {
  const t = testAgent({ llm: { faults: [{ fail: "unavailable" }] } }, {
    ...neverOpens(6),
    retry: { maxRetries: 3, initialDelayMs: 100, maxDelayMs: 400, jitterMs: 50 },
  });
  await using _ = t.agent;
  const sent = countPerContact(t.services.llm);
  const { records } = await t.runCampaign(contacts(2));
  for (const [id, record] of records) {
    assert.equal(sent.get(id), 6, id);
    assert.equal(record.deferrals, 1, "deferred once after its first 4, then 2 more");
    assert.match(record.reason!, /llm: 6 attempts reached the provider/);
  }
});

Deno.test("200 contacts at 50 workers against a provider failing every request: none passes the cap", async () => {
  // Five attempts a call: 5 + 5 + 5 would pass a cap of 12.
  const t = testAgent({ llm: { faults: [{ fail: "unavailable" }] } }, {
    ...neverOpens(12, 50),
    retry: { maxRetries: 4, initialDelayMs: 100, maxDelayMs: 400, jitterMs: 50 },
  });
  await using _ = t.agent;
  const sent = countPerContact(t.services.llm);
  const { summary, records } = await t.runCampaign(contacts(200));
  assert.equal(summary.failed, 200, JSON.stringify(summary));
  const over = [...sent.entries()].filter(([, n]) => n > 12);
  assert.deepEqual(over, [], "contacts that received more than 12 requests");
  for (const [id, record] of records) {
    assert.equal(record.attempts.llm, sent.get(id), `${id}: the ledger's count is the true one`);
    assert.match(record.reason!, new RegExp(`llm: ${sent.get(id)} attempts reached`));
  }
});

Deno.test("before a step's retry the ledger counts it ahead: a crash while it is in flight cannot leave it uncounted", async () => {
  const t = testAgent({ llm: { faults: [{ fail: "unavailable", calls: 3 }] } }, neverOpens(12));
  await using _ = t.agent;
  const [contact] = contacts(1);
  const progress: ContactProgress = { attempts: {} };
  const saved: { step: Step; llm: number; sentSoFar: number }[] = [];
  await t.clock.run(() =>
    t.agent.processor.processContact(contact, progress, undefined, (step, current) => {
      saved.push({ step, llm: current.attempts.llm ?? 0, sentSoFar: t.services.llm.callCount });
      return Promise.resolve(undefined);
    })
  );
  // Before each retry (attempts 2, 3 and 4) the count includes the attempt about to go.
  assert.deepEqual(saved.filter((s) => s.step === "llm"), [
    { step: "llm", llm: 2, sentSoFar: 1 },
    { step: "llm", llm: 3, sentSoFar: 2 },
    { step: "llm", llm: 4, sentSoFar: 3 },
    { step: "llm", llm: 4, sentSoFar: 4 }, // the script, saved with its true count
  ]);
  assert.equal(progress.attempts.llm, 4);
});
