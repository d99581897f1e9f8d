/**
 * The Sheets log's side effects exactly once, against a fake of Google's token endpoint and
 * Sheets API over sockets (RS256 signature checked, every row kept): appends that are applied
 * and then dropped, answered 500, timed out, or cut short by a crash.
 */
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { systemClock } from "../../src/clock/mod.ts";
import { type HttpFaultRule, startFakeSheets } from "../../src/fake_providers/mod.ts";
import { createFreshConnectionFetch } from "../../src/platform/mod.ts";
import { InMemoryOutbox, type Outbox } from "../../src/ledger/mod.ts";
import { GoogleAccessToken, type SheetRow, SheetsLogSink } from "../../src/sheets/mod.ts";
import { breakerOptions, retryOptions } from "../_support/fixtures.ts";

const { privateKey, publicKey } = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  privateKeyEncoding: { type: "pkcs8", format: "pem" },
  publicKeyEncoding: { type: "spki", format: "pem" },
});

const row = (i: number): SheetRow => ({
  rowId: `row-${i}`,
  time: "2026-11-29T00:00:00.000Z",
  campaign: "spring",
  contactId: `c${i}`,
  outcome: "completed",
  service: "",
  errorClass: "",
  attempts: 3,
  breakerState: "",
  detail: "",
  spend: 0,
});

function sinkFor(
  url: string,
  outbox: Outbox,
  freshFetch: typeof fetch,
  overrides: { timeoutMs?: number; maxRetries?: number; batchRows?: number } = {},
) {
  const deps = { fetch, freshFetch, clock: systemClock };
  const token = new GoogleAccessToken(
    {
      client_email: "agent@p.iam.gserviceaccount.com",
      private_key: privateKey,
    },
    { tokenUrl: `${url}/token` },
    deps,
  );
  return new SheetsLogSink({
    baseUrl: url,
    spreadsheetId: "sheet-1",
    range: "Log!A:I",
    batchRows: overrides.batchRows ?? 10,
    flushIntervalMs: 60_000,
    maxWritesPerMinute: 50,
    stalledAfterMs: 20_000,
    timeoutMs: overrides.timeoutMs ?? 2_000,
    retry: retryOptions({
      maxRetries: overrides.maxRetries ?? 3,
      initialDelayMs: 20,
      maxDelayMs: 100,
      jitterMs: 5,
    }),
    breaker: breakerOptions({ failureThreshold: 5 }),
  }, { ...deps, random: Math.random, outbox, token });
}

function copiesById(rows: unknown[][]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of rows) {
    counts.set(String(r[0]), (counts.get(String(r[0])) ?? 0) + 1);
  }
  return counts;
}

const shapes: [string, HttpFaultRule][] = [
  ["applied, then the connection dropped", { dropAfter: true, calls: 1 }],
  ["answered 500 without applying", {
    status: 500,
    body: { error: { code: 500 } },
    calls: 1,
  }],
  ["applied, then no answer before the deadline", {
    hangAfter: true,
    calls: 1,
  }],
];

for (const [name, fault] of shapes) {
  Deno.test(`an append ${name} is resolved by a read-back: every row lands once`, async () => {
    await using fake = startFakeSheets({ publicKey, faults: [fault] });
    using freshFetch = createFreshConnectionFetch();
    const outbox = new InMemoryOutbox();
    const sink = sinkFor(fake.url, outbox, freshFetch, { timeoutMs: 500 });
    for (let i = 1; i <= 25; i++) sink.append(row(i));
    await new Promise((resolve) => setTimeout(resolve, 20));
    await sink.flush();
    await sink.stop();
    assert.equal(
      await outbox.size(SheetsLogSink.queue),
      0,
      "nothing left behind",
    );
    const counts = copiesById(fake.rows);
    assert.equal(counts.size, 25);
    assert.deepEqual(
      [...counts.values()].filter((n) => n > 1),
      [],
      "no row twice",
    );
    assert.deepEqual(
      fake.rows.map((r) => r[0]),
      Array.from({ length: 25 }, (_, i) => `row-${i + 1}`),
    );
  });
}

Deno.test("a crash while an applied append awaits its answer: the restarted sink checks the sheet first", async () => {
  await using fake = startFakeSheets({
    publicKey,
    faults: [{ hangAfter: true, calls: 1 }],
  });
  using freshFetch = createFreshConnectionFetch();
  const outbox = new InMemoryOutbox(); // the ledger: the only thing that survives the crash
  for (let i = 1; i <= 10; i++) {
    await outbox.enqueue(SheetsLogSink.queue, [JSON.stringify(row(i))], 0);
  }
  const doomed = sinkFor(fake.url, outbox, freshFetch, { timeoutMs: 60_000 });
  const cut = doomed.flush();
  await fake.waitForRequests(1);
  while (fake.rows.length < 10) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  // The process dies here. A new one starts on the same ledger.
  const restarted = sinkFor(fake.url, outbox, freshFetch);
  await restarted.flush();
  assert.equal(await outbox.size(SheetsLogSink.queue), 0);
  assert.equal(
    fake.count("/v4", "POST"),
    1,
    "the batch was not appended again",
  );
  assert.equal(fake.rows.length, 10);
  await fake.close(); // releases the hung request of the dead process
  await cut;
  await doomed.stop();
  await restarted.stop();
});
