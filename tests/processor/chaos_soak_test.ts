import assert from "node:assert/strict";
import { seededRandom } from "../../src/clock/mod.ts";
import { SqliteCampaignStore } from "../../src/ledger/mod.ts";
import type { FaultKind, FaultRule, MockServicesOptions } from "../../src/services/mod.ts";
import { contacts, testAgent } from "../_support/agent.ts";

const kinds: FaultKind[] = [
  "unavailable",
  "rate-limit",
  "timeout",
  "connection",
  "quota",
  "auth",
];

/** Random outage windows over the first ten minutes, and a few bad requests, per service. */
function chaos(seed: number): MockServicesOptions {
  const random = seededRandom(seed);
  const between = (low: number, high: number) => low + Math.floor(random() * (high - low));
  const schedule = (): { latencyMs: number; faults: FaultRule[] } => {
    const faults: FaultRule[] = [];
    for (let i = 0; i < 6; i++) {
      const fromMs = between(0, 600_000);
      const kind = kinds[between(0, kinds.length)];
      faults.push({
        fail: kind,
        fromMs,
        untilMs: fromMs + between(5_000, 120_000),
        retryAfterMs: kind === "rate-limit" ? between(500, 20_000) : undefined,
        latencyMs: kind === "timeout" ? undefined : between(10, 500),
        hang: kind === "timeout" ? true : undefined,
        calls: random() < 0.3 ? between(1, 20) : undefined,
      });
    }
    for (let i = 0; i < 10; i++) {
      faults.push({
        fail: "invalid-request",
        calls: 1,
        fromMs: between(0, 600_000),
      });
    }
    faults.sort((a, b) => (a.fromMs ?? 0) - (b.fromMs ?? 0));
    return { latencyMs: between(100, 1_500), faults };
  };
  return { llm: schedule(), tts: schedule(), crm: schedule() };
}

for (const seed of [1, 2, 3]) {
  Deno.test(`chaos soak (seed ${seed}): 2,000 contacts under random faults all end final, once, never calling an OPEN service`, async () => {
    const t = testAgent(chaos(seed), {
      processor: { concurrency: 8 },
      services: {
        llm: { timeoutMs: 10_000 },
        tts: { timeoutMs: 10_000 },
        crm: { timeoutMs: 10_000 },
      },
    }, (clock) => new SqliteCampaignStore(":memory:", undefined, { clock }));
    await using _ = t.agent;
    await using _store = t.store;
    const violations: string[] = [];
    for (const service of [t.services.llm, t.services.tts, t.services.crm]) {
      service.onCall((call) => {
        if (t.agent.breakers.get(call.service).state === "OPEN") {
          violations.push(`${call.service} called while OPEN at ${call.at}`);
        }
      });
    }
    const list = contacts(2_000);
    const { summary, records } = await t.runCampaign(list);

    assert.deepEqual(violations, []);
    assert.equal(
      summary.pending + summary.in_progress + summary.deferred,
      0,
      JSON.stringify(summary),
    );
    assert.equal(summary.completed + summary.failed, 2_000, "no contact lost");
    assert.ok(summary.completed > 1_000, `only ${summary.completed} completed`);
    for (const record of records.values()) {
      if (record.state === "completed") {
        assert.ok(record.outputs.crmRecordId, record.contact.id);
      } else {assert.ok(
          record.reason,
          `${record.contact.id} failed without a reason`,
        );}
    }
    const repeated = [...t.services.crm.writes].filter(([, n]) => n > 1);
    assert.deepEqual(repeated, [], "no outcome reached the CRM twice");
    assert.equal(t.services.crm.records.size, summary.completed);
    assert.ok(t.services.llm.callCount >= 2_000);
    assert.ok(
      t.events.some((e) => e.type === "breaker" && e.to === "OPEN"),
      "the chaos opened a breaker",
    );
  });
}
