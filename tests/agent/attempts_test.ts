/**
 * One meaning of "attempt": a request that reached a provider. The ledger's count (what bounds
 * a contact's life), the Sheets column and the attempt events agree for every contact, while
 * the breaker refuses tries and retries are cut short.
 */
import assert from "node:assert/strict";
import { logToSheets } from "../../src/agent/mod.ts";
import type { SheetRow } from "../../src/sheets/mod.ts";
import { contacts, testAgent } from "../_support/agent.ts";

Deno.test("the ledger, the Sheets column and the attempt events count the same attempts", async () => {
  // TTS fails long enough for the breaker to open: tries it refuses are no attempts.
  const t = testAgent(
    { tts: { faults: [{ fail: "unavailable", untilMs: 40_000 }] } },
    {
      processor: { concurrency: 3, recoveryWaitMs: 600_000 },
      breaker: { failureThreshold: 3, recoveryTimeoutMs: 10_000 },
      retry: { maxRetries: 3, initialDelayMs: 1_000 },
    },
  );
  await using _ = t.agent;
  const rows: SheetRow[] = [];
  const subscriptions = logToSheets(t.agent, {
    append: (row) => rows.push(row),
    onEvent: () => ({ [Symbol.dispose]() {} }),
  }, () => t.clock.now());
  const { records } = await t.runCampaign(contacts(8));
  for (const subscription of subscriptions) subscription[Symbol.dispose]();

  assert.ok(
    t.events.some((e) => e.type === "give-up" && e.reason === "circuit-open"),
    "the breaker refused tries",
  );
  const sent = new Map<string, number>();
  for (const event of t.events) {
    if (event.type === "attempt" && event.contactId) {
      sent.set(event.contactId, (sent.get(event.contactId) ?? 0) + 1);
    }
  }
  const ledger = (id: string) =>
    Object.values(records.get(id)!.attempts).reduce((sum, n) => sum + n, 0);
  for (const [id] of records) {
    const last = rows.findLast((row) => row.contactId === id);
    assert.ok(last, `a row for ${id}`);
    assert.deepEqual(
      [last.attempts, sent.get(id) ?? 0],
      [ledger(id), ledger(id)],
      `${id}: Sheets column and attempt events match the ledger`,
    );
  }
  assert.equal(
    t.services.tts.callCount,
    [...sent.values()].reduce((a, b) => a + b, 0) -
      [...records.values()].reduce(
        (sum, r) => sum + (r.attempts.llm ?? 0) + (r.attempts.call ?? 0) + (r.attempts.crm ?? 0),
        0,
      ),
    "what reached the mock TTS is what was counted",
  );
});
